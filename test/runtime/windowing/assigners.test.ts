import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { JobError } from "../../../src/errors.js";
import {
  CumulativeEventTimeWindows,
  CumulativeProcessingTimeWindows,
  EventTimeSessionWindows,
  EventTimeTrigger,
  GlobalWindow,
  GlobalWindows,
  NeverTrigger,
  ProcessingTimeSessionWindows,
  ProcessingTimeTrigger,
  SlidingEventTimeWindows,
  SlidingProcessingTimeWindows,
  TimeWindow,
  TumblingEventTimeWindows,
  TumblingProcessingTimeWindows,
  isMergingAssigner,
  type WindowAssigner,
} from "../../../src/runtime/windowing/index.js";
import { cumulativeSpans, slidingSpans, tumblingSpans, type Span } from "./reference.js";

const noClock = { getCurrentProcessingTime: () => 0 };
const spans = (ws: readonly TimeWindow[]) => ws.map((w) => ({ start: w.start, end: w.end }));
const sorted = (ss: Span[]) => [...ss].sort((a, b) => a.start - b.start || a.end - b.end);

/** The assigner, fed `timestamps` in order (exercising its cache), agrees with the brute-force spans, and namespaces round-trip. */
function agrees(assigner: WindowAssigner<unknown, TimeWindow>, reference: (ts: number) => Span[], timestamps: number[]): void {
  for (const ts of timestamps) {
    const ws = assigner.assignWindows(undefined, ts, noClock);
    expect(sorted(spans(ws)), `ts ${ts}`).toEqual(sorted(reference(ts)));
    for (const w of ws) expect(assigner.windowOf(assigner.namespaceOf(w))).toEqual(w);
    expect(new Set(ws.map((w) => assigner.namespaceOf(w))).size).toBe(ws.length);
  }
}

const timestampsArb = fc.array(fc.oneof(fc.integer({ min: -500, max: 500 }), fc.integer({ min: -1e13, max: 1e13 })), { maxLength: 40 });
// runs of close timestamps, so the cached windows are hit and left in every direction
const walkArb = fc
  .tuple(fc.integer({ min: -300, max: 300 }), fc.array(fc.integer({ min: -7, max: 7 }), { maxLength: 60 }))
  .map(([start, steps]) => steps.reduce<number[]>((acc, d) => [...acc, (acc.at(-1) ?? start) + d], [start]));

describe("TumblingEventTimeWindows", () => {
  it("assigns the window containing the timestamp, aligned to the offset (Flink's getWindowStartWithOffset)", () => {
    const a = TumblingEventTimeWindows.of(1000);
    expect(spans(a.assignWindows(undefined, 0, noClock))).toEqual([{ start: 0, end: 1000 }]);
    expect(spans(a.assignWindows(undefined, 999, noClock))).toEqual([{ start: 0, end: 1000 }]);
    expect(spans(a.assignWindows(undefined, 1000, noClock))).toEqual([{ start: 1000, end: 2000 }]);
    expect(spans(a.assignWindows(undefined, -1, noClock))).toEqual([{ start: -1000, end: 0 }]);
    const shifted = TumblingEventTimeWindows.of(1000, 100);
    expect(spans(shifted.assignWindows(undefined, 50, noClock))).toEqual([{ start: -900, end: 100 }]);
    expect(spans(shifted.assignWindows(undefined, 100, noClock))).toEqual([{ start: 100, end: 1100 }]);
    expect(TimeWindow.getWindowStartWithOffset(-1, -100, 1000)).toBe(-100);
  });

  it("returns the same array for elements of the same window (no allocation per element)", () => {
    const a = TumblingEventTimeWindows.of(60_000);
    const first = a.assignWindows(undefined, 1_700_000_000_123, noClock);
    expect(a.assignWindows(undefined, 1_700_000_000_999, noClock)).toBe(first);
    expect(a.namespaceOf(first[0])).toBe(String(first[0].start));
  });

  it("agrees with brute force on any timestamps", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 100 }), fc.double({ min: -0.99, max: 0.99, noNaN: true }), fc.oneof(timestampsArb, walkArb), (size, off, ts) => {
        const offset = Math.trunc(off * size);
        agrees(TumblingEventTimeWindows.of(size, offset), tumblingSpans(size, offset), ts);
      }),
    );
  });

  it("rejects bad parameters and records without timestamps", () => {
    expect(() => TumblingEventTimeWindows.of(0)).toThrow(JobError);
    expect(() => TumblingEventTimeWindows.of(10, 10)).toThrow(/abs\(offset\) < size/);
    expect(() => TumblingEventTimeWindows.of(Number.NaN)).toThrow(JobError);
    expect(() => TumblingEventTimeWindows.of(10).assignWindows(undefined, Number.NEGATIVE_INFINITY, noClock)).toThrow(/no event-time timestamp/);
  });

  it("defaults to the event-time trigger", () => {
    expect(TumblingEventTimeWindows.of(10).getDefaultTrigger()).toBe(EventTimeTrigger.create());
    expect(TumblingEventTimeWindows.of(10).isEventTime()).toBe(true);
    expect(String(TumblingEventTimeWindows.of(10, 3))).toBe("TumblingEventTimeWindows(10, 3)");
  });
});

