import type { Trigger, TriggerContext, Window, WindowAssigner, WindowAssignerContext } from "../api.js";
import { TriggerResult } from "../api.js";
import { NeverTrigger } from "../triggers/never-trigger.js";
import { GlobalWindow } from "../windows.js";

const ONLY: readonly GlobalWindow[] = [GlobalWindow.get()];

/**
 * One window per key holding all its elements, as Flink's `GlobalWindows`. Its default trigger
 * never fires: give it one (`CountTrigger` for count windows, as `countWindow` does), or use
 * `createWithEndOfStreamTrigger()` to fire once at the end of a bounded input. Not an event-time
 * assigner: nothing is late and the window is never cleaned up. Its namespace is "g".
 */
export class GlobalWindows<T = unknown> implements WindowAssigner<T, GlobalWindow> {
  private constructor(private readonly defaultTrigger: Trigger<unknown, Window>) {}

  /** Global windows with the never-firing default trigger. */
  static create<T = unknown>(): GlobalWindows<T> {
    return new GlobalWindows<T>(NeverTrigger.create());
  }

  /** Global windows that fire once when the input ends (the watermark reaches the end of time). */
  static createWithEndOfStreamTrigger<T = unknown>(): GlobalWindows<T> {
    return new GlobalWindows<T>(EndOfStreamTrigger.INSTANCE);
  }

  assignWindows(_element?: T, _timestamp?: number, _ctx?: WindowAssignerContext): readonly GlobalWindow[] {
    return ONLY;
  }

  getDefaultTrigger(): Trigger<T, GlobalWindow> {
    return this.defaultTrigger;
  }

  isEventTime(): boolean {
    return false;
  }

  namespaceOf(_window?: GlobalWindow): string {
    return "g";
  }

  windowOf(_namespace?: string): GlobalWindow {
    return GlobalWindow.get();
  }

  toString(): string {
    return "GlobalWindows()";
  }
}

/** Fires when the watermark reaches the window's max timestamp: for a global window, at the end of input. */
class EndOfStreamTrigger implements Trigger<unknown, Window> {
  static readonly INSTANCE = new EndOfStreamTrigger();

  onElement(_element: unknown, _timestamp: number, window: Window, ctx: TriggerContext): TriggerResult {
    ctx.registerEventTimeTimer(window.maxTimestamp());
    return TriggerResult.CONTINUE;
  }

  onEventTime(time: number, window: Window): TriggerResult {
    return time === window.maxTimestamp() ? TriggerResult.FIRE : TriggerResult.CONTINUE;
  }

  onProcessingTime(): TriggerResult {
    return TriggerResult.CONTINUE;
  }

  clear(window: Window, ctx: TriggerContext): void {
    ctx.deleteEventTimeTimer(window.maxTimestamp());
  }

  toString(): string {
    return "EndOfStreamTrigger()";
  }
}
