import { JobError } from "../../../errors.js";
import type { Trigger, WindowAssigner, WindowAssignerContext } from "../api.js";
import { EventTimeTrigger } from "../triggers/event-time-trigger.js";
import { ProcessingTimeTrigger } from "../triggers/processing-time-trigger.js";
import { TimeWindow } from "../windows.js";
import { checkMs, noTimestampError } from "./no-timestamp.js";

const NONE: readonly TimeWindow[] = [];

/**
 * Cumulating windows, as Flink's `CumulativeWindowAssigner` (the table runtime's CUMULATE): time
 * is cut into periods of `maxSizeMs` (aligned to `offsetMs`); within a period `[start, start +
 * maxSize)` the windows are `[start, start + step)`, `[start, start + 2·step)`, ... up to the
 * whole period, and an element belongs to each of them that contains it. `maxSize` must be a
 * multiple of `step`. The windows of one step are kept (two comparisons per element, no
 * allocation). The namespace of a window is its end (the start follows from it).
 */
export abstract class CumulativeWindows implements WindowAssigner<unknown, TimeWindow> {
  private last: readonly TimeWindow[] = NONE;
  private lo = Number.POSITIVE_INFINITY;
  private hi = Number.NEGATIVE_INFINITY;

  protected constructor(
    readonly maxSizeMs: number,
    readonly stepMs: number,
    readonly offsetMs: number,
    private readonly eventTime: boolean,
  ) {
    const name = this.constructor.name;
    checkMs(`${name}: max size`, maxSizeMs, true);
    checkMs(`${name}: step`, stepMs, true);
    checkMs(`${name}: offset`, offsetMs, false);
    if (maxSizeMs % stepMs !== 0) {
      throw new JobError(`${name} requires maxSize to be an integral multiple of step, got maxSize ${maxSizeMs} and step ${stepMs}`);
    }
    if (Math.abs(offsetMs) >= maxSizeMs) throw new JobError(`${name} parameters must satisfy abs(offset) < maxSize, got offset ${offsetMs}`);
  }

  assignWindows(_element: unknown, timestamp: number, ctx: WindowAssignerContext): readonly TimeWindow[] {
    const t = this.eventTime ? timestamp : ctx.getCurrentProcessingTime();
    if (t >= this.lo && t < this.hi) return this.last;
    if (!Number.isFinite(t)) throw noTimestampError(this.constructor.name, t);
    const start = TimeWindow.getWindowStartWithOffset(t, this.offsetMs, this.maxSizeMs);
    const lastEnd = start + this.maxSizeMs;
    const firstEnd = TimeWindow.getWindowStartWithOffset(t, this.offsetMs, this.stepMs) + this.stepMs;
    const windows: TimeWindow[] = [];
    for (let end = firstEnd; end <= lastEnd; end += this.stepMs) windows.push(new TimeWindow(start, end));
    this.lo = firstEnd - this.stepMs;
    this.hi = firstEnd;
    this.last = windows;
    return windows;
  }

  getDefaultTrigger(): Trigger<unknown, TimeWindow> {
    return this.eventTime ? EventTimeTrigger.create() : ProcessingTimeTrigger.create();
  }

  isEventTime(): boolean {
    return this.eventTime;
  }

  namespaceOf(window: TimeWindow): string {
    return String(window.end);
  }

  windowOf(namespace: string): TimeWindow {
    const end = Number(namespace);
    return new TimeWindow(TimeWindow.getWindowStartWithOffset(end - this.stepMs, this.offsetMs, this.maxSizeMs), end);
  }

  toString(): string {
    return `${this.constructor.name}(${this.maxSizeMs}, ${this.stepMs}${this.offsetMs === 0 ? "" : `, ${this.offsetMs}`})`;
  }
}
