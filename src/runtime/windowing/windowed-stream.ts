import { JobError } from "../../errors.js";
import type { AggregateFunction } from "../../state/api.js";
import type { DataStream, KeyedStream } from "../datastream/data-stream.js";
import { unwrap, type ReduceFunction } from "../functions/functions.js";
import type { OutputTag } from "../output-tag.js";
import type { Evictor, Trigger, Window, WindowAssigner } from "./api.js";
import { isMergingAssigner } from "./api.js";
import {
  InternalIterableWindowFunction,
  InternalProcessWindowFunction,
  PassThroughWindowFunction,
  type InternalWindowFunction,
} from "./operator/internal-window-function.js";
import { ReduceAggregate } from "./operator/window-contents.js";
import { WindowOperator } from "./operator/window-operator.js";
import type { ProcessWindowFunction, WindowFunction } from "./window-functions.js";

/**
 * A keyed stream cut into windows, as Flink's `WindowedStream`: set the trigger, evictor, allowed
 * lateness and late-data output, then evaluate each window with `reduce`, `aggregate` (both
 * incremental: one accumulator per key and window), `process` or `apply` (which keep every
 * element). The result records carry the window's `maxTimestamp()`.
 *
 * ```ts
 * events
 *   .keyBy((e) => e.card)
 *   .window(TumblingEventTimeWindows.of(60_000))
 *   .allowedLateness(10_000)
 *   .sideOutputLateData(late)
 *   .aggregate(countAndSum);
 * ```
 */
export class WindowedStream<T, K, W extends Window> {
  private windowTrigger: Trigger<T, W>;
  private windowEvictor: Evictor<T, W> | undefined;
  private latenessMs = 0;
  private lateTag: OutputTag<T> | undefined;
  /** Phantom field carrying the key type. */
  declare readonly __k?: K;

  constructor(
    readonly input: KeyedStream<T, any>,
    readonly assigner: WindowAssigner<T, W>,
  ) {
    if (assigner === null || typeof assigner !== "object" || typeof assigner.assignWindows !== "function") {
      throw new JobError("window: expected a WindowAssigner (e.g. TumblingEventTimeWindows.of(60_000))");
    }
    this.windowTrigger = assigner.getDefaultTrigger();
  }

  /** Replaces the assigner's default trigger. A merging assigner (sessions) needs a trigger that can merge. */
  trigger(trigger: Trigger<T, W>): this {
    if (isMergingAssigner(this.assigner) && !(trigger.canMerge?.() ?? false)) {
      throw new JobError(`a merging window assigner (${this.assigner}) cannot be used with a trigger that does not support merging (${trigger})`);
    }
    this.windowTrigger = trigger;
    return this;
  }

  /** Evicts elements before/after the window function; the window then keeps every element. */
  evictor(evictor: Evictor<T, W>): this {
    this.windowEvictor = evictor;
    return this;
  }

  /**
   * Keeps a window's state `ms` after its end (event time), so late elements update it and fire it
   * again; elements later than that are late data. Default 0.
   */
  allowedLateness(ms: number): this {
    if (typeof ms !== "number" || !(ms >= 0) || !Number.isFinite(ms)) throw new JobError(`allowedLateness: expected a finite number >= 0 ms, got ${String(ms)}`);
    this.latenessMs = ms;
    return this;
  }

  /** Sends elements that arrive after their windows were cleaned up to `tag` instead of dropping them. */
  sideOutputLateData(tag: OutputTag<T>): this {
    this.lateTag = tag;
    return this;
  }

  /** Reduces each window incrementally; emits the reduced value (or what `windowFn` makes of it). */
  reduce(fn: ReduceFunction<T>): DataStream<T>;
  reduce<O>(fn: ReduceFunction<T>, windowFn: ProcessWindowFunction<T, O, K, W>): DataStream<O>;
  reduce<O>(fn: ReduceFunction<T>, windowFn?: ProcessWindowFunction<T, O, K, W>): DataStream<O | T> {
    const agg = new ReduceAggregate<T>(unwrap(fn as never, "reduce"));
    const wf = windowFn === undefined ? new PassThroughWindowFunction<T, K, W>() : new InternalProcessWindowFunction(windowFn);
    return this.build("reduce", agg, wf as InternalWindowFunction<T, O | T, K, W>);
  }

  /** Aggregates each window incrementally with an `AggregateFunction` (sessions need its `merge`). */
  aggregate<ACC, V>(fn: AggregateFunction<T, ACC, V>): DataStream<V>;
  aggregate<ACC, V, O>(fn: AggregateFunction<T, ACC, V>, windowFn: ProcessWindowFunction<V, O, K, W>): DataStream<O>;
  aggregate<ACC, V, O>(fn: AggregateFunction<T, ACC, V>, windowFn?: ProcessWindowFunction<V, O, K, W>): DataStream<O | V> {
    for (const m of ["createAccumulator", "add", "getResult"] as const) {
      if (typeof fn?.[m] !== "function") throw new JobError(`aggregate: expected an AggregateFunction with ${m}()`);
    }
    const wf = windowFn === undefined ? new PassThroughWindowFunction<V, K, W>() : new InternalProcessWindowFunction(windowFn);
    return this.build("aggregate", fn, wf as InternalWindowFunction<V, O | V, K, W>);
  }

  /** Evaluates each window with all its elements and a context (window, time, state, side outputs). */
  process<O>(fn: ProcessWindowFunction<T, O, K, W>): DataStream<O> {
    return this.build<never, T, O>("process", undefined, new InternalProcessWindowFunction(fn));
  }

  /** Evaluates each window with all its elements, as Flink's `apply(WindowFunction)`. */
  apply<O>(fn: WindowFunction<T, O, K, W>): DataStream<O> {
    return this.build<never, T, O>("apply", undefined, new InternalIterableWindowFunction(fn));
  }

  /**
   * Adds the window operator (the runtime sets the key before each element and timer). Used by
   * the methods above, `AllWindowedStream` and the window join.
   */
  build<ACC, V, O>(what: string, aggregate: AggregateFunction<T, ACC, V> | undefined, fn: InternalWindowFunction<V, O, K, W>): DataStream<O> {
    const spec = {
      assigner: this.assigner,
      trigger: this.windowTrigger,
      evictor: this.windowEvictor,
      allowedLatenessMs: this.latenessMs,
      lateDataTag: this.lateTag,
      aggregate,
      windowFunction: fn,
    };
    new WindowOperator(spec); // validates the combination now rather than when the job starts
    const parts = [String(this.assigner), String(this.windowTrigger)];
    if (this.windowEvictor !== undefined) parts.push(String(this.windowEvictor));
    parts.push(what);
    return this.input.transform(`Window(${parts.join(", ")})`, () => new WindowOperator(spec));
  }
}
