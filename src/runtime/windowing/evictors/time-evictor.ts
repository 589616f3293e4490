import { JobError } from "../../../errors.js";
import { NO_TIMESTAMP } from "../../event-time/watermark.js";
import { removeWhere, type Evictor, type EvictorContext, type TimestampedValue, type Window } from "../api.js";

/**
 * Keeps the elements of the last `windowSizeMs` before the newest element's timestamp, as Flink's
 * `TimeEvictor`: evicts every element with `timestamp <= max - windowSizeMs`; before the window
 * function by default, after it when `doEvictAfter`. Elements without timestamps are kept.
 */
export class TimeEvictor<W extends Window = Window> implements Evictor<unknown, W> {
  private constructor(
    readonly windowSizeMs: number,
    readonly doEvictAfter: boolean,
  ) {}

  /** An evictor keeping the last `windowSizeMs` (>= 0) of event time. */
  static of<W extends Window = Window>(windowSizeMs: number, doEvictAfter = false): TimeEvictor<W> {
    if (!(windowSizeMs >= 0) || !Number.isFinite(windowSizeMs)) throw new JobError(`TimeEvictor.of: expected a size >= 0 ms, got ${windowSizeMs}`);
    return new TimeEvictor<W>(windowSizeMs, doEvictAfter);
  }

  evictBefore(elements: Array<TimestampedValue<unknown>>, _size?: number, _window?: W, _ctx?: EvictorContext): void {
    if (!this.doEvictAfter) this.evict(elements);
  }

  evictAfter(elements: Array<TimestampedValue<unknown>>, _size?: number, _window?: W, _ctx?: EvictorContext): void {
    if (this.doEvictAfter) this.evict(elements);
  }

  private evict(elements: Array<TimestampedValue<unknown>>): void {
    if (elements.length === 0 || elements[0].timestamp === NO_TIMESTAMP) return;
    let max = Number.NEGATIVE_INFINITY;
    for (const e of elements) if (e.timestamp > max) max = e.timestamp;
    const cutoff = max - this.windowSizeMs;
    removeWhere(elements, (e) => e.timestamp <= cutoff);
  }

  toString(): string {
    return `TimeEvictor(${this.windowSizeMs})`;
  }
}
