import { SessionWindows, type SessionWindowTimeGapExtractor } from "./session-windows.js";

/**
 * Session windows of event time, as Flink's `EventTimeSessionWindows` and
 * `DynamicEventTimeSessionWindows`: a key's elements less than a gap apart form one session,
 * which ends `gap` after its last element. Default trigger: `EventTimeTrigger`. Window functions
 * that aggregate need `merge` (AggregateFunction) since sessions merge.
 *
 * ```ts
 * keyed.window(EventTimeSessionWindows.withGap(30 * 60_000));
 * keyed.window(EventTimeSessionWindows.withDynamicGap((e: Click) => (e.vip ? 3_600_000 : 600_000)));
 * ```
 */
export class EventTimeSessionWindows<T = unknown> extends SessionWindows<T> {
  private constructor(gap: number | SessionWindowTimeGapExtractor<T>) {
    super(gap, true);
  }

  /** Sessions with a fixed gap of `gapMs` (> 0). */
  static withGap<T = unknown>(gapMs: number): EventTimeSessionWindows<T> {
    return new EventTimeSessionWindows<T>(gapMs);
  }

  /** Sessions whose gap each element sets (it must return a number > 0). */
  static withDynamicGap<T>(extractor: SessionWindowTimeGapExtractor<T>): EventTimeSessionWindows<T> {
    return new EventTimeSessionWindows<T>(extractor);
  }
}
