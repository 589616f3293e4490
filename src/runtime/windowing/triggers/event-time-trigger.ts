import type { Trigger, TriggerContext, OnMergeContext, Window } from "../api.js";
import { TriggerResult } from "../api.js";

/**
 * Fires once the watermark passes the window's end (`maxTimestamp()`), as Flink's
 * `EventTimeTrigger`; an element added after that (within the allowed lateness) fires again at
 * once. The default trigger of the event-time assigners. Supports merging windows.
 */
export class EventTimeTrigger implements Trigger<unknown, Window> {
  private static readonly INSTANCE = new EventTimeTrigger();

  private constructor() {}

  /** The (stateless, shared) trigger. */
  static create(): EventTimeTrigger {
    return EventTimeTrigger.INSTANCE;
  }

  onElement(_element: unknown, _timestamp: number, window: Window, ctx: TriggerContext): TriggerResult {
    const maxTs = window.maxTimestamp();
    if (maxTs <= ctx.getCurrentWatermark()) return TriggerResult.FIRE; // the watermark is already past the window
    ctx.registerEventTimeTimer(maxTs);
    return TriggerResult.CONTINUE;
  }

  onEventTime(time: number, window: Window): TriggerResult {
    return time === window.maxTimestamp() ? TriggerResult.FIRE : TriggerResult.CONTINUE;
  }

  onProcessingTime(): TriggerResult {
    return TriggerResult.CONTINUE;
  }

  canMerge(): boolean {
    return true;
  }

  onMerge(window: Window, ctx: OnMergeContext): void {
    // only register a timer if the watermark is not yet past the end of the merged window;
    // otherwise onElement fires the merged window at once
    const maxTs = window.maxTimestamp();
    if (maxTs > ctx.getCurrentWatermark()) ctx.registerEventTimeTimer(maxTs);
  }

  clear(window: Window, ctx: TriggerContext): void {
    ctx.deleteEventTimeTimer(window.maxTimestamp());
  }

  toString(): string {
    return "EventTimeTrigger()";
  }
}
