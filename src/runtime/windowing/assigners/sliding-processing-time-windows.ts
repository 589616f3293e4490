import { SlidingWindows } from "./sliding-windows.js";

/**
 * Sliding windows of processing time, as Flink's `SlidingProcessingTimeWindows`. Default
 * trigger: `ProcessingTimeTrigger`.
 */
export class SlidingProcessingTimeWindows extends SlidingWindows {
  private constructor(sizeMs: number, slideMs: number, offsetMs: number) {
    super(sizeMs, slideMs, offsetMs, false);
  }

  /** Windows of `sizeMs` every `slideMs` (both > 0), shifted by `offsetMs` (|offset| < slide). */
  static of(sizeMs: number, slideMs: number, offsetMs = 0): SlidingProcessingTimeWindows {
    return new SlidingProcessingTimeWindows(sizeMs, slideMs, offsetMs);
  }
}
