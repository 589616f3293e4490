import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import type { StateBackendFactory } from "../../../src/state/api.js";
import { OutputTag } from "../../../src/runtime/output-tag.js";
import type { OperatorSnapshot } from "../../../src/runtime/executor/operator-instance.js";
import type { OperatorHarness, HarnessOptions } from "../../../src/runtime/testing/operator-harness.js";
import { SlidingEventTimeWindows, TumblingEventTimeWindows, type TimeWindow, type WindowAssigner } from "../../../src/runtime/windowing/index.js";
import { aggHarness, heapBackend, multiset, removeTempDirs, tempLevelDb, type Agg, type Ev, type Mode } from "./window-harness.js";

/**
 * Bulk firing: an event-time window with the default trigger, incremental aggregation and no
 * lateness fires for all its keys from one keyless timer, taking the window's entries whole. It
 * must be indistinguishable from per-key timers (what a backend without `drainNamespace` gets):
 * the same records in the same order, the same late records, the same state left; and its
 * checkpoints must restore on either kind of backend, at any parallelism.
 */

const LATE = new OutputTag<Ev>("late");

/** The heap backend without `drainNamespace`: the same storage, per-key timers. */
const perKeyHeap: StateBackendFactory = {
  name: "heap",
  async create(options) {
    const b = await heapBackend().create(options);
    (b as { drainNamespace?: unknown }).drainNamespace = undefined;
    return b;
  },
};

type Step = { kind: "el"; e: Ev } | { kind: "wm"; wm: number };

const stepsArb = fc.array(
  fc.oneof(
    { weight: 4, arbitrary: fc.record({ kind: fc.constant("el" as const), e: fc.record({ key: fc.constantFrom("a", "b", "c", "d", "e"), v: fc.integer({ min: 1, max: 9 }), ts: fc.integer({ min: 0, max: 60 }) }) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant("wm" as const), wm: fc.integer({ min: 0, max: 70 }) }) },
  ),
  { maxLength: 60 },
);

const assigners: Array<() => WindowAssigner<Ev, TimeWindow>> = [() => TumblingEventTimeWindows.of(10), () => SlidingEventTimeWindows.of(10, 5)];

function harness(a: number, mode: Mode, options: HarnessOptions): Promise<OperatorHarness<Ev, Agg>> {
  return aggHarness({ assigner: assigners[a](), mode, lateTag: LATE }, options);
}

function apply(h: OperatorHarness<Ev, Agg>, steps: readonly Step[]): void {
  let wm = Number.NEGATIVE_INFINITY;
  for (const s of steps) {
    if (s.kind === "el") h.processElement(s.e, s.e.ts);
    else if (s.wm > wm) h.processWatermark((wm = s.wm));
  }
}

/** Everything observable after the steps and the end of input. */
async function observe(h: OperatorHarness<Ev, Agg>) {
  const mid = { out: h.getOutput(), late: h.getSideOutput(LATE), state: h.keyedState!.size() };
  await h.endInput();
  const end = { out: h.getOutput(), late: h.getSideOutput(LATE), state: h.keyedState!.size(), timers: h.numEventTimeTimers() };
  await h.close();
  return { mid, end };
}

