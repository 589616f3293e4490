import { JobError } from "../../errors.js";
import type { MapState } from "../../state/api.js";
import { NO_TIMESTAMP } from "../event-time/watermark.js";
import { lifecycleOf, unwrap } from "../functions/functions.js";
import { runtimeContextOf, type Collector } from "../functions/runtime-context.js";
import type { OperatorContext, Output, TwoInputOperator } from "../operator.js";
import type { OutputTag } from "../output-tag.js";
import type { Timer, TimeDomain, TimerService } from "../timers/timer-service.js";
import type { ProcessJoinContext, ProcessJoinFunction } from "./interval-join.js";

/** Configuration of an interval join operator. */
export interface IntervalJoinSpec<T1, T2> {
  /** Smallest `right.ts - left.ts` that joins (ms); excluded itself when `lowerExclusive`. */
  readonly lowerMs: number;
  /** Largest `right.ts - left.ts` that joins (ms); excluded itself when `upperExclusive`. */
  readonly upperMs: number;
  readonly lowerExclusive: boolean;
  readonly upperExclusive: boolean;
  readonly leftLateTag?: OutputTag<T1>;
  readonly rightLateTag?: OutputTag<T2>;
}

/** Keyed state of the left input's buffer (the name is stable: it names the state in snapshots). */
export const LEFT_BUFFER_STATE = "interval-join-left";
/** Keyed state of the right input's buffer. */
export const RIGHT_BUFFER_STATE = "interval-join-right";
const LEFT = "left";
const RIGHT = "right";

/**
 * Flink's `IntervalJoinOperator`: joins each element of one keyed input with the elements of the
 * other input of the same key whose timestamps lie in `[left.ts + lowerMs, left.ts + upperMs]`.
 * Event time only. Each input's elements are buffered in keyed `MapState` (timestamp -> the
 * elements of that timestamp, in arrival order); an arriving element is first added to its own
 * buffer and then joined with the entries of the other buffer in range, so every pair is found
 * exactly once, by whichever of the two arrives second.
 *
 * An element is removed by an event-time timer once the watermark shows that no element it can
 * join with can still arrive: a left element at `ts + max(upperMs, 0)`, a right one at
 * `ts + max(-lowerMs, 0)`. An element at or behind the watermark is late: dropped, or sent to
 * the late side output of its side. (Flink calls late only what is strictly behind the
 * watermark, and then may already have removed the partners of an element exactly at it; with
 * "at or behind", removal is exact.) Results carry the larger of the two timestamps.
 */
export class IntervalJoinOperator<T1, T2, O> implements TwoInputOperator<T1, T2, O> {
  private readonly fn: (left: T1, right: T2, ctx: ProcessJoinContext, out: Collector<O>) => void;
  private left!: MapState<number, T1[]>;
  private right!: MapState<number, T2[]>;
  private timers!: TimerService;
  private out!: Output<O>;
  private readonly ctx = new JoinContext<O>();

  constructor(
    private readonly spec: IntervalJoinSpec<T1, T2>,
    private readonly user: ProcessJoinFunction<T1, T2, O>,
  ) {
    const empty = spec.lowerMs === spec.upperMs && (spec.lowerExclusive || spec.upperExclusive);
    if (!(spec.lowerMs <= spec.upperMs) || empty) {
      throw new JobError(`interval join: the bounds ${spec.lowerMs} ms and ${spec.upperMs} ms leave an empty interval`, {
        code: "INVALID_ARGUMENT",
      });
    }
    this.fn = unwrap(user as never, "processElement");
  }

  async open(ctx: OperatorContext<O>): Promise<void> {
    const backend = ctx.keyedState;
    if (backend === undefined) {
      throw new JobError(`operator "${ctx.operatorName}": an interval join needs two keyed inputs`, { code: "JOB_INVALID" });
    }
    this.left = backend.getPartitionedState({ kind: "map", name: LEFT_BUFFER_STATE }) as MapState<number, T1[]>;
    this.right = backend.getPartitionedState({ kind: "map", name: RIGHT_BUFFER_STATE }) as MapState<number, T2[]>;
    this.timers = ctx.timers;
    this.out = ctx.output;
    this.ctx.out = ctx.output;
    await lifecycleOf(this.user).open?.(runtimeContextOf(ctx as OperatorContext<unknown>));
  }

