import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import type { StateBackendFactory } from "../../../src/state/api.js";
import { OperatorHarness } from "../../../src/runtime/testing/operator-harness.js";
import { OutputTag } from "../../../src/runtime/output-tag.js";
import type { Trigger, Window, WindowAssigner } from "../../../src/runtime/windowing/api.js";
import {
  CountEvictor,
  CountTrigger,
  CumulativeEventTimeWindows,
  EventTimeSessionWindows,
  EventTimeTrigger,
  ProcessingTimeTrigger,
  GlobalWindows,
  ProcessingTimeSessionWindows,
  PurgingTrigger,
  SlidingEventTimeWindows,
  SlidingProcessingTimeWindows,
  TumblingEventTimeWindows,
  TumblingProcessingTimeWindows,
  type WindowOperator,
} from "../../../src/runtime/windowing/index.js";
import {
  cumulativeSpans,
  referenceCount,
  referenceFixed,
  referenceProcessingTime,
  referenceSessions,
  slidingSpans,
  tumblingSpans,
  type Op,
  type ProcessingOp,
  type RefResult,
} from "./reference.js";
import { aggOperator, heapBackend, multiset, removeTempDirs, tempLevelDb, type Agg, type Ev, type Mode, type WindowSetup } from "./window-harness.js";

/**
 * Every window type against a slow reference (./reference.ts) replaying the same elements and
 * watermarks: random keys, values and timestamps (negative too), random out-of-orderness and
 * watermark delays (so some elements are late), random allowed lateness, with and without a late
 * side output, incremental and buffered window functions, and a snapshot/restore at a random
 * point. The LevelDB runs repeat a few of them on the other backend.
 */

const LATE = new OutputTag<Ev>("late");

interface Stream {
  readonly ops: Op[];
  readonly snapAt: number;
}

const streamArb: fc.Arbitrary<Stream> = fc
  .record({
    items: fc.array(
      fc.record({
        key: fc.constantFrom("a", "b", "c"),
        v: fc.integer({ min: 1, max: 9 }),
        jitter: fc.integer({ min: -15, max: 15 }),
        wmDelay: fc.option(fc.integer({ min: 0, max: 25 }), { freq: 2 }),
      }),
      { maxLength: 40 },
    ),
    step: fc.integer({ min: 0, max: 6 }),
    start: fc.integer({ min: -80, max: 40 }),
    snapAt: fc.integer({ min: 0, max: 90 }),
  })
  .map(({ items, step, start, snapAt }) => {
    const ops: Op[] = [];
    let max = Number.NEGATIVE_INFINITY;
    items.forEach((it, i) => {
      const ts = start + i * step + it.jitter;
      ops.push({ kind: "el", e: { key: it.key, v: it.v, ts } });
      max = Math.max(max, ts);
      if (it.wmDelay !== null) ops.push({ kind: "wm", wm: max - it.wmDelay });
    });
    return { ops, snapAt };
  });

interface Run {
  out: Agg[];
  late: Ev[];
  dropped: number;
  stateLeft: number;
}

/** Replays `ops` through a harness of the window operator, snapshotting and restoring before op `snapAt`. */
async function run<W extends Window>(setup: WindowSetup<W>, s: Stream, backend: StateBackendFactory = heapBackend()): Promise<Run> {
  const operators: Array<WindowOperator<Ev, unknown, unknown, Agg, string, W>> = [];
  const make = aggOperator(setup);
  const factory = () => {
    const op = make();
    operators.push(op);
    return op;
  };
  const result: Run = { out: [], late: [], dropped: 0, stateLeft: 0 };
  const drain = (h: OperatorHarness<Ev, Agg>) => {
    result.out.push(...h.extractOutputValues());
    result.late.push(...h.getSideOutput(LATE).map((r) => r.value));
    h.clearOutput();
  };
  let h = await OperatorHarness.forOperator(factory, (e: Ev) => e.key, { backend });
  let wm = Number.NEGATIVE_INFINITY;
  try {
    for (let i = 0; i < s.ops.length; i++) {
      if (i === s.snapAt) {
        const snapshot = await h.snapshot();
        drain(h);
        await h.close();
        h = await h.restore(snapshot);
        // the watermark is not operator state (as in Flink): upstream sends it again after a restore
        if (wm > Number.NEGATIVE_INFINITY) h.processWatermark(wm);
      }
      const op = s.ops[i];
      if (op.kind === "el") h.processElement(op.e, op.e.ts);
      else {
        h.processWatermark(op.wm);
        wm = Math.max(wm, op.wm);
      }
    }
    await h.endInput();
    drain(h);
    result.stateLeft = h.keyedState!.size();
  } finally {
    await h.close();
  }
  result.dropped = operators.reduce((n, op) => n + op.numLateRecordsDropped, 0);
  return result;
}

