import { JobError } from "../../../errors.js";
import type { Evictor, EvictorContext, TimestampedValue, Window } from "../api.js";

/**
 * Keeps at most `maxCount` elements, evicting the oldest (first added), as Flink's
 * `CountEvictor`; before the window function by default, after it when `doEvictAfter`.
 */
export class CountEvictor<W extends Window = Window> implements Evictor<unknown, W> {
  private constructor(
    readonly maxCount: number,
    readonly doEvictAfter: boolean,
  ) {}

  /** An evictor keeping the last `maxCount` (an integer >= 1) elements. */
  static of<W extends Window = Window>(maxCount: number, doEvictAfter = false): CountEvictor<W> {
    if (!Number.isInteger(maxCount) || maxCount < 1) throw new JobError(`CountEvictor.of: expected an integer >= 1, got ${maxCount}`);
    return new CountEvictor<W>(maxCount, doEvictAfter);
  }

  evictBefore(elements: Array<TimestampedValue<unknown>>, size: number, _window?: W, _ctx?: EvictorContext): void {
    if (!this.doEvictAfter) this.evict(elements, size);
  }

  evictAfter(elements: Array<TimestampedValue<unknown>>, size: number, _window?: W, _ctx?: EvictorContext): void {
    if (this.doEvictAfter) this.evict(elements, size);
  }

  private evict(elements: Array<TimestampedValue<unknown>>, size: number): void {
    if (size <= this.maxCount) return;
    elements.splice(0, size - this.maxCount);
  }

  toString(): string {
    return `CountEvictor(${this.maxCount})`;
  }
}
