import type { AggregateFunction, InternalKvState, KeyedStateBackend, ListState, ValueState } from "../../../state/api.js";
import type { Collector } from "../../functions/runtime-context.js";
import type { Evictor, EvictorContext, TimestampedValue, Window } from "../api.js";
import type { ProcessWindowContext } from "../window-functions.js";
import type { InternalWindowFunction } from "./internal-window-function.js";

/** The keyed state holding window contents (one entry per key and window namespace). */
export const WINDOW_CONTENTS = "window-contents";

/**
 * How a window operator stores a window's contents and turns them into the window function's
 * input (Flink's window state plus `InternalWindowFunction` wrapping): folded into an accumulator
 * as elements arrive, or kept as a list (with timestamps when an evictor needs them). Every call
 * works on the namespace last set with `setNamespace`.
 */
export interface WindowContents<IN, OUT, K, W extends Window> {
  setNamespace(ns: string): void;
  /**
   * Adds an element; returns false only when the namespace certainly held contents already (the
   * operator then skips work a first element does, such as registering the window's timers).
   */
  add(value: IN, timestamp: number): boolean;
  /** Runs the window function over the contents, if there are any. */
  emit(window: W, key: K, ctx: ProcessWindowContext<W>, out: Collector<OUT>): void;
  clear(): void;
  /** Merges the contents of `sources` into `target` (merging windows); the sources are removed. */
  merge(target: string, sources: readonly string[]): void;
}

/** A reduce function as an aggregate whose accumulator is the value so far (undefined before the first). */
export class ReduceAggregate<T> implements AggregateFunction<T, T | undefined, T> {
  constructor(readonly reduce: (a: T, b: T) => T) {}

  createAccumulator(): T | undefined {
    return undefined;
  }

  add(value: T, acc: T | undefined): T {
    return acc === undefined ? value : this.reduce(acc, value);
  }

  getResult(acc: T | undefined): T {
    return acc as T;
  }

  merge(a: T | undefined, b: T | undefined): T | undefined {
    return a === undefined ? b : b === undefined ? a : this.reduce(a, b);
  }
}

/**
 * Incremental aggregation: one accumulator per (key, window) in value state, folded with
 * `agg.add` as elements arrive (Flink's `ReducingState`/`AggregatingState` window state). Value
 * state, read then written, costs what the folding states cost and also tells whether the window
 * was empty, which is what lets the operator skip re-registering timers for every element.
 */
export class AccumulatingContents<IN, ACC, V, OUT, K, W extends Window> implements WindowContents<IN, OUT, K, W> {
  private readonly state: ValueState<ACC> & InternalKvState;

  constructor(
    backend: KeyedStateBackend,
    private readonly agg: AggregateFunction<IN, ACC, V>,
    private readonly fn: InternalWindowFunction<V, OUT, K, W>,
  ) {
    this.state = backend.getPartitionedState({ kind: "value", name: WINDOW_CONTENTS }) as ValueState<ACC> & InternalKvState;
  }

  setNamespace(ns: string): void {
    this.state.setCurrentNamespace(ns);
  }

  add(value: IN): boolean {
    const state = this.state;
    const acc = state.value();
    if (acc === undefined) {
      state.update(this.agg.add(value, this.agg.createAccumulator()));
      return true;
    }
    const next = this.agg.add(value, acc);
    // an accumulator changed in place is already stored on the heap: skip the write-back
    if (next !== acc || !state.storesByReference) state.update(next);
    return false;
  }

  emit(_window: W, key: K, ctx: ProcessWindowContext<W>, out: Collector<OUT>): void {
    const acc = this.state.value();
    if (acc !== undefined) this.fn.processOne(key, ctx, this.agg.getResult(acc), out);
  }

  /** Runs the window function on an accumulator taken from the backend (`drainNamespace`: the key is set). */
  emitStored(acc: ACC, key: K, ctx: ProcessWindowContext<W>, out: Collector<OUT>): void {
    this.fn.processOne(key, ctx, this.agg.getResult(acc), out);
  }

