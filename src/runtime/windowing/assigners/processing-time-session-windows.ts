import { SessionWindows, type SessionWindowTimeGapExtractor } from "./session-windows.js";

/**
 * Session windows of processing time, as Flink's `ProcessingTimeSessionWindows` and
 * `DynamicProcessingTimeSessionWindows`: a session closes when no element arrived for a gap.
 * Default trigger: `ProcessingTimeTrigger`.
 */
export class ProcessingTimeSessionWindows<T = unknown> extends SessionWindows<T> {
  private constructor(gap: number | SessionWindowTimeGapExtractor<T>) {
    super(gap, false);
  }

  /** Sessions with a fixed gap of `gapMs` (> 0). */
  static withGap<T = unknown>(gapMs: number): ProcessingTimeSessionWindows<T> {
    return new ProcessingTimeSessionWindows<T>(gapMs);
  }

  /** Sessions whose gap each element sets (it must return a number > 0). */
  static withDynamicGap<T>(extractor: SessionWindowTimeGapExtractor<T>): ProcessingTimeSessionWindows<T> {
    return new ProcessingTimeSessionWindows<T>(extractor);
  }
}
