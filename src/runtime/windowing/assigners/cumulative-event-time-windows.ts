import { CumulativeWindows } from "./cumulative-windows.js";

/**
 * Cumulating windows of event time (Flink SQL's CUMULATE): within each period of `maxSizeMs`,
 * windows from the period's start growing by `stepMs`. Default trigger: `EventTimeTrigger`, so the
 * running total of the day so far is emitted every step.
 *
 * ```ts
 * keyed.window(CumulativeEventTimeWindows.of(86_400_000, 3_600_000)); // today so far, every hour
 * ```
 */
export class CumulativeEventTimeWindows extends CumulativeWindows {
  private constructor(maxSizeMs: number, stepMs: number, offsetMs: number) {
    super(maxSizeMs, stepMs, offsetMs, true);
  }

  /** Periods of `maxSizeMs`, windows growing by `stepMs` (maxSize a multiple of step), shifted by `offsetMs`. */
  static of(maxSizeMs: number, stepMs: number, offsetMs = 0): CumulativeEventTimeWindows {
    return new CumulativeEventTimeWindows(maxSizeMs, stepMs, offsetMs);
  }
}