describe("bulk firing of event-time windows", () => {
  afterAll(removeTempDirs);

  it("sets one timer per window, whatever the number of keys, and fires the keys in the order they entered the window", async () => {
    const h = await harness(0, "aggregate", {});
    for (const key of ["d", "b", "a", "b", "c", "d"]) h.processElement({ key, v: 1, ts: 3 }, 3);
    h.processElement({ key: "a", v: 5, ts: 12 }, 12);
    expect(h.numEventTimeTimers()).toBe(2);
    h.processWatermark(9);
    expect(h.extractOutputValues().map((a) => `${a.key}:${a.count}`)).toEqual(["d:2", "b:2", "a:1", "c:1"]);
    expect(h.getOutput().every((r) => r.timestamp === 9)).toBe(true);
    expect(h.numEventTimeTimers()).toBe(1);
    expect(h.keyedState!.size()).toBe(1);
    await h.close();
  });

  it("gives what per-key timers give, record for record and in order", async () => {
    await fc.assert(
      fc.asyncProperty(stepsArb, fc.nat(assigners.length - 1), fc.constantFrom<Mode>("aggregate", "reduce"), async (steps, a, mode) => {
        const bulk = await harness(a, mode, {});
        const perKey = await harness(a, mode, { backend: perKeyHeap });
        apply(bulk, steps);
        apply(perKey, steps);
        const got = await observe(bulk);
        const want = await observe(perKey);
        expect(got).toEqual(want);
        expect(got.end.timers).toBe(0);
      }),
      { numRuns: 150 },
    );
  });

  it("on LevelDB too, with a cache small enough that windows spill to disk", async () => {
    await fc.assert(
      fc.asyncProperty(stepsArb, fc.nat(assigners.length - 1), async (steps, a) => {
        const bulk = await harness(a, "aggregate", { backend: await tempLevelDb({ cacheEntries: 4, flushThreshold: 2 }) });
        const perKey = await harness(a, "aggregate", { backend: perKeyHeap });
        apply(bulk, steps);
        apply(perKey, steps);
        const got = await observe(bulk);
        const want = await observe(perKey);
        expect({ mid: { ...got.mid, out: multiset(got.mid.out) }, end: { ...got.end, out: multiset(got.end.out) } }).toEqual({
          mid: { ...want.mid, out: multiset(want.mid.out) },
          end: { ...want.end, out: multiset(want.end.out) },
        });
      }),
      { numRuns: 30 },
    );
  });

  it("checkpoints restore on the heap, on the heap with per-key timers and on LevelDB, and per-key checkpoints restore into bulk firing", async () => {
    await fc.assert(
      fc.asyncProperty(stepsArb, fc.nat(), fc.nat(assigners.length - 1), async (steps, cut, a) => {
        const at = steps.length === 0 ? 0 : cut % (steps.length + 1);
        const whole = await harness(a, "aggregate", {});
        apply(whole, steps);
        const want = await observe(whole);

        const targets: Array<[string, StateBackendFactory, StateBackendFactory]> = [
          ["heap -> heap", heapBackend(), heapBackend()],
          ["heap -> per-key heap", heapBackend(), perKeyHeap],
          ["heap -> LevelDB", heapBackend(), await tempLevelDb()],
          ["per-key heap -> heap", perKeyHeap, heapBackend()],
        ];
        for (const [name, from, to] of targets) {
          const first = await harness(a, "aggregate", { backend: from });
          apply(first, steps.slice(0, at));
          const snapshot = await first.snapshot();
          const head = first.getOutput();
          const headLate = first.getSideOutput(LATE);
          await first.close();
          const second = await first.restore(snapshot, { backend: to });
          // a restored operator starts at no watermark (as in Flink): the source replays the last one
          const wms = steps.slice(0, at).flatMap((s) => (s.kind === "wm" ? [s.wm] : []));
          if (wms.length > 0) second.processWatermark(Math.max(...wms));
          apply(second, steps.slice(at));
          const got = await observe(second);
          expect({ name, out: multiset([...head, ...got.end.out]), late: multiset([...headLate, ...got.end.late]), state: got.end.state }).toEqual({
            name,
            out: multiset(want.end.out),
            late: multiset(want.end.late),
            state: 0,
          });
        }
      }),
      { numRuns: 25 },
    );
  });

  it("a keyless timer goes to every subtask on a rescale, and each fires only its own keys", async () => {
    const keys = Array.from({ length: 40 }, (_, i) => `k${i}`);
    const one = await harness(0, "aggregate", {});
    for (const key of keys) one.processElement({ key, v: 2, ts: 4 }, 4);
    const snapshot: OperatorSnapshot = await one.snapshot();
    await one.close();
    const outs: Agg[][] = [];
    for (const subtaskIndex of [0, 1]) {
      const h = await one.restore(snapshot, { parallelism: 2, subtaskIndex });
      expect(h.numEventTimeTimers()).toBe(1);
      h.processWatermark(9);
      outs.push(h.extractOutputValues());
      expect(h.keyedState!.size()).toBe(0);
      await h.close();
    }
    expect(outs[0].length).toBeGreaterThan(0);
    expect(outs[1].length).toBeGreaterThan(0);
    expect(outs[0].filter((a) => outs[1].some((b) => b.key === a.key))).toEqual([]);
    expect(multiset([...outs[0], ...outs[1]])).toEqual(multiset(keys.map((key) => ({ key, start: 0, end: 10, count: 1, sum: 2 }))));
  });
});