describe("SlidingEventTimeWindows", () => {
  it("assigns every window containing the timestamp, latest first", () => {
    const a = SlidingEventTimeWindows.of(10, 5);
    expect(spans(a.assignWindows(undefined, 7, noClock))).toEqual([
      { start: 5, end: 15 },
      { start: 0, end: 10 },
    ]);
    // slide larger than size: timestamps in the gaps belong to no window
    const gappy = SlidingEventTimeWindows.of(4, 13);
    expect(gappy.assignWindows(undefined, -9, noClock)).toEqual([]);
    expect(spans(gappy.assignWindows(undefined, -10, noClock))).toEqual([{ start: -13, end: -9 }]);
  });

  it("agrees with brute force on any timestamps (size a multiple of slide or not)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 60 }), fc.integer({ min: 1, max: 40 }), fc.double({ min: -0.99, max: 0.99, noNaN: true }), fc.oneof(timestampsArb, walkArb), (size, slide, off, ts) => {
        const offset = Math.trunc(off * slide);
        agrees(SlidingEventTimeWindows.of(size, slide, offset), slidingSpans(size, slide, offset), ts);
      }),
    );
  });

  it("rejects bad parameters", () => {
    expect(() => SlidingEventTimeWindows.of(10, 0)).toThrow(JobError);
    expect(() => SlidingEventTimeWindows.of(10, 5, 5)).toThrow(/abs\(offset\) < slide/);
  });
});

describe("CumulativeEventTimeWindows", () => {
  it("assigns the growing windows of the period that contain the timestamp", () => {
    const a = CumulativeEventTimeWindows.of(100, 25);
    expect(spans(a.assignWindows(undefined, 30, noClock))).toEqual([
      { start: 0, end: 50 },
      { start: 0, end: 75 },
      { start: 0, end: 100 },
    ]);
    expect(a.namespaceOf(new TimeWindow(0, 75))).toBe("75");
    expect(a.windowOf("75")).toEqual(new TimeWindow(0, 75));
  });

  it("agrees with brute force on any timestamps", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 20 }), fc.integer({ min: 1, max: 6 }), fc.integer({ min: -200, max: 200 }), fc.oneof(timestampsArb, walkArb), (step, steps, off, ts) => {
        const max = step * steps;
        const offset = off % max;
        agrees(CumulativeEventTimeWindows.of(max, step, offset), cumulativeSpans(max, step, offset), ts);
      }),
    );
  });

  it("needs maxSize to be a multiple of step", () => {
    expect(() => CumulativeEventTimeWindows.of(100, 30)).toThrow(/multiple of step/);
  });
});

