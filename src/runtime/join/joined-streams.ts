import type { StateKey } from "../../state/api.js";
import type { DataStream } from "../datastream/data-stream.js";
import type { Collector, RichFunction } from "../functions/runtime-context.js";
import type { KeySelector } from "../operator.js";
import type { Trigger, Window, WindowAssigner } from "../windowing/api.js";
import { JobError } from "../../errors.js";
import type { TaggedEvictor } from "./co-group-tagged-union.js";
import { CoGroupedStreams, type CoGroupWithWindow } from "./co-grouped-streams.js";

/** Joins a pair of elements into one result, as Flink's `JoinFunction`. */
export type JoinFunction<T1, T2, O> = ((first: T1, second: T2) => O) | (RichFunction & { join(first: T1, second: T2): O });

/**
 * Joins a pair into zero or more results, as Flink's `FlatJoinFunction`. A function (or `join`
 * method) declaring three parameters `(first, second, out)` is taken as a flat join.
 */
export type FlatJoinFunction<T1, T2, O> =
  | ((first: T1, second: T2, out: Collector<O>) => void)
  | (RichFunction & { join(first: T1, second: T2, out: Collector<O>): void });

/**
 * A window join of two streams, as Flink's `JoinedStreams`:
 * `a.join(b).where(ka).equalTo(kb).window(assigner).apply((x, y) => ...)` emits, for every key and
 * window, the join function of every pair of an element of `a` and one of `b` in that window with
 * that key (an inner join; first-input-major order). Built on `CoGroupedStreams`.
 */
export class JoinedStreams<T1, T2> {
  constructor(
    readonly first: DataStream<T1>,
    readonly second: DataStream<T2>,
  ) {}

  /** The key of the first input. */
  where<K extends StateKey>(keySelector: KeySelector<T1, K>): JoinWhere<T1, T2, K> {
    return new JoinWhere(this, keySelector);
  }
}

/** `join(...).where(k1)`: awaits the second input's key. */
export class JoinWhere<T1, T2, K extends StateKey> {
  constructor(
    readonly streams: JoinedStreams<T1, T2>,
    readonly keySelector1: KeySelector<T1, K>,
  ) {}

  equalTo(keySelector: KeySelector<T2, K>): JoinEqualTo<T1, T2, K> {
    return new JoinEqualTo(this.streams, this.keySelector1, keySelector);
  }
}

/** `join(...).where(k1).equalTo(k2)`: awaits the window assigner. */
export class JoinEqualTo<T1, T2, K extends StateKey> {
  constructor(
    readonly streams: JoinedStreams<T1, T2>,
    readonly keySelector1: KeySelector<T1, K>,
    readonly keySelector2: KeySelector<T2, K>,
  ) {}

  window<W extends Window>(assigner: WindowAssigner<T1 | T2, W>): JoinWithWindow<T1, T2, K, W> {
    const coGroup = new CoGroupedStreams(this.streams.first, this.streams.second).where(this.keySelector1).equalTo(this.keySelector2).window(assigner);
    return new JoinWithWindow(coGroup);
  }
}

/** A window join with its window: set trigger, evictor and lateness, then `apply`. */
export class JoinWithWindow<T1, T2, K extends StateKey, W extends Window> {
  constructor(private readonly coGroup: CoGroupWithWindow<T1, T2, K, W>) {}

  trigger(trigger: Trigger<T1 | T2, W>): this {
    this.coGroup.trigger(trigger);
    return this;
  }

  evictor(evictor: TaggedEvictor<T1, T2, W>): this {
    this.coGroup.evictor(evictor);
    return this;
  }

  allowedLateness(ms: number): this {
    this.coGroup.allowedLateness(ms);
    return this;
  }

  /** Emits `fn(a, b)` for every pair (or what a flat join function emits). */
  apply<O>(fn: JoinFunction<T1, T2, O>): DataStream<O>;
  apply<O>(fn: FlatJoinFunction<T1, T2, O>): DataStream<O>;
  apply<O>(fn: JoinFunction<T1, T2, O> | FlatJoinFunction<T1, T2, O>): DataStream<O> {
    const method = typeof fn === "function" ? fn : typeof fn?.join === "function" ? fn.join.bind(fn) : undefined;
    if (method === undefined) throw new JobError("join: expected a JoinFunction (a function, or an object with join())");
    const arity = typeof fn === "function" ? fn.length : fn.join.length;
    const rich: RichFunction = typeof fn === "function" ? {} : fn;
    const coGroup = {
      open: rich.open?.bind(rich),
      close: rich.close?.bind(rich),
      coGroup:
        arity >= 3
          ? (first: readonly T1[], second: readonly T2[], out: Collector<O>) => {
              const join = method as (a: T1, b: T2, out: Collector<O>) => void;
              for (const a of first) for (const b of second) join(a, b, out);
            }
          : (first: readonly T1[], second: readonly T2[], out: Collector<O>) => {
              const join = method as (a: T1, b: T2) => O;
              for (const a of first) for (const b of second) out.collect(join(a, b));
            },
    };
    return this.coGroup.apply(coGroup, "Window Join");
  }
}