function expectMatches(actual: Run, ref: RefResult, sideOutput: boolean): void {
  expect(multiset(actual.out)).toEqual(multiset(ref.out));
  if (sideOutput) {
    expect(multiset(actual.late)).toEqual(multiset(ref.late));
    expect(actual.dropped).toBe(0);
  } else {
    expect(actual.late).toEqual([]);
    expect(actual.dropped).toBe(ref.late.length);
  }
}

const modeArb = fc.constantFrom<Mode>("aggregate", "reduce", "process");
const latenessArb = fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 30 }));
const RUNS = { numRuns: 60 };

describe("window properties (heap backend)", () => {
  it("tumbling event-time windows", async () => {
    await fc.assert(
      fc.asyncProperty(streamArb, fc.integer({ min: 1, max: 40 }), fc.double({ min: -0.99, max: 0.99, noNaN: true }), latenessArb, modeArb, fc.boolean(), async (s, size, off, lateness, mode, side) => {
        const offset = Math.trunc(off * size);
        const r = await run({ assigner: TumblingEventTimeWindows.of(size, offset), lateness, mode, lateTag: side ? LATE : undefined }, s);
        expectMatches(r, referenceFixed(s.ops, tumblingSpans(size, offset), lateness), side);
        expect(r.stateLeft).toBe(0);
      }),
      RUNS,
    );
  });

  it("sliding event-time windows (slide smaller, equal or larger than size)", async () => {
    await fc.assert(
      fc.asyncProperty(streamArb, fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 30 }), fc.double({ min: -0.99, max: 0.99, noNaN: true }), latenessArb, modeArb, fc.boolean(), async (s, size, slide, off, lateness, mode, side) => {
        const offset = Math.trunc(off * slide);
        const r = await run({ assigner: SlidingEventTimeWindows.of(size, slide, offset), lateness, mode, lateTag: side ? LATE : undefined }, s);
        expectMatches(r, referenceFixed(s.ops, slidingSpans(size, slide, offset), lateness), side);
        expect(r.stateLeft).toBe(0);
      }),
      RUNS,
    );
  });

  it("cumulative event-time windows", async () => {
    await fc.assert(
      fc.asyncProperty(streamArb, fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 5 }), fc.integer({ min: -30, max: 30 }), latenessArb, modeArb, fc.boolean(), async (s, step, steps, off, lateness, mode, side) => {
        const maxSize = step * steps;
        const offset = off % maxSize;
        const r = await run({ assigner: CumulativeEventTimeWindows.of(maxSize, step, offset), lateness, mode, lateTag: side ? LATE : undefined }, s);
        expectMatches(r, referenceFixed(s.ops, cumulativeSpans(maxSize, step, offset), lateness), side);
        expect(r.stateLeft).toBe(0);
      }),
      RUNS,
    );
  });

  it("event-time session windows with a static gap", async () => {
    await fc.assert(
      fc.asyncProperty(streamArb, fc.integer({ min: 1, max: 30 }), latenessArb, modeArb, fc.boolean(), async (s, gap, lateness, mode, side) => {
        const r = await run({ assigner: EventTimeSessionWindows.withGap(gap), lateness, mode, lateTag: side ? LATE : undefined }, s);
        expectMatches(r, referenceSessions(s.ops, () => gap, lateness), side);
        expect(r.stateLeft).toBe(0);
      }),
      RUNS,
    );
  });

  it("event-time session windows with a dynamic gap", async () => {
    await fc.assert(
      fc.asyncProperty(streamArb, fc.integer({ min: 1, max: 7 }), latenessArb, modeArb, fc.boolean(), async (s, g, lateness, mode, side) => {
        const gapOf = (e: Ev) => 1 + ((e.v * g) % 25);
        const r = await run({ assigner: EventTimeSessionWindows.withDynamicGap(gapOf), lateness, mode, lateTag: side ? LATE : undefined }, s);
        expectMatches(r, referenceSessions(s.ops, gapOf, lateness), side);
        expect(r.stateLeft).toBe(0);
      }),
      RUNS,
    );
  });

  it("count windows: countWindow(n) and countWindow(n, slide)", async () => {
    await fc.assert(
      fc.asyncProperty(streamArb, fc.integer({ min: 1, max: 6 }), fc.option(fc.integer({ min: 1, max: 6 })), modeArb, async (s, size, slide, mode) => {
        const setup: WindowSetup<any> =
          slide === null
            ? { assigner: GlobalWindows.create<Ev>(), trigger: PurgingTrigger.of(CountTrigger.of(size)), mode }
            : { assigner: GlobalWindows.create<Ev>(), trigger: CountTrigger.of(slide), evictor: CountEvictor.of(size), mode };
        const r = await run(setup, s);
        expect(multiset(r.out)).toEqual(multiset(referenceCount(s.ops, size, slide ?? size)));
      }),
      RUNS,
    );
  });

  it("global windows with a non-purging count trigger emit running totals", async () => {
    await fc.assert(
      fc.asyncProperty(streamArb, fc.integer({ min: 1, max: 5 }), modeArb, async (s, n, mode) => {
        const r = await run({ assigner: GlobalWindows.create<Ev>(), trigger: CountTrigger.of(n), mode }, s);
        expect(multiset(r.out)).toEqual(multiset(referenceCount(s.ops, Number.POSITIVE_INFINITY, n)));
      }),
      RUNS,
    );
  });
});