describe("processing-time assigners", () => {
  it("assign by the operator's clock, not the element's timestamp", () => {
    const clock = { getCurrentProcessingTime: () => 1234 };
    expect(spans(TumblingProcessingTimeWindows.of(1000).assignWindows(undefined, 5, clock))).toEqual([{ start: 1000, end: 2000 }]);
    expect(spans(SlidingProcessingTimeWindows.of(1000, 500).assignWindows(undefined, Number.NEGATIVE_INFINITY, clock))).toEqual([
      { start: 1000, end: 2000 },
      { start: 500, end: 1500 },
    ]);
    expect(spans(CumulativeProcessingTimeWindows.of(1000, 500).assignWindows(undefined, 0, clock))).toEqual([
      { start: 1000, end: 1500 },
      { start: 1000, end: 2000 },
    ]);
    expect(spans(ProcessingTimeSessionWindows.withGap(10).assignWindows(undefined, 0, clock))).toEqual([{ start: 1234, end: 1244 }]);
    for (const a of [TumblingProcessingTimeWindows.of(10), SlidingProcessingTimeWindows.of(10, 5), ProcessingTimeSessionWindows.withGap(5)]) {
      expect(a.isEventTime()).toBe(false);
      expect(a.getDefaultTrigger()).toBe(ProcessingTimeTrigger.create());
    }
  });
});

describe("session windows", () => {
  it("open [ts, ts + gap) and merge windows that overlap or touch (Flink's TimeWindow.mergeWindows)", () => {
    const a = EventTimeSessionWindows.withGap(10);
    expect(isMergingAssigner(a)).toBe(true);
    expect(spans(a.assignWindows(undefined, 5, noClock) as TimeWindow[])).toEqual([{ start: 5, end: 15 }]);
    const merges: Array<[Span[], Span]> = [];
    const ws = [new TimeWindow(0, 10), new TimeWindow(10, 20), new TimeWindow(30, 40), new TimeWindow(5, 7), new TimeWindow(50, 60), new TimeWindow(55, 56)];
    a.mergeWindows(ws, (toBeMerged, result) => merges.push([sorted(spans(toBeMerged)), { start: result.start, end: result.end }]));
    expect(merges).toEqual([
      [[{ start: 0, end: 10 }, { start: 5, end: 7 }, { start: 10, end: 20 }], { start: 0, end: 20 }],
      [[{ start: 50, end: 60 }, { start: 55, end: 56 }], { start: 50, end: 60 }],
    ]);
    expect(a.windowOf(a.namespaceOf(new TimeWindow(-3, 7)))).toEqual(new TimeWindow(-3, 7));
  });

  it("take a gap per element with withDynamicGap, rejecting gaps <= 0", () => {
    const a = EventTimeSessionWindows.withDynamicGap((e: { gap: number }) => e.gap);
    expect(spans(a.assignWindows({ gap: 3 }, 10, noClock) as TimeWindow[])).toEqual([{ start: 10, end: 13 }]);
    expect(() => a.assignWindows({ gap: 0 }, 10, noClock)).toThrow(/0 < gap/);
    expect(() => EventTimeSessionWindows.withGap(0)).toThrow(/0 < gap/);
  });
});

describe("GlobalWindows", () => {
  it("puts everything in the one global window, which never fires by default", () => {
    const a = GlobalWindows.create();
    expect(a.assignWindows()).toEqual([GlobalWindow.get()]);
    expect(a.getDefaultTrigger()).toBe(NeverTrigger.create());
    expect(a.isEventTime()).toBe(false);
    expect(a.windowOf(a.namespaceOf())).toBe(GlobalWindow.get());
    expect(GlobalWindow.get().maxTimestamp()).toBe(Number.MAX_SAFE_INTEGER);
  });
});
