import { CumulativeWindows } from "./cumulative-windows.js";

/** Cumulating windows of processing time. Default trigger: `ProcessingTimeTrigger`. */
export class CumulativeProcessingTimeWindows extends CumulativeWindows {
  private constructor(maxSizeMs: number, stepMs: number, offsetMs: number) {
    super(maxSizeMs, stepMs, offsetMs, false);
  }

  /** Periods of `maxSizeMs`, windows growing by `stepMs` (maxSize a multiple of step), shifted by `offsetMs`. */
  static of(maxSizeMs: number, stepMs: number, offsetMs = 0): CumulativeProcessingTimeWindows {
    return new CumulativeProcessingTimeWindows(maxSizeMs, stepMs, offsetMs);
  }
}
