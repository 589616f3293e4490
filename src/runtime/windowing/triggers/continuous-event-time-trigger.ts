import { JobError } from "../../../errors.js";
import { ReducingStateDescriptor } from "../../../state/descriptors.js";
import type { OnMergeContext, Trigger, TriggerContext, Window } from "../api.js";
import { TriggerResult } from "../api.js";
import { TimeWindow } from "../windows.js";

const min = (a: number, b: number): number => Math.min(a, b);

/**
 * Fires every `intervalMs` of event time while the window is open, and at its end, as Flink's
 * `ContinuousEventTimeTrigger` (early results of a long window). The next fire time per (key,
 * window) is reducing state named "fire-time". It does not purge. Supports merging windows.
 */
export class ContinuousEventTimeTrigger<W extends Window = Window> implements Trigger<unknown, W> {
  private readonly stateDesc = new ReducingStateDescriptor<number>("fire-time", min);

  private constructor(readonly intervalMs: number) {}

  /** A trigger firing every `intervalMs` (> 0) of event time. */
  static of<W extends Window = Window>(intervalMs: number): ContinuousEventTimeTrigger<W> {
    if (!(intervalMs > 0) || !Number.isFinite(intervalMs)) throw new JobError(`ContinuousEventTimeTrigger.of: interval must be > 0 ms, got ${intervalMs}`);
    return new ContinuousEventTimeTrigger<W>(intervalMs);
  }

  onElement(_element: unknown, timestamp: number, window: W, ctx: TriggerContext): TriggerResult {
    const maxTs = window.maxTimestamp();
    if (maxTs <= ctx.getCurrentWatermark()) return TriggerResult.FIRE; // the watermark is already past the window
    ctx.registerEventTimeTimer(maxTs);
    const fireTime = ctx.getPartitionedState(this.stateDesc);
    if (fireTime.get() === undefined) {
      this.registerNext(TimeWindow.getWindowStartWithOffset(timestamp, 0, this.intervalMs), window, ctx);
    }
    return TriggerResult.CONTINUE;
  }

  onEventTime(time: number, window: W, ctx: TriggerContext): TriggerResult {
    if (time === window.maxTimestamp()) return TriggerResult.FIRE;
    const fireTime = ctx.getPartitionedState(this.stateDesc);
    if (fireTime.get() === time) {
      fireTime.clear();
      this.registerNext(time, window, ctx);
      return TriggerResult.FIRE;
    }
    return TriggerResult.CONTINUE;
  }

  onProcessingTime(): TriggerResult {
    return TriggerResult.CONTINUE;
  }

  canMerge(): boolean {
    return true;
  }

  onMerge(_window: W, ctx: OnMergeContext): void {
    ctx.mergePartitionedState(this.stateDesc);
    const next = ctx.getPartitionedState(this.stateDesc).get();
    if (next !== undefined) ctx.registerEventTimeTimer(next);
  }

  clear(_window: W, ctx: TriggerContext): void {
    const fireTime = ctx.getPartitionedState(this.stateDesc);
    const ts = fireTime.get();
    if (ts !== undefined) {
      ctx.deleteEventTimeTimer(ts);
      fireTime.clear();
    }
  }

  private registerNext(time: number, window: W, ctx: TriggerContext): void {
    const next = Math.min(time + this.intervalMs, window.maxTimestamp());
    ctx.getPartitionedState(this.stateDesc).add(next);
    ctx.registerEventTimeTimer(next);
  }

  toString(): string {
    return `ContinuousEventTimeTrigger(${this.intervalMs})`;
  }
}
