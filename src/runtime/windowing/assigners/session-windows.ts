import { JobError } from "../../../errors.js";
import type { MergeCallback, MergingWindowAssigner, Trigger, WindowAssignerContext } from "../api.js";
import { EventTimeTrigger } from "../triggers/event-time-trigger.js";
import { ProcessingTimeTrigger } from "../triggers/processing-time-trigger.js";
import { TimeWindow } from "../windows.js";
import { noTimestampError } from "./no-timestamp.js";

/** The session gap of an element, in ms (> 0), as Flink's `SessionWindowTimeGapExtractor`. */
export type SessionWindowTimeGapExtractor<T> = (element: T) => number;

/**
 * Session windows (Flink's `EventTimeSessionWindows`, `DynamicEventTimeSessionWindows` and their
 * processing-time twins share this): an element opens `[t, t + gap)`, and windows that overlap
 * or touch merge into one. The gap is fixed or extracted per element. The namespace of a window
 * is `${start}:${end}`.
 */
export abstract class SessionWindows<T> implements MergingWindowAssigner<T, TimeWindow> {
  protected constructor(
    private readonly gap: number | SessionWindowTimeGapExtractor<T>,
    private readonly eventTime: boolean,
  ) {
    const name = this.constructor.name;
    if (typeof gap === "number" && !(gap > 0 && Number.isFinite(gap))) throw new JobError(`${name} parameters must satisfy 0 < gap, got ${gap}`);
    if (typeof gap !== "number" && typeof gap !== "function") throw new JobError(`${name}: the gap extractor must be a function`);
  }

  assignWindows(element: T, timestamp: number, ctx: WindowAssignerContext): readonly TimeWindow[] {
    const t = this.eventTime ? timestamp : ctx.getCurrentProcessingTime();
    if (!Number.isFinite(t)) throw noTimestampError(this.constructor.name, t);
    const gap = typeof this.gap === "number" ? this.gap : this.gap(element);
    if (typeof this.gap !== "number" && !(gap > 0 && Number.isFinite(gap))) {
      throw new JobError(`${this.constructor.name}: the dynamic session gap must satisfy 0 < gap, got ${gap}`);
    }
    return [new TimeWindow(t, t + gap)];
  }

  mergeWindows(windows: readonly TimeWindow[], callback: MergeCallback<TimeWindow>): void {
    TimeWindow.mergeWindows(windows, callback);
  }

  getDefaultTrigger(): Trigger<T, TimeWindow> {
    return this.eventTime ? EventTimeTrigger.create() : ProcessingTimeTrigger.create();
  }

  isEventTime(): boolean {
    return this.eventTime;
  }

  namespaceOf(window: TimeWindow): string {
    return TimeWindow.namespaceOf(window);
  }

  windowOf(namespace: string): TimeWindow {
    return TimeWindow.fromNamespace(namespace);
  }

  toString(): string {
    return `${this.constructor.name}(${typeof this.gap === "number" ? this.gap : "dynamic"})`;
  }
}
