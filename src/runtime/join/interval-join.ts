import { JobError } from "../../errors.js";
import type { StateKey } from "../../state/api.js";
import { ConnectedStreams } from "../datastream/connected-streams.js";
import type { DataStream } from "../datastream/data-stream.js";
import type { KeyedStream } from "../datastream/keyed-stream.js";
import type { Collector, RichFunction } from "../functions/runtime-context.js";
import type { OutputTag } from "../output-tag.js";
import { IntervalJoinOperator } from "./interval-join-operator.js";

/** What a join function sees besides the pair, as Flink's `ProcessJoinFunction.Context`. Reused: do not keep it. */
export interface ProcessJoinContext {
  /** Timestamp of the left element (ms). */
  getLeftTimestamp(): number;
  /** Timestamp of the right element (ms). */
  getRightTimestamp(): number;
  /** Timestamp of the result: the larger of the two. */
  getTimestamp(): number;
  /** Emits to a side output, with the result's timestamp. */
  output<X>(tag: OutputTag<X>, value: X): void;
}

/**
 * Called for every joined pair, as Flink's `ProcessJoinFunction`: a function, or an object with
 * `processElement` and optional `open`/`close`. Results emitted through `out` carry the larger
 * of the two timestamps.
 */
export type ProcessJoinFunction<T1, T2, O> =
  | ((left: T1, right: T2, ctx: ProcessJoinContext, out: Collector<O>) => void)
  | (RichFunction & { processElement(left: T1, right: T2, ctx: ProcessJoinContext, out: Collector<O>): void });

/**
 * The first step of an interval join, as Flink's `KeyedStream.IntervalJoin`:
 * `a.keyBy(k).intervalJoin(b.keyBy(k)).between(lowerMs, upperMs).process(fn)` joins every `a`
 * with every `b` of the same key such that `a.ts + lowerMs <= b.ts <= a.ts + upperMs`. Both
 * inputs must be keyed with keys of the same meaning. Event time only, as in Flink.
 */
export class IntervalJoin<T1, T2, K extends StateKey = StateKey> {
  declare readonly __k?: K;

  constructor(
    readonly first: KeyedStream<T1, any>,
    readonly second: KeyedStream<T2, any>,
  ) {
    if (first.env !== second.env) throw new JobError("intervalJoin: the two streams belong to different environments");
  }

  /** Interval joins run in event time (the only mode, as in Flink); kept for Flink's API. */
  inEventTime(): this {
    return this;
  }

  /** Interval joins need event time: throws, as Flink does. */
  inProcessingTime(): never {
    throw new JobError("intervalJoin: only event time is supported (as in Flink)", { code: "INVALID_ARGUMENT" });
  }

  /**
   * The relative interval (ms, both inclusive unless made exclusive): a right element joins a
   * left one when `left.ts + lowerMs <= right.ts <= left.ts + upperMs`. Bounds may be negative.
   */
  between(lowerMs: number, upperMs: number): IntervalJoined<T1, T2, K> {
    for (const [name, v] of [
      ["lower", lowerMs],
      ["upper", upperMs],
    ] as const) {
      if (typeof v !== "number" || !Number.isFinite(v)) {
        throw new JobError(`intervalJoin.between: the ${name} bound must be a finite number of ms, got ${String(v)}`, { code: "INVALID_ARGUMENT" });
      }
    }
    if (lowerMs > upperMs) {
      throw new JobError(`intervalJoin.between: the lower bound (${lowerMs}) must not exceed the upper bound (${upperMs})`, {
        code: "INVALID_ARGUMENT",
      });
    }
    return new IntervalJoined<T1, T2, K>(this.first, this.second, { lowerMs, upperMs, lowerExclusive: false, upperExclusive: false });
  }
}

interface Bounds<T1, T2> {
  readonly lowerMs: number;
  readonly upperMs: number;
  readonly lowerExclusive: boolean;
  readonly upperExclusive: boolean;
  readonly leftLateTag?: OutputTag<T1>;
  readonly rightLateTag?: OutputTag<T2>;
}

/** An interval join with its bounds, as Flink's `IntervalJoined`. Immutable: each setting returns a new one. */
export class IntervalJoined<T1, T2, K extends StateKey = StateKey> {
  declare readonly __k?: K;

  /** @internal use `IntervalJoin.between` */
  constructor(
    private readonly first: KeyedStream<T1, any>,
    private readonly second: KeyedStream<T2, any>,
    private readonly bounds: Bounds<T1, T2>,
  ) {}

  /** `left.ts + lowerMs < right.ts` instead of `<=`. */
  lowerBoundExclusive(): IntervalJoined<T1, T2, K> {
    return this.with({ lowerExclusive: true });
  }

  /** `right.ts < left.ts + upperMs` instead of `<=`. */
  upperBoundExclusive(): IntervalJoined<T1, T2, K> {
    return this.with({ upperExclusive: true });
  }

  /** Left elements that arrive at or behind the watermark go to `tag` (by default they are dropped). */
  sideOutputLeftLateData(tag: OutputTag<T1>): IntervalJoined<T1, T2, K> {
    return this.with({ leftLateTag: tag });
  }

  /** Right elements that arrive at or behind the watermark go to `tag` (by default they are dropped). */
  sideOutputRightLateData(tag: OutputTag<T2>): IntervalJoined<T1, T2, K> {
    return this.with({ rightLateTag: tag });
  }

  /** Calls `fn` for every joined pair; its results form the returned stream. */
  process<O>(fn: ProcessJoinFunction<T1, T2, O>): DataStream<O> {
    const valid = typeof fn === "function" || (typeof fn === "object" && fn !== null && typeof fn.processElement === "function");
    if (!valid) throw new JobError("intervalJoin.process: expected a function or an object with processElement()", { code: "INVALID_ARGUMENT" });
    const b = this.bounds;
    if (b.lowerMs === b.upperMs && (b.lowerExclusive || b.upperExclusive)) {
      throw new JobError(`intervalJoin: an exclusive bound makes the interval [${b.lowerMs}, ${b.upperMs}] empty`, { code: "INVALID_ARGUMENT" });
    }
    const spec = { ...b };
    return new ConnectedStreams<T1, T2>(this.first.env, this.first, this.second).twoInput<O>(
      "IntervalJoin",
      () => new IntervalJoinOperator<T1, T2, O>(spec, fn),
    );
  }

  private with(changes: Partial<Bounds<T1, T2>>): IntervalJoined<T1, T2, K> {
    return new IntervalJoined<T1, T2, K>(this.first, this.second, { ...this.bounds, ...changes });
  }
}
