import { TumblingWindows } from "./tumbling-windows.js";

/**
 * Tumbling windows of processing time, as Flink's `TumblingProcessingTimeWindows`: an element
 * goes to the window containing the operator's clock when it arrives. Default trigger:
 * `ProcessingTimeTrigger`.
 */
export class TumblingProcessingTimeWindows extends TumblingWindows {
  private constructor(sizeMs: number, offsetMs: number) {
    super(sizeMs, offsetMs, false);
  }

  /** Windows of `sizeMs` (> 0), shifted by `offsetMs` (|offset| < size). */
  static of(sizeMs: number, offsetMs = 0): TumblingProcessingTimeWindows {
    return new TumblingProcessingTimeWindows(sizeMs, offsetMs);
  }
}
