import type { Trigger, Window } from "../api.js";
import { TriggerResult } from "../api.js";

/** Never fires, as Flink's `GlobalWindows.NeverTrigger`: the default of `GlobalWindows`, which needs a custom trigger. */
export class NeverTrigger implements Trigger<unknown, Window> {
  private static readonly INSTANCE = new NeverTrigger();

  private constructor() {}

  static create(): NeverTrigger {
    return NeverTrigger.INSTANCE;
  }

  onElement(): TriggerResult {
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

  onMerge(): void {}

  clear(): void {}

  toString(): string {
    return "NeverTrigger()";
  }
}