  processElement1(value: T1, timestamp: number): void {
    if (this.isLate(timestamp)) {
      if (this.spec.leftLateTag !== undefined) this.out.collectSide(this.spec.leftLateTag, value, timestamp);
      return;
    }
    add(this.left, timestamp, value);
    for (const [ts, rights] of this.right.entries()) {
      if (!this.joins(timestamp, ts)) continue;
      for (const r of rights) this.emit(value, r, timestamp, ts);
    }
    this.timers.registerEventTimeTimer(timestamp + Math.max(this.spec.upperMs, 0), LEFT);
  }

  processElement2(value: T2, timestamp: number): void {
    if (this.isLate(timestamp)) {
      if (this.spec.rightLateTag !== undefined) this.out.collectSide(this.spec.rightLateTag, value, timestamp);
      return;
    }
    add(this.right, timestamp, value);
    for (const [ts, lefts] of this.left.entries()) {
      if (!this.joins(ts, timestamp)) continue;
      for (const l of lefts) this.emit(l, value, ts, timestamp);
    }
    this.timers.registerEventTimeTimer(timestamp + Math.max(-this.spec.lowerMs, 0), RIGHT);
  }

  /** A cleanup timer: the elements of one timestamp of one side can no longer join. */
  onTimer(timer: Timer, domain: TimeDomain): void {
    if (domain !== "event") return;
    if (timer.namespace === LEFT) this.left.remove(timer.timestamp - Math.max(this.spec.upperMs, 0));
    else if (timer.namespace === RIGHT) this.right.remove(timer.timestamp - Math.max(-this.spec.lowerMs, 0));
  }

  async close(): Promise<void> {
    await lifecycleOf(this.user).close?.();
  }

  /** Whether elements at these times join: one expression for both inputs, so both agree to the last bit. */
  private joins(leftTs: number, rightTs: number): boolean {
    const d = rightTs - leftTs;
    const { lowerMs, upperMs } = this.spec;
    return (this.spec.lowerExclusive ? d > lowerMs : d >= lowerMs) && (this.spec.upperExclusive ? d < upperMs : d <= upperMs);
  }

  private isLate(timestamp: number): boolean {
    if (timestamp === NO_TIMESTAMP || Number.isNaN(timestamp)) {
      throw new JobError("interval join: an element has no timestamp; assign timestamps with a WatermarkStrategy (interval joins run in event time)", {
        code: "JOB_INVALID",
      });
    }
    return timestamp <= this.timers.currentWatermark();
  }

  private emit(left: T1, right: T2, leftTs: number, rightTs: number): void {
    const ctx = this.ctx;
    ctx.leftTs = leftTs;
    ctx.rightTs = rightTs;
    ctx.ts = Math.max(leftTs, rightTs);
    this.fn(left, right, ctx, ctx);
  }
}

/** Appends `value` to the list of `timestamp`, and writes the list back (as the state API asks). */
function add<T>(buffer: MapState<number, T[]>, timestamp: number, value: T): void {
  const list = buffer.get(timestamp);
  if (list === undefined) buffer.put(timestamp, [value]);
  else {
    list.push(value);
    buffer.put(timestamp, list);
  }
}

/** The one reused context and collector of the join function. */
class JoinContext<O> implements ProcessJoinContext, Collector<O> {
  leftTs = 0;
  rightTs = 0;
  ts = 0;
  out!: Output<O>;

  getLeftTimestamp(): number {
    return this.leftTs;
  }

  getRightTimestamp(): number {
    return this.rightTs;
  }

  getTimestamp(): number {
    return this.ts;
  }

  output<X>(tag: OutputTag<X>, value: X): void {
    this.out.collectSide(tag, value, this.ts);
  }

  collect(value: O): void {
    this.out.collect(value, this.ts);
  }
}