describe("processing-time window properties", () => {
  const opsArb = fc.array(
    fc.oneof(
      fc.record({ kind: fc.constant("el" as const), e: fc.record({ key: fc.constantFrom("a", "b"), v: fc.integer({ min: 1, max: 9 }), ts: fc.constant(0) }) }),
      fc.record({ kind: fc.constant("advance" as const), ms: fc.integer({ min: 0, max: 12 }) }),
    ),
    { maxLength: 50 },
  );

  async function runProcessing<W extends Window>(setup: WindowSetup<W>, ops: ProcessingOp[], start: number): Promise<Agg[]> {
    const h = await OperatorHarness.forOperator(aggOperator(setup), (e: Ev) => e.key, { processingTime: start });
    let now = start;
    for (const op of ops) {
      if (op.kind === "el") h.processElement(op.e);
      else h.setProcessingTime((now += op.ms));
    }
    h.setProcessingTime(now + 1000);
    const out = h.extractOutputValues();
    expect(h.keyedState!.size()).toBe(0);
    expect(h.numProcessingTimeTimers()).toBe(0);
    await h.close();
    return out;
  }

  it("tumbling, sliding and session windows fire when the clock passes their end", async () => {
    await fc.assert(
      fc.asyncProperty(opsArb, fc.integer({ min: -50, max: 50 }), fc.integer({ min: 1, max: 20 }), fc.integer({ min: 1, max: 10 }), modeArb, async (ops, start, size, slide, mode) => {
        const end: ProcessingOp = { kind: "advance", ms: 1000 };
        const expectTumbling = referenceProcessingTime([...ops, end], start, tumblingSpans(size, 0));
        expect(multiset(await runProcessing({ assigner: TumblingProcessingTimeWindows.of(size), mode }, ops, start))).toEqual(multiset(expectTumbling));
        const expectSliding = referenceProcessingTime([...ops, end], start, slidingSpans(size, slide, 0));
        expect(multiset(await runProcessing({ assigner: SlidingProcessingTimeWindows.of(size, slide), mode }, ops, start))).toEqual(multiset(expectSliding));
        const expectSessions = referenceProcessingTime([...ops, end], start, () => [], size);
        expect(multiset(await runProcessing({ assigner: ProcessingTimeSessionWindows.withGap(size), mode }, ops, start))).toEqual(multiset(expectSessions));
      }),
      RUNS,
    );
  });
});