  clear(): void {
    this.state.clear();
  }

  merge(target: string, sources: readonly string[]): void {
    const state = this.state;
    const agg = this.agg;
    let merged: ACC | undefined;
    for (const source of sources) {
      if (source === target) continue;
      state.setCurrentNamespace(source);
      const acc = state.value();
      if (acc === undefined) continue;
      state.clear();
      merged = merged === undefined ? acc : agg.merge!(merged, acc);
    }
    state.setCurrentNamespace(target);
    if (merged === undefined) return;
    const current = state.value();
    state.update(current === undefined ? merged : agg.merge!(current, merged));
  }
}

/** Every element kept in list state, for `process` and `apply` (Flink's `ListState` window state). */
export class BufferingContents<IN, OUT, K, W extends Window> implements WindowContents<IN, OUT, K, W> {
  private readonly state: ListState<IN> & InternalKvState;

  constructor(
    backend: KeyedStateBackend,
    private readonly fn: InternalWindowFunction<IN, OUT, K, W>,
  ) {
    this.state = backend.getPartitionedState({ kind: "list", name: WINDOW_CONTENTS }) as ListState<IN> & InternalKvState;
  }

  setNamespace(ns: string): void {
    this.state.setCurrentNamespace(ns);
  }

  add(value: IN): boolean {
    this.state.add(value);
    return true;
  }

  emit(_window: W, key: K, ctx: ProcessWindowContext<W>, out: Collector<OUT>): void {
    const elements = this.state.get();
    if (elements.length > 0) this.fn.process(key, ctx, elements, out);
  }

  clear(): void {
    this.state.clear();
  }

  merge(target: string, sources: readonly string[]): void {
    this.state.mergeNamespaces(target, sources);
    this.state.setCurrentNamespace(target);
  }
}

/**
 * Every element kept with its timestamp, evicted before and after the window function, as Flink's
 * `EvictingWindowOperator`; with a pre-aggregation (`reduce`/`aggregate` plus an evictor) the
 * remaining elements are folded when the window fires.
 */
export class EvictingContents<IN, ACC, V, OUT, K, W extends Window> implements WindowContents<IN, OUT, K, W> {
  private readonly state: ListState<TimestampedValue<IN>> & InternalKvState;

  constructor(
    backend: KeyedStateBackend,
    private readonly evictor: Evictor<IN, W>,
    private readonly evictorContext: EvictorContext,
    private readonly agg: AggregateFunction<IN, ACC, V> | undefined,
    private readonly fn: InternalWindowFunction<any, OUT, K, W>,
  ) {
    this.state = backend.getPartitionedState({ kind: "list", name: WINDOW_CONTENTS }) as ListState<TimestampedValue<IN>> & InternalKvState;
  }

  setNamespace(ns: string): void {
    this.state.setCurrentNamespace(ns);
  }

  add(value: IN, timestamp: number): boolean {
    this.state.add({ value, timestamp });
    return true;
  }

  emit(window: W, key: K, ctx: ProcessWindowContext<W>, out: Collector<OUT>): void {
    const records = this.state.get();
    if (records.length === 0) return;
    this.evictor.evictBefore(records, records.length, window, this.evictorContext);
    const values = records.map((r) => r.value);
    const agg = this.agg;
    if (agg === undefined) this.fn.process(key, ctx, values, out);
    else if (values.length > 0 || !(agg instanceof ReduceAggregate)) {
      let acc = agg.createAccumulator();
      for (const v of values) acc = agg.add(v, acc);
      this.fn.processOne(key, ctx, agg.getResult(acc), out);
    }
    this.evictor.evictAfter(records, records.length, window, this.evictorContext);
    this.state.update(records);
  }

  clear(): void {
    this.state.clear();
  }

  merge(target: string, sources: readonly string[]): void {
    this.state.mergeNamespaces(target, sources);
    this.state.setCurrentNamespace(target);
  }
}
