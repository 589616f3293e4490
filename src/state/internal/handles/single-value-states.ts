import { StateError } from "../../../errors.js";
import type { AggregateFunction, AggregatingState, ReducingState, ValueState } from "../../api.js";
import { ABSENT, KvState } from "./kv-state.js";

/** `ValueState`: one value per key and namespace; `update(undefined)` clears, as Flink's `update(null)`. */
export class ValueStateHandle<T> extends KvState implements ValueState<T> {
  defaultValue: T | undefined;

  value(): T | undefined {
    const stored = this.table.get(this.ns);
    if (stored === undefined) {
      if (this.sweeping) this.afterAccess();
      return this.defaultValue;
    }
    if (this.ttl === undefined) return stored as T;
    const v = this.readSingle(this.ns, stored);
    this.afterAccess();
    return v === ABSENT ? this.defaultValue : (v as T);
  }

  update(value: T): void {
    this.writeSingle(this.ns, value);
    if (this.sweeping) this.afterAccess();
  }

  mergeNamespaces(): void {
    this.unsupportedMerge("value");
  }
}

/** Shared by reducing and aggregating state: a stored value that `add` folds into, and namespace merging. */
abstract class FoldingStateHandle<IN, S> extends KvState {
  /** Folds `value` into `current` (ABSENT when nothing is stored). */
  protected abstract fold(current: S | typeof ABSENT, value: IN): S;
  /** Merges two stored values (for merging windows). */
  protected abstract combine(a: S, b: S): S;

  add(value: IN): void {
    const ns = this.ns;
    const current = this.liveSingle(this.table.get(ns)) as S | typeof ABSENT;
    this.writeSingle(ns, this.fold(current, value));
    if (this.sweeping) this.afterAccess();
  }

  /** The stored value, TTL applied, or ABSENT. */
  protected current(): S | typeof ABSENT {
    const stored = this.table.get(this.ns);
    if (stored === undefined) {
      if (this.sweeping) this.afterAccess();
      return ABSENT;
    }
    if (this.ttl === undefined) return stored as S;
    const v = this.readSingle(this.ns, stored) as S | typeof ABSENT;
    this.afterAccess();
    return v;
  }

  /**
   * Flink's `AbstractHeapMergingState.mergeNamespaces`: the sources' values are combined in order
   * and removed, then combined into the target's as `combine(target, merged)`. Expired values
   * count as absent; a target equal to a source is skipped as a source.
   */
  mergeNamespaces(target: string, sources: readonly string[]): void {
    let merged: S | typeof ABSENT = ABSENT;
    for (const source of sources) {
      if (source === target) continue;
      const v = this.liveSingle(this.table.get(source)) as S | typeof ABSENT;
      this.table.delete(source);
      if (v !== ABSENT) merged = merged === ABSENT ? v : this.combine(merged, v);
    }
    if (merged === ABSENT) return;
    const t = this.liveSingle(this.table.get(target)) as S | typeof ABSENT;
    this.writeSingle(target, t === ABSENT ? merged : this.combine(t, merged));
  }
}

/** `ReducingState`: `add(v)` stores `reduce(old, v)`, or `v` when nothing is stored. */
export class ReducingStateHandle<T> extends FoldingStateHandle<T, T> implements ReducingState<T> {
  reduce!: (a: T, b: T) => T;

  get(): T | undefined {
    const v = this.current();
    return v === ABSENT ? undefined : v;
  }

  protected fold(current: T | typeof ABSENT, value: T): T {
    return current === ABSENT ? value : this.reduce(current, value);
  }

  protected combine(a: T, b: T): T {
    return this.reduce(a, b);
  }
}

/** `AggregatingState`: an accumulator per key and namespace, driven by an `AggregateFunction`. */
export class AggregatingStateHandle<IN, ACC, OUT> extends FoldingStateHandle<IN, ACC> implements AggregatingState<IN, OUT> {
  aggregate!: AggregateFunction<IN, ACC, OUT>;

  get(): OUT | undefined {
    const acc = this.current();
    return acc === ABSENT ? undefined : this.aggregate.getResult(acc);
  }

  protected fold(current: ACC | typeof ABSENT, value: IN): ACC {
    const f = this.aggregate;
    return f.add(value, current === ABSENT ? f.createAccumulator() : current);
  }

  override mergeNamespaces(target: string, sources: readonly string[]): void {
    if (this.aggregate.merge === undefined) {
      throw new StateError(`state "${this.stateName}": merging namespaces needs an AggregateFunction with merge()`, { code: "STATE_MERGE_UNSUPPORTED" });
    }
    super.mergeNamespaces(target, sources);
  }

  protected combine(a: ACC, b: ACC): ACC {
    return this.aggregate.merge!(a, b);
  }
}
