import type {
  AggregatingState,
  AggregatingStateDescriptor,
  ListState,
  ListStateDescriptor,
  MapState,
  MapStateDescriptor,
  ReducingState,
  ReducingStateDescriptor,
  ValueState,
  ValueStateDescriptor,
} from "../../state/api.js";
import type { Collector, RichFunction } from "../functions/runtime-context.js";
import type { OutputTag } from "../output-tag.js";
import type { Window } from "./api.js";

/**
 * The functions a window runs when it fires, as Flink's `ProcessWindowFunction`,
 * `WindowFunction`, `ProcessAllWindowFunction` and `AllWindowFunction`. Elements are passed as an
 * array (the window's contents, or the one pre-aggregated value after `reduce`/`aggregate`);
 * records emitted through `out` carry the window's `maxTimestamp()`.
 */

/** Keyed state obtained from a window function's context, as Flink's `KeyedStateStore`. */
export interface KeyedStateStore {
  getState<T>(descriptor: ValueStateDescriptor<T>): ValueState<T>;
  getListState<T>(descriptor: ListStateDescriptor<T>): ListState<T>;
  getMapState<K, V>(descriptor: MapStateDescriptor<K, V>): MapState<K, V>;
  getReducingState<T>(descriptor: ReducingStateDescriptor<T>): ReducingState<T>;
  getAggregatingState<I, A, O>(descriptor: AggregatingStateDescriptor<I, A, O>): AggregatingState<I, O>;
}

/**
 * The context of a `ProcessWindowFunction` call, as Flink's `ProcessWindowFunction.Context`.
 * `windowState()` is state of the current key and window (clear it in `clear`; not available on
 * merging windows), `globalState()` state of the current key across windows. Ask for state handles
 * on every call: they are re-scoped each time.
 */
export interface ProcessWindowContext<W extends Window> {
  window(): W;
  currentProcessingTime(): number;
  currentWatermark(): number;
  windowState(): KeyedStateStore;
  globalState(): KeyedStateStore;
  /** Emits to a side output (with the window's max timestamp). */
  output<X>(tag: OutputTag<X>, value: X): void;
}

/**
 * Evaluates a keyed window with its context, as Flink's `ProcessWindowFunction`: an object with
 * `process` (and optional `clear`, `open`, `close`), or just the `process` function.
 */
export type ProcessWindowFunction<IN, OUT, K, W extends Window> =
  | ProcessWindowFunctionObject<IN, OUT, K, W>
  | ((key: K, context: ProcessWindowContext<W>, elements: readonly IN[], out: Collector<OUT>) => void);

export interface ProcessWindowFunctionObject<IN, OUT, K, W extends Window> extends RichFunction {
  process(key: K, context: ProcessWindowContext<W>, elements: readonly IN[], out: Collector<OUT>): void;
  /** Called when the window is cleaned up (after its last firing): clear `windowState()` here. */
  clear?(context: ProcessWindowContext<W>): void;
}

/** Evaluates a keyed window, as Flink's `WindowFunction`: a function, or an object with `apply`. */
export type WindowFunction<IN, OUT, K, W extends Window> =
  | ((key: K, window: W, input: readonly IN[], out: Collector<OUT>) => void)
  | (RichFunction & { apply(key: K, window: W, input: readonly IN[], out: Collector<OUT>): void });

/** `ProcessWindowFunction` of a non-keyed (`windowAll`) stream, as Flink's `ProcessAllWindowFunction`. */
export type ProcessAllWindowFunction<IN, OUT, W extends Window> =
  | ProcessAllWindowFunctionObject<IN, OUT, W>
  | ((context: ProcessWindowContext<W>, elements: readonly IN[], out: Collector<OUT>) => void);

export interface ProcessAllWindowFunctionObject<IN, OUT, W extends Window> extends RichFunction {
  process(context: ProcessWindowContext<W>, elements: readonly IN[], out: Collector<OUT>): void;
  clear?(context: ProcessWindowContext<W>): void;
}

/** `WindowFunction` of a non-keyed (`windowAll`) stream, as Flink's `AllWindowFunction`. */
export type AllWindowFunction<IN, OUT, W extends Window> =
  | ((window: W, input: readonly IN[], out: Collector<OUT>) => void)
  | (RichFunction & { apply(window: W, input: readonly IN[], out: Collector<OUT>): void });
