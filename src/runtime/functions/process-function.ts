import type { StateKey } from "../../state/api.js";
import type { OutputTag } from "../output-tag.js";
import type { TimerService, TimeDomain } from "../timers/timer-service.js";
import type { Collector, RichFunction } from "./runtime-context.js";

/** Context of `processElement`, as Flink's `ProcessFunction.Context`. */
export interface ProcessContext {
  /** The current record's timestamp (undefined when it has none). */
  timestamp(): number | undefined;
  timerService(): TimerService;
  /** Emits to a side output. */
  output<X>(tag: OutputTag<X>, value: X): void;
}

/** Context of `onTimer`. */
export interface OnTimerContext extends ProcessContext {
  timeDomain(): TimeDomain;
}

/** A low-level function on a non-keyed stream, as Flink's `ProcessFunction`. */
export interface ProcessFunction<I, O> extends RichFunction {
  processElement(value: I, ctx: ProcessContext, out: Collector<O>): void;
  onTimer?(timestamp: number, ctx: OnTimerContext, out: Collector<O>): void;
}

export interface KeyedProcessContext<K> extends ProcessContext {
  getCurrentKey(): K;
}

export interface KeyedOnTimerContext<K> extends KeyedProcessContext<K> {
  timeDomain(): TimeDomain;
}

/**
 * A function on a keyed stream with keyed state and timers, as Flink's `KeyedProcessFunction`:
 * state handles (from `open`'s context) and timers are scoped to the current key.
 */
export interface KeyedProcessFunction<K extends StateKey, I, O> extends RichFunction {
  processElement(value: I, ctx: KeyedProcessContext<K>, out: Collector<O>): void;
  onTimer?(timestamp: number, ctx: KeyedOnTimerContext<K>, out: Collector<O>): void;
}

/** Two connected streams, one method per input, as Flink's `CoProcessFunction`. */
export interface CoProcessFunction<I1, I2, O> extends RichFunction {
  processElement1(value: I1, ctx: ProcessContext, out: Collector<O>): void;
  processElement2(value: I2, ctx: ProcessContext, out: Collector<O>): void;
  onTimer?(timestamp: number, ctx: OnTimerContext, out: Collector<O>): void;
}

/** Two connected keyed streams, as Flink's `KeyedCoProcessFunction`. */
export interface KeyedCoProcessFunction<K extends StateKey, I1, I2, O> extends RichFunction {
  processElement1(value: I1, ctx: KeyedProcessContext<K>, out: Collector<O>): void;
  processElement2(value: I2, ctx: KeyedProcessContext<K>, out: Collector<O>): void;
  onTimer?(timestamp: number, ctx: KeyedOnTimerContext<K>, out: Collector<O>): void;
}

/** `connect(...).map(...)`: one mapper per input. */
export interface CoMapFunction<I1, I2, O> extends RichFunction {
  map1(value: I1): O;
  map2(value: I2): O;
}

/** `connect(...).flatMap(...)`. */
export interface CoFlatMapFunction<I1, I2, O> extends RichFunction {
  flatMap1(value: I1, out: Collector<O>): void;
  flatMap2(value: I2, out: Collector<O>): void;
}
