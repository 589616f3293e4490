import type { OnMergeContext, Trigger, TriggerContext, Window } from "../api.js";
import { TriggerResult } from "../api.js";

/**
 * Fires when processing time reaches the window's end (`maxTimestamp()`), as Flink's
 * `ProcessingTimeTrigger`. The default trigger of the processing-time assigners. Supports
 * merging windows.
 */
export class ProcessingTimeTrigger implements Trigger<unknown, Window> {
  private static readonly INSTANCE = new ProcessingTimeTrigger();

  private constructor() {}

  /** The (stateless, shared) trigger. */
  static create(): ProcessingTimeTrigger {
    return ProcessingTimeTrigger.INSTANCE;
  }

  onElement(_element: unknown, _timestamp: number, window: Window, ctx: TriggerContext): TriggerResult {
    ctx.registerProcessingTimeTimer(window.maxTimestamp());
    return TriggerResult.CONTINUE;
  }

  onEventTime(): TriggerResult {
    return TriggerResult.CONTINUE;
  }

  onProcessingTime(): TriggerResult {
    return TriggerResult.FIRE;
  }

  canMerge(): boolean {
    return true;
  }

  onMerge(window: Window, ctx: OnMergeContext): void {
    // only register a timer if the time is not yet past the end of the merged window
    const maxTs = window.maxTimestamp();
    if (maxTs > ctx.getCurrentProcessingTime()) ctx.registerProcessingTimeTimer(maxTs);
  }

  clear(window: Window, ctx: TriggerContext): void {
    ctx.deleteProcessingTimeTimer(window.maxTimestamp());
  }

  toString(): string {
    return "ProcessingTimeTrigger()";
  }
}
