import { JobError } from "../../errors.js";
import type { StateKey } from "../../state/api.js";
import type { DataStream } from "../datastream/data-stream.js";
import type { Collector, RichFunction } from "../functions/runtime-context.js";
import type { KeySelector } from "../operator.js";
import type { Trigger, Window, WindowAssigner } from "../windowing/api.js";
import { InternalProcessWindowFunction } from "../windowing/operator/internal-window-function.js";
import type { ProcessWindowContext } from "../windowing/window-functions.js";
import { WindowedStream } from "../windowing/windowed-stream.js";
import { taggedAssigner, taggedTrigger, type TaggedEvictor, type TaggedUnion } from "./co-group-tagged-union.js";

/** Both inputs' elements of one key and window, as Flink's `CoGroupFunction`: a function, or an object with `coGroup`. */
export type CoGroupFunction<T1, T2, O> =
  | ((first: readonly T1[], second: readonly T2[], out: Collector<O>) => void)
  | (RichFunction & { coGroup(first: readonly T1[], second: readonly T2[], out: Collector<O>): void });

/**
 * Two streams grouped by key and window together, as Flink's `CoGroupedStreams`:
 * `new CoGroupedStreams(a, b).where(ka).equalTo(kb).window(assigner).apply(fn)` calls `fn` once per
 * key and window with the elements of each side (either may be empty). Implemented as Flink does:
 * the inputs are tagged, unioned, keyed and windowed as one stream. The window join is built on it.
 */
export class CoGroupedStreams<T1, T2> {
  constructor(
    readonly first: DataStream<T1>,
    readonly second: DataStream<T2>,
  ) {
    if (first.env !== second.env) throw new JobError("coGroup: the streams belong to different environments");
  }

  /** The key of the first input. */
  where<K extends StateKey>(keySelector: KeySelector<T1, K>): CoGroupWhere<T1, T2, K> {
    return new CoGroupWhere(this, keySelector);
  }
}

/** `coGroup(...).where(k1)`: awaits the second input's key. */
export class CoGroupWhere<T1, T2, K extends StateKey> {
  constructor(
    readonly streams: CoGroupedStreams<T1, T2>,
    readonly keySelector1: KeySelector<T1, K>,
  ) {}

  /** The key of the second input (same meaning as the first's). */
  equalTo(keySelector: KeySelector<T2, K>): CoGroupEqualTo<T1, T2, K> {
    return new CoGroupEqualTo(this.streams, this.keySelector1, keySelector);
  }
}

/** `coGroup(...).where(k1).equalTo(k2)`: awaits the window assigner. */
export class CoGroupEqualTo<T1, T2, K extends StateKey> {
  constructor(
    readonly streams: CoGroupedStreams<T1, T2>,
    readonly keySelector1: KeySelector<T1, K>,
    readonly keySelector2: KeySelector<T2, K>,
  ) {}

  /** The windows both inputs are grouped by (the assigner sees the inputs' values). */
  window<W extends Window>(assigner: WindowAssigner<T1 | T2, W>): CoGroupWithWindow<T1, T2, K, W> {
    return new CoGroupWithWindow(this.streams, this.keySelector1, this.keySelector2, assigner);
  }
}

/** A coGroup with its window: set trigger, evictor and lateness, then `apply`. */
export class CoGroupWithWindow<T1, T2, K extends StateKey, W extends Window> {
  private windowTrigger: Trigger<T1 | T2, W> | undefined;
  private windowEvictor: TaggedEvictor<T1, T2, W> | undefined;
  private latenessMs = 0;

  constructor(
    readonly streams: CoGroupedStreams<T1, T2>,
    readonly keySelector1: KeySelector<T1, K>,
    readonly keySelector2: KeySelector<T2, K>,
    readonly assigner: WindowAssigner<T1 | T2, W>,
  ) {}

  trigger(trigger: Trigger<T1 | T2, W>): this {
    this.windowTrigger = trigger;
    return this;
  }

  /** An evictor over the tagged records (`{ tag: 1 | 2, value }`), as in Flink. */
  evictor(evictor: TaggedEvictor<T1, T2, W>): this {
    this.windowEvictor = evictor;
    return this;
  }

  allowedLateness(ms: number): this {
    this.latenessMs = ms;
    return this;
  }

  /** Calls `fn` once per key and window with each side's elements. */
  apply<O>(fn: CoGroupFunction<T1, T2, O>, name = "CoGroup"): DataStream<O> {
    const call = typeof fn === "function" ? fn : typeof fn?.coGroup === "function" ? fn.coGroup.bind(fn) : undefined;
    if (call === undefined) throw new JobError("coGroup: expected a CoGroupFunction (a function, or an object with coGroup())");
    const { first, second } = this.streams;
    const k1 = this.keySelector1;
    const k2 = this.keySelector2;
    const tagged1 = first.map((value): TaggedUnion<T1, T2> => ({ tag: 1, value })).name(`${name}: tag input 1`);
    const tagged2 = second.map((value): TaggedUnion<T1, T2> => ({ tag: 2, value })).name(`${name}: tag input 2`);
    const keyed = tagged1.union(tagged2).keyBy((t): K => (t.tag === 1 ? k1(t.value) : k2(t.value)));
    const windowed = new WindowedStream<TaggedUnion<T1, T2>, K, W>(keyed, taggedAssigner<T1, T2, W>(this.assigner));
    if (this.windowTrigger !== undefined) windowed.trigger(taggedTrigger(this.windowTrigger));
    if (this.windowEvictor !== undefined) windowed.evictor(this.windowEvictor);
    windowed.allowedLateness(this.latenessMs);
    const rich: RichFunction = typeof fn === "function" ? {} : fn;
    const process = {
      open: rich.open?.bind(rich),
      close: rich.close?.bind(rich),
      process(_key: K, _ctx: ProcessWindowContext<W>, elements: ReadonlyArray<TaggedUnion<T1, T2>>, out: Collector<O>): void {
        const one: T1[] = [];
        const two: T2[] = [];
        for (const e of elements) {
          if (e.tag === 1) one.push(e.value);
          else two.push(e.value);
        }
        call(one, two, out);
      },
    };
    return windowed.build<never, TaggedUnion<T1, T2>, O>(name, undefined, new InternalProcessWindowFunction(process)).name(name);
  }
}
