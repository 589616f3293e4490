import { JobError } from "../../../errors.js";
import type { Trigger, WindowAssigner, WindowAssignerContext } from "../api.js";
import { EventTimeTrigger } from "../triggers/event-time-trigger.js";
import { ProcessingTimeTrigger } from "../triggers/processing-time-trigger.js";
import { TimeWindow } from "../windows.js";
import { checkMs, noTimestampError } from "./no-timestamp.js";

const NONE: readonly TimeWindow[] = [];

/**
 * Tumbling windows of `sizeMs`, aligned to `offsetMs` (Flink's `TumblingEventTimeWindows` and
 * `TumblingProcessingTimeWindows` share this). Fast path: the last window and its one-element
 * array are kept, so an element of the same window costs two comparisons and no allocation. The
 * namespace of a window is its start.
 */
export abstract class TumblingWindows implements WindowAssigner<unknown, TimeWindow> {
  private last: readonly TimeWindow[] = NONE;
  private lastStart = Number.POSITIVE_INFINITY;
  private lastEnd = Number.NEGATIVE_INFINITY;

  protected constructor(
    readonly sizeMs: number,
    readonly offsetMs: number,
    private readonly eventTime: boolean,
  ) {
    const name = this.constructor.name;
    checkMs(`${name}: size`, sizeMs, true);
    checkMs(`${name}: offset`, offsetMs, false);
    if (Math.abs(offsetMs) >= sizeMs) throw new JobError(`${name} parameters must satisfy abs(offset) < size, got size ${sizeMs} and offset ${offsetMs}`);
  }

  assignWindows(_element: unknown, timestamp: number, ctx: WindowAssignerContext): readonly TimeWindow[] {
    const t = this.eventTime ? timestamp : ctx.getCurrentProcessingTime();
    if (t >= this.lastStart && t < this.lastEnd) return this.last;
    if (!Number.isFinite(t)) throw noTimestampError(this.constructor.name, t);
    const start = TimeWindow.getWindowStartWithOffset(t, this.offsetMs, this.sizeMs);
    const w = new TimeWindow(start, start + this.sizeMs);
    this.last = [w];
    this.lastStart = start;
    this.lastEnd = w.end;
    return this.last;
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
    return `${this.constructor.name}(${this.sizeMs}${this.offsetMs === 0 ? "" : `, ${this.offsetMs}`})`;
  }
}