describe("the operator's fast paths for the built-in triggers", () => {
  /** The same trigger behind a wrapper the operator does not recognise (so it takes the general path). */
  function wrapped<T, W extends Window>(t: Trigger<T, W>): Trigger<T, W> {
    return {
      onElement: (e, ts, w, ctx) => t.onElement(e, ts, w, ctx),
      onEventTime: (time, w, ctx) => t.onEventTime(time, w, ctx),
      onProcessingTime: (time, w, ctx) => t.onProcessingTime(time, w, ctx),
      canMerge: () => t.canMerge?.() ?? false,
      onMerge: (w, ctx) => t.onMerge?.(w, ctx),
      clear: (w, ctx) => t.clear(w, ctx),
    };
  }

  type Step = { kind: "el"; e: Ev } | { kind: "wm"; wm: number } | { kind: "advance"; ms: number };
  const stepsArb = fc.array(
    fc.oneof(
      fc.record({ kind: fc.constant("el" as const), e: fc.record({ key: fc.constantFrom("a", "b"), v: fc.integer({ min: 1, max: 9 }), ts: fc.integer({ min: 0, max: 30 }) }) }),
      fc.record({ kind: fc.constant("wm" as const), wm: fc.integer({ min: 0, max: 40 }) }),
      fc.record({ kind: fc.constant("advance" as const), ms: fc.integer({ min: 0, max: 15 }) }),
    ),
    { maxLength: 50 },
  );

  async function runSteps(setup: WindowSetup<any>, steps: Step[]) {
    const h = await OperatorHarness.forOperator(aggOperator({ ...setup, lateTag: LATE }), (e: Ev) => e.key);
    let now = 0;
    for (const s of steps) {
      if (s.kind === "el") h.processElement(s.e, s.e.ts);
      else if (s.kind === "wm") h.processWatermark(s.wm);
      else h.setProcessingTime((now += s.ms));
    }
    // pending event-time timers: some or none (the fast path on the heap sets one per window, not per key and window)
    const mid = { out: h.getOutput(), late: h.getSideOutput(LATE), state: h.keyedState!.size(), timers: [h.numEventTimeTimers() > 0, h.numProcessingTimeTimers()] };
    h.setProcessingTime(now + 1000);
    await h.endInput();
    const end = { out: h.getOutput(), late: h.getSideOutput(LATE), state: h.keyedState!.size(), timers: [h.numEventTimeTimers() > 0, h.numProcessingTimeTimers()] };
    await h.close();
    return { mid, end };
  }

  it("give what the general path gives, with any trigger and assigner domain", async () => {
    const assigners: Array<() => WindowAssigner<Ev, any>> = [
      () => TumblingEventTimeWindows.of(10),
      () => SlidingEventTimeWindows.of(10, 4),
      () => TumblingProcessingTimeWindows.of(10),
    ];
    await fc.assert(
      fc.asyncProperty(stepsArb, fc.nat(assigners.length - 1), fc.constantFrom<Trigger<Ev, any>>(EventTimeTrigger.create(), ProcessingTimeTrigger.create()), latenessArb, async (steps, a, trigger, lateness) => {
        const fast = await runSteps({ assigner: assigners[a](), trigger, lateness }, steps);
        const general = await runSteps({ assigner: assigners[a](), trigger: wrapped(trigger), lateness }, steps);
        expect(fast).toEqual(general);
      }),
      { numRuns: 200 },
    );
  });
});

describe("window properties (LevelDB backend)", () => {
  afterAll(removeTempDirs);
  const FEW = { numRuns: 12 };

  it("tumbling and sliding windows with lateness", async () => {
    await fc.assert(
      fc.asyncProperty(streamArb, fc.integer({ min: 1, max: 30 }), fc.integer({ min: 1, max: 20 }), latenessArb, modeArb, async (s, size, slide, lateness, mode) => {
        const r = await run({ assigner: SlidingEventTimeWindows.of(size, slide), lateness, mode, lateTag: LATE }, s, await tempLevelDb());
        expectMatches(r, referenceFixed(s.ops, slidingSpans(size, slide, 0), lateness), true);
        const t = await run({ assigner: TumblingEventTimeWindows.of(size), lateness, mode }, s, await tempLevelDb());
        expectMatches(t, referenceFixed(s.ops, tumblingSpans(size, 0), lateness), false);
      }),
      FEW,
    );
  });

  it("session windows (merging state and the merging window set)", async () => {
    await fc.assert(
      fc.asyncProperty(streamArb, fc.integer({ min: 1, max: 20 }), latenessArb, modeArb, async (s, gap, lateness, mode) => {
        const r = await run({ assigner: EventTimeSessionWindows.withGap(gap), lateness, mode, lateTag: LATE }, s, await tempLevelDb());
        expectMatches(r, referenceSessions(s.ops, () => gap, lateness), true);
      }),
      FEW,
    );
  });

  it("count windows with an evictor", async () => {
    await fc.assert(
      fc.asyncProperty(streamArb, fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 5 }), async (s, size, slide) => {
        const setup = { assigner: GlobalWindows.create<Ev>(), trigger: CountTrigger.of(slide), evictor: CountEvictor.of(size) };
        const r = await run(setup, s, await tempLevelDb());
        expect(multiset(r.out)).toEqual(multiset(referenceCount(s.ops, size, slide)));
      }),
      FEW,
    );
  });
});
