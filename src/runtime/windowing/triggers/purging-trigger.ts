import type { OnMergeContext, Trigger, TriggerContext, Window } from "../api.js";
import { TriggerResult, isFire } from "../api.js";

/**
 * Turns every FIRE of the nested trigger into FIRE_AND_PURGE, as Flink's `PurgingTrigger`: the
 * window's contents are cleared each time it fires (`countWindow(n)` is
 * `PurgingTrigger.of(CountTrigger.of(n))` on global windows).
 */
export class PurgingTrigger<T, W extends Window> implements Trigger<T, W> {
  private constructor(readonly nestedTrigger: Trigger<T, W>) {}

  static of<T, W extends Window>(nestedTrigger: Trigger<T, W>): PurgingTrigger<T, W> {
    return new PurgingTrigger(nestedTrigger);
  }

  onElement(element: T, timestamp: number, window: W, ctx: TriggerContext): TriggerResult {
    return purging(this.nestedTrigger.onElement(element, timestamp, window, ctx));
  }

  onEventTime(time: number, window: W, ctx: TriggerContext): TriggerResult {
    return purging(this.nestedTrigger.onEventTime(time, window, ctx));
  }

  onProcessingTime(time: number, window: W, ctx: TriggerContext): TriggerResult {
    return purging(this.nestedTrigger.onProcessingTime(time, window, ctx));
  }

  canMerge(): boolean {
    return this.nestedTrigger.canMerge?.() ?? false;
  }

  onMerge(window: W, ctx: OnMergeContext): void {
    this.nestedTrigger.onMerge?.(window, ctx);
  }

  clear(window: W, ctx: TriggerContext): void {
    this.nestedTrigger.clear(window, ctx);
  }

  toString(): string {
    return `PurgingTrigger(${this.nestedTrigger.toString()})`;
  }
}

function purging(r: TriggerResult): TriggerResult {
  return isFire(r) ? TriggerResult.FIRE_AND_PURGE : r;
}
