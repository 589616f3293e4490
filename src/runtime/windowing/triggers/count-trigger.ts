import { JobError } from "../../../errors.js";
import { ReducingStateDescriptor } from "../../../state/descriptors.js";
import type { OnMergeContext, Trigger, TriggerContext, Window } from "../api.js";
import { TriggerResult } from "../api.js";

const sum = (a: number, b: number): number => a + b;

/**
 * Fires every `maxCount` elements of a window, as Flink's `CountTrigger`: a count per (key,
 * window) in reducing state named "count", reset when it fires. It does not purge (wrap it in
 * `PurgingTrigger` for tumbling count windows). Supports merging windows (the counts add up).
 */
export class CountTrigger<W extends Window = Window> implements Trigger<unknown, W> {
  private readonly stateDesc = new ReducingStateDescriptor<number>("count", sum);

  private constructor(readonly maxCount: number) {}

  /** A trigger firing every `maxCount` (an integer >= 1) elements. */
  static of<W extends Window = Window>(maxCount: number): CountTrigger<W> {
    if (!Number.isInteger(maxCount) || maxCount < 1) throw new JobError(`CountTrigger.of: expected an integer >= 1, got ${maxCount}`);
    return new CountTrigger<W>(maxCount);
  }

  onElement(_element: unknown, _timestamp: number, _window: W, ctx: TriggerContext): TriggerResult {
    const count = ctx.getPartitionedState(this.stateDesc);
    count.add(1);
    if (count.get()! >= this.maxCount) {
      count.clear();
      return TriggerResult.FIRE;
    }
    return TriggerResult.CONTINUE;
  }

  onEventTime(): TriggerResult {
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
  }

  clear(_window: W, ctx: TriggerContext): void {
    ctx.getPartitionedState(this.stateDesc).clear();
  }

  toString(): string {
    return `CountTrigger(${this.maxCount})`;
  }
}
