import { TumblingWindows } from "./tumbling-windows.js";

/**
 * Tumbling (fixed-size, non-overlapping) windows of event time, as Flink's
 * `TumblingEventTimeWindows`: `[start, start + size)` with `start ≡ offset (mod size)`. Default
 * trigger: `EventTimeTrigger`.
 *
 * ```ts
 * keyed.window(TumblingEventTimeWindows.of(60_000)); // one-minute windows
 * keyed.window(TumblingEventTimeWindows.of(86_400_000, -3_600_000)); // days starting at 23:00 UTC
 * ```
 */
export class TumblingEventTimeWindows extends TumblingWindows {
  private constructor(sizeMs: number, offsetMs: number) {
    super(sizeMs, offsetMs, true);
  }

  /** Windows of `sizeMs` (> 0), shifted by `offsetMs` (|offset| < size). */
  static of(sizeMs: number, offsetMs = 0): TumblingEventTimeWindows {
    return new TumblingEventTimeWindows(sizeMs, offsetMs);
  }
}
