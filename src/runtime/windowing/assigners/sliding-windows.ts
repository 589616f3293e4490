import { JobError } from "../../../errors.js";
import type { Trigger, WindowAssigner, WindowAssignerContext } from "../api.js";
import { EventTimeTrigger } from "../triggers/event-time-trigger.js";
import { ProcessingTimeTrigger } from "../triggers/processing-time-trigger.js";
import { TimeWindow } from "../windows.js";
import { checkMs, noTimestampError } from "./no-timestamp.js";

const NONE: readonly TimeWindow[] = [];

/**
 * Sliding windows of `sizeMs` every `slideMs` (Flink's `SlidingEventTimeWindows` and
 * `SlidingProcessingTimeWindows` share this): an element belongs to every window
 * `[start, start + size)` with `start ≡ offset (mod slide)` that contains it, latest first.
 * Fast path: the windows of the last element are kept with the range of timestamps that have
 * the same windows, so most elements cost two comparisons and no allocation. The namespace of a
 * window is its start.
 */
export abstract class SlidingWindows implements WindowAssigner<unknown, TimeWindow> {
  private last: readonly TimeWindow[] = NONE;
  private lo = Number.POSITIVE_INFINITY;
  private hi = Number.NEGATIVE_INFINITY;

  protected constructor(
    readonly sizeMs: number,
    readonly slideMs: number,
    readonly offsetMs: number,
    private readonly eventTime: boolean,
  ) {
    const name = this.constructor.name;
    checkMs(`${name}: size`, sizeMs, true);
    checkMs(`${name}: slide`, slideMs, true);
    checkMs(`${name}: offset`, offsetMs, false);
    if (Math.abs(offsetMs) >= slideMs) {
      throw new JobError(`${name} parameters must satisfy abs(offset) < slide and size > 0, got size ${sizeMs}, slide ${slideMs}, offset ${offsetMs}`);
    }
  }

  assignWindows(_element: unknown, timestamp: number, ctx: WindowAssignerContext): readonly TimeWindow[] {
    const t = this.eventTime ? timestamp : ctx.getCurrentProcessingTime();
    if (t >= this.lo && t < this.hi) return this.last;
    if (!Number.isFinite(t)) throw noTimestampError(this.constructor.name, t);
    const { sizeMs: size, slideMs: slide } = this;
    const lastStart = TimeWindow.getWindowStartWithOffset(t, this.offsetMs, slide);
    const windows: TimeWindow[] = [];
    let minStart = lastStart + slide; // as if the next start were the oldest included: right when no window contains t
    for (let start = lastStart; start > t - size; start -= slide) {
      windows.push(new TimeWindow(start, start + size));
      minStart = start;
    }
    // the same windows hold until a new window starts or the oldest one ends
    this.lo = Math.max(lastStart, minStart - slide + size);
    this.hi = Math.min(lastStart + slide, minStart + size);
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
    return String(window.start);
  }

  windowOf(namespace: string): TimeWindow {
    const start = Number(namespace);
    return new TimeWindow(start, start + this.sizeMs);
  }

  toString(): string {
    return `${this.constructor.name}(${this.sizeMs}, ${this.slideMs}${this.offsetMs === 0 ? "" : `, ${this.offsetMs}`})`;
  }
}
