import { JobError } from "../../../errors.js";
import { ReducingStateDescriptor } from "../../../state/descriptors.js";
import type { OnMergeContext, Trigger, TriggerContext, Window } from "../api.js";
import { TriggerResult } from "../api.js";
import { TimeWindow } from "../windows.js";

const min = (a: number, b: number): number => Math.min(a, b);

/**
 * Fires every `intervalMs` of processing time while the window has elements, as Flink's
 * `ContinuousProcessingTimeTrigger`; on a processing-time window it also fires at the window's
 * end (the operator's cleanup timer). The next fire time per (key, window) is reducing state named
 * "fire-time". It does not purge. Supports merging windows.
 */
export class ContinuousProcessingTimeTrigger<W extends Window = Window> implements Trigger<unknown, W> {
  private readonly stateDesc = new ReducingStateDescriptor<number>("fire-time", min);

  private constructor(readonly intervalMs: number) {}

  /** A trigger firing every `intervalMs` (> 0) of processing time. */
  static of<W extends Window = Window>(intervalMs: number): ContinuousProcessingTimeTrigger<W> {
    if (!(intervalMs > 0) || !Number.isFinite(intervalMs)) {
      throw new JobError(`ContinuousProcessingTimeTrigger.of: interval must be > 0 ms, got ${intervalMs}`);
    }
    return new ContinuousProcessingTimeTrigger<W>(intervalMs);
  }

  onElement(_element: unknown, _timestamp: number, window: W, ctx: TriggerContext): TriggerResult {
    const fireTime = ctx.getPartitionedState(this.stateDesc);
    if (fireTime.get() === undefined) {
      const now = ctx.getCurrentProcessingTime();
      this.registerNext(TimeWindow.getWindowStartWithOffset(now, 0, this.intervalMs), window, ctx);
    }
    return TriggerResult.CONTINUE;
  }

  onEventTime(): TriggerResult {
    return TriggerResult.CONTINUE;
  }

  onProcessingTime(time: number, window: W, ctx: TriggerContext): TriggerResult {
    if (time === window.maxTimestamp()) return TriggerResult.FIRE;
    const fireTime = ctx.getPartitionedState(this.stateDesc);
    if (fireTime.get() === time) {
      fireTime.clear();
      this.registerNext(time, window, ctx);
      return TriggerResult.FIRE;
    }
    return TriggerResult.CONTINUE;
  }

  canMerge(): boolean {
    return true;
  }

  onMerge(_window: W, ctx: OnMergeContext): void {
    ctx.mergePartitionedState(this.stateDesc);
    const next = ctx.getPartitionedState(this.stateDesc).get();
    if (next !== undefined) ctx.registerProcessingTimeTimer(next);
  }

  clear(_window: W, ctx: TriggerContext): void {
    const fireTime = ctx.getPartitionedState(this.stateDesc);
    const ts = fireTime.get();
    if (ts !== undefined) {
      ctx.deleteProcessingTimeTimer(ts);
      fireTime.clear();
    }
  }

  private registerNext(time: number, window: W, ctx: TriggerContext): void {
    const next = Math.min(time + this.intervalMs, window.maxTimestamp());
    ctx.getPartitionedState(this.stateDesc).add(next);
    ctx.registerProcessingTimeTimer(next);
  }

  toString(): string {
    return `ContinuousProcessingTimeTrigger(${this.intervalMs})`;
  }
}
