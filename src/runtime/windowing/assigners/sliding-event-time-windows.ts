import { SlidingWindows } from "./sliding-windows.js";

/**
 * Sliding (overlapping) windows of event time, as Flink's `SlidingEventTimeWindows`: windows of
 * `size` starting every `slide`; an element is in `ceil(size / slide)` windows (or one fewer).
 * Default trigger: `EventTimeTrigger`.
 *
 * ```ts
 * keyed.window(SlidingEventTimeWindows.of(600_000, 60_000)); // the last 10 minutes, every minute
 * ```
 */
export class SlidingEventTimeWindows extends SlidingWindows {
  private constructor(sizeMs: number, slideMs: number, offsetMs: number) {
    super(sizeMs, slideMs, offsetMs, true);
  }

  /** Windows of `sizeMs` every `slideMs` (both > 0), shifted by `offsetMs` (|offset| < slide). */
  static of(sizeMs: number, slideMs: number, offsetMs = 0): SlidingEventTimeWindows {
    return new SlidingEventTimeWindows(sizeMs, slideMs, offsetMs);
  }
}
