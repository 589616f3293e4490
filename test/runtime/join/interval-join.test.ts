/**
 * Interval join: Flink's semantics in the operator harness (bounds, exclusive bounds, output
 * timestamps, cleanup timers, late data, snapshot/restore on both backends), end to end through
 * jobs, and a property test against a brute-force nested loop.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import {
  CollectionSource,
  CollectSink,
  OperatorHarness,
  OutputTag,
  StreamExecutionEnvironment,
  WatermarkStrategy,
  type ProcessJoinFunction,
} from "../../../src/runtime/index.js";
import { IntervalJoinOperator, type IntervalJoinSpec } from "../../../src/runtime/join/interval-join-operator.js";
import { heapBackend, levelDbBackend, type StateBackendFactory } from "../../../src/state/index.js";
import { ListSplitsSource } from "../helpers.js";

interface E {
  readonly key: string;
  readonly id: string;
  readonly ts: number;
}

const dirs: string[] = [];
const BACKENDS: ReadonlyArray<{ name: string; make(): Promise<StateBackendFactory> }> = [
  { name: "heap", make: async () => heapBackend() },
  {
    name: "leveldb",
    async make() {
      const dir = await mkdtemp(join(tmpdir(), "vigil-join-"));
      dirs.push(dir);
      return levelDbBackend({ directory: dir, cacheEntries: 2, flushThreshold: 1 });
    },
  },
];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

const pair: ProcessJoinFunction<E, E, string> = (l, r, ctx, out) =>
  out.collect(`${l.id}-${r.id}@${ctx.getTimestamp()}(${ctx.getLeftTimestamp()},${ctx.getRightTimestamp()})`);

function spec(lowerMs: number, upperMs: number, more: Partial<IntervalJoinSpec<E, E>> = {}): IntervalJoinSpec<E, E> {
  return { lowerMs, upperMs, lowerExclusive: false, upperExclusive: false, ...more };
}

function harness(s: IntervalJoinSpec<E, E>, backend?: StateBackendFactory, fn: ProcessJoinFunction<E, E, string> = pair) {
  return OperatorHarness.forTwoInputOperator<E, E, string>(
    () => new IntervalJoinOperator<E, E, string>(s, fn),
    (e) => e.key,
    (e) => e.key,
    { backend },
  );
}

const e = (key: string, id: string, ts: number): E => ({ key, id, ts });

describe("interval join operator", () => {
  it("joins a left element with right elements of the same key in [left + lower, left + upper], stamped with the later time", async () => {
    const h = await harness(spec(-2, 1));
    h.processElement1(e("k", "L5", 5), 5);
    for (const ts of [2, 3, 4, 6, 7]) h.processElement2(e("k", `R${ts}`, ts), ts);
    h.processElement2(e("j", "J5", 5), 5);
    expect(h.extractOutputValues()).toEqual(["L5-R3@5(5,3)", "L5-R4@5(5,4)", "L5-R6@6(5,6)"]);
    expect(h.getOutput().map((r) => r.timestamp)).toEqual([5, 5, 6]);
    h.clearOutput();
    // the left element arriving second finds the buffered right ones
    h.processElement1(e("k", "L8", 8), 8);
    expect(h.extractOutputValues()).toEqual(["L8-R6@8(8,6)", "L8-R7@8(8,7)"]);
    await h.close();
  });

  it("exclusive bounds exclude the ends; fractional timestamps are compared exactly", async () => {
    const h = await harness(spec(-2, 1, { lowerExclusive: true, upperExclusive: true }));
    h.processElement1(e("k", "L", 5), 5);
    for (const ts of [3, 3.5, 5.5, 5.999, 6]) h.processElement2(e("k", `R${ts}`, ts), ts);
    expect(h.extractOutputValues().map((s) => s.split("@")[0])).toEqual(["L-R3.5", "L-R5.5", "L-R5.999"]);
    await h.close();
  });

  it("cleans each side's buffer up by timers once the watermark shows nothing can join it any more", async () => {
    const h = await harness(spec(-2, 3));
    h.processElement1(e("k", "L", 10), 10); // can meet rights up to 13: removed at watermark 13
    h.processElement2(e("k", "R", 10), 10); // can meet lefts up to 12: removed at watermark 12
    expect(h.keyedState!.size()).toBe(2);
    expect(h.numEventTimeTimers()).toBe(2);
    h.processWatermark(11);
    expect(h.keyedState!.size()).toBe(2);
    h.processWatermark(12);
    expect(h.keyedState!.getKeys("interval-join-right")).toEqual([]);
    expect(h.keyedState!.getKeys("interval-join-left")).toEqual(["k"]);
    h.processElement1(e("k", "L13", 13), 13); // joins nothing: R@10 is gone, and 13 - 2 > 10 anyway
    h.processWatermark(100);
    expect(h.keyedState!.size()).toBe(0);
    expect(h.numEventTimeTimers()).toBe(0);
    expect(h.extractOutputValues()).toEqual(["L-R@10(10,10)"]);
    await h.close();
  });

  it("drops elements at or behind the watermark, or sends them to the late side outputs", async () => {
    const leftLate = new OutputTag<E>("left-late");
    const h = await harness({ ...spec(0, 5), leftLateTag: leftLate });
    h.processWatermark(10);
    h.processElement1(e("k", "L10", 10), 10).processElement1(e("k", "L11", 11), 11);
    h.processElement2(e("k", "R9", 9), 9).processElement2(e("k", "R12", 12), 12);
    expect(h.extractOutputValues()).toEqual(["L11-R12@12(11,12)"]);
    expect(h.getSideOutput(leftLate).map((r) => [r.value.id, r.timestamp])).toEqual([["L10", 10]]);
    await h.close();
  });

  it("a function object with side outputs and a lifecycle", async () => {
    const tag = new OutputTag<string>("far");
    const events: string[] = [];
    const h = await harness(spec(-10, 10), undefined, {
      open: () => void events.push("open"),
      processElement(l, r, ctx, out) {
        if (Math.abs(l.ts - r.ts) > 5) ctx.output(tag, `${l.id}/${r.id}`);
        else out.collect(`${l.id}+${r.id}`);
      },
      close: () => void events.push("close"),
    });
    h.processElement1(e("k", "a", 0), 0).processElement2(e("k", "b", 3), 3).processElement2(e("k", "c", 9), 9);
    expect(h.extractOutputValues()).toEqual(["a+b"]);
    expect(h.getSideOutput(tag).map((r) => [r.value, r.timestamp])).toEqual([["a/c", 9]]);
    await h.close();
    expect(events).toEqual(["open", "close"]);
  });

  it("rejects elements without timestamps and empty intervals", async () => {
    const h = await harness(spec(0, 1));
    expect(() => h.processElement1(e("k", "x", 0))).toThrow(/timestamp/);
    expect(() => new IntervalJoinOperator<E, E, string>(spec(2, 1), pair)).toThrow(/empty/);
    expect(() => new IntervalJoinOperator<E, E, string>(spec(1, 1, { lowerExclusive: true }), pair)).toThrow(/empty/);
  });

  it.each(BACKENDS)("keeps its buffers and timers across a snapshot and restore ($name)", async ({ make }) => {
    const h = await harness(spec(-1, 2), await make());
    h.processElement1(e("k", "L1", 1), 1).processElement2(e("j", "J1", 1), 1).processElement1(e("j", "M2", 2), 2);
    h.processWatermark(0);
    const snapshot = await h.snapshot();
    const before = h.extractOutputValues();
    await h.close();
    const r = await h.restore(snapshot, { backend: await make() });
    r.processElement2(e("k", "R3", 3), 3).processElement2(e("k", "R4", 4), 4);
    r.processWatermark(100);
    expect([...before, ...r.extractOutputValues()]).toEqual(["M2-J1@2(2,1)", "L1-R3@3(1,3)"]);
    expect(r.keyedState!.size()).toBe(0);
    expect(r.numEventTimeTimers()).toBe(0);
    await r.close();
  });
});

describe("interval join in a job", () => {
  it("a.keyBy(k).intervalJoin(b.keyBy(k)).between(lower, upper).process(fn), as Flink's example", async () => {
    const env = new StreamExecutionEnvironment().setParallelism(2);
    const orange = env.fromSource(
      new ListSplitsSource([[0, 2, 3, 4, 5, 7].map((ts) => e("o", `o${ts}`, ts))], (x) => x.ts, 2),
      WatermarkStrategy.forMonotonousTimestamps<E>(),
      "orange",
    );
    const green = env.fromSource(
      new ListSplitsSource([[0, 1, 6, 7].map((ts) => e("o", `g${ts}`, ts))], (x) => x.ts, 1),
      WatermarkStrategy.forMonotonousTimestamps<E>(),
      "green",
    );
    const sink = new CollectSink<string>();
    orange
      .keyBy((x) => x.key)
      .intervalJoin(green.keyBy((x) => x.key))
      .between(-2, 1)
      .process<string>((l, r, _ctx, out) => out.collect(`${l.id},${r.id}`))
      .sinkTo(sink);
    await env.execute("interval join");
    // Flink's docs figure: each orange joins the greens in [orange - 2, orange + 1]
    expect(sink.values.sort()).toEqual(["o0,g0", "o0,g1", "o2,g0", "o2,g1", "o3,g1", "o5,g6", "o7,g6", "o7,g7"].sort());
    expect(sink.records.find((x) => x.value === "o5,g6")?.timestamp).toBe(6);
  });

  it("validates its arguments when the job is built", () => {
    const env = new StreamExecutionEnvironment();
    const a = env.fromElements(e("k", "a", 0)).keyBy((x) => x.key);
    const b = env.fromElements(e("k", "b", 0)).keyBy((x) => x.key);
    expect(() => a.intervalJoin(b).between(3, 1)).toThrow(/lower bound/);
    expect(() => a.intervalJoin(b).between(0, Number.NaN)).toThrow(/finite/);
    expect(() => a.intervalJoin(b).between(1, 1).lowerBoundExclusive().process(pair)).toThrow(/empty/);
    expect(() => a.intervalJoin(b).inProcessingTime()).toThrow(/event time/);
    expect(() => a.intervalJoin(b).between(0, 1).process({} as never)).toThrow(/processElement/);
  });
});

// ---- property: the operator equals a brute-force nested loop ----------------------------

type Item = { side: 1 | 2; el: E } | { wm: number };
interface JoinCase {
  readonly lowerMs: number;
  readonly upperMs: number;
  readonly lowerExclusive: boolean;
  readonly upperExclusive: boolean;
  readonly items: readonly Item[];
}

const joins = (c: JoinCase, l: number, r: number) => {
  const d = r - l;
  return (c.lowerExclusive ? d > c.lowerMs : d >= c.lowerMs) && (c.upperExclusive ? d < c.upperMs : d <= c.upperMs);
};

/** Keyed inputs, timestamps non-decreasing per input, interleaved at random, with watermarks that may make elements late. */
const caseArb: fc.Arbitrary<JoinCase> = fc
  .record({
    lowerMs: fc.integer({ min: -6, max: 6 }),
    width: fc.integer({ min: 0, max: 8 }),
    lowerExclusive: fc.boolean(),
    upperExclusive: fc.boolean(),
    steps: fc.array(
      fc.oneof(
        { weight: 6, arbitrary: fc.record({ side: fc.constantFrom<1 | 2>(1, 2), key: fc.constantFrom("a", "b", "c"), dt: fc.integer({ min: 0, max: 3 }) }) },
        { weight: 3, arbitrary: fc.record({ lag: fc.integer({ min: 0, max: 4 }), of: fc.constantFrom<1 | 2>(1, 2) }) },
      ),
      { maxLength: 40 },
    ),
  })
  .map(({ lowerMs, width, lowerExclusive, upperExclusive, steps }) => {
    const upperMs = lowerMs + width;
    const excl = width === 0 ? { lowerExclusive: false, upperExclusive: false } : { lowerExclusive, upperExclusive };
    const last = { 1: 0, 2: 0 };
    let n = 0;
    const items: Item[] = steps.map((s) => {
      // behind one input's newest timestamp: elements of the other input may be late
      if ("lag" in s) return { wm: last[s.of] - s.lag };
      last[s.side] += s.dt;
      return { side: s.side, el: { key: s.key, id: `${s.side === 1 ? "L" : "R"}${n++}`, ts: last[s.side] } };
    });
    return { lowerMs, upperMs, ...excl, items };
  });

function nestedLoop(c: JoinCase): { pairs: string[]; late: string[] } {
  let wm = Number.NEGATIVE_INFINITY;
  const lefts: E[] = [];
  const rights: E[] = [];
  const late: string[] = [];
  for (const it of c.items) {
    if ("wm" in it) wm = Math.max(wm, it.wm);
    else if (it.el.ts <= wm) late.push(it.el.id);
    else (it.side === 1 ? lefts : rights).push(it.el);
  }
  const pairs: string[] = [];
  for (const l of lefts) for (const r of rights) if (l.key === r.key && joins(c, l.ts, r.ts)) pairs.push(`${l.id}-${r.id}@${Math.max(l.ts, r.ts)}`);
  return { pairs: pairs.sort(), late: late.sort() };
}

async function runOperator(c: JoinCase, backend: { make(): Promise<StateBackendFactory> }, restoreAt: number | null) {
  const leftLate = new OutputTag<E>("l");
  const rightLate = new OutputTag<E>("r");
  const s: IntervalJoinSpec<E, E> = { ...c, leftLateTag: leftLate, rightLateTag: rightLate };
  let h = await harness(s, await backend.make(), (l, r, ctx, out) => out.collect(`${l.id}-${r.id}@${ctx.getTimestamp()}`));
  const pairs: string[] = [];
  const late: string[] = [];
  const drain = () => {
    pairs.push(...h.getOutput().map((x) => (x.value.endsWith(`@${x.timestamp}`) ? x.value : `${x.value} stamped ${x.timestamp}`)));
    late.push(...h.getSideOutput(leftLate).map((x) => x.value.id), ...h.getSideOutput(rightLate).map((x) => x.value.id));
    h.clearOutput();
  };
  let watermark = Number.NEGATIVE_INFINITY;
  for (let i = 0; i <= c.items.length; i++) {
    if (i === restoreAt) {
      drain();
      const snap = await h.snapshot();
      await h.close();
      h = await h.restore(snap, { backend: await backend.make() });
      // watermarks are not state: after a restore the input brings its watermark again
      if (watermark > Number.NEGATIVE_INFINITY) h.processWatermark(watermark);
    }
    if (i === c.items.length) break;
    const it = c.items[i];
    if ("wm" in it) h.processWatermark((watermark = Math.max(watermark, it.wm)));
    else if (it.side === 1) h.processElement1(it.el, it.el.ts);
    else h.processElement2(it.el, it.el.ts);
  }
  h.processWatermark(Number.POSITIVE_INFINITY);
  drain();
  expect(h.keyedState!.size()).toBe(0);
  expect(h.numEventTimeTimers()).toBe(0);
  await h.close();
  return { pairs: pairs.sort(), late: late.sort() };
}

describe("interval join = nested loop (property)", () => {
  it.each(BACKENDS)("in the harness, with a snapshot and restore at a random point ($name)", async (backend) => {
    await fc.assert(
      fc.asyncProperty(caseArb, fc.option(fc.nat(), { nil: null }), async (c, at) => {
        const restoreAt = at === null ? null : at % (c.items.length + 1);
        expect(await runOperator(c, backend, restoreAt)).toEqual(nestedLoop(c));
      }),
      { numRuns: backend.name === "heap" ? 2000 : 100 },
    );
  });

  it("through jobs at parallelism 1, 2 and 4 and in batch mode (monotonous timestamps per input: nothing late)", async () => {
    await fc.assert(
      fc.asyncProperty(caseArb, fc.integer({ min: 1, max: 3 }), async (c, batch) => {
        const events = c.items.filter((x): x is { side: 1 | 2; el: E } => "el" in x);
        const expected = nestedLoop({ ...c, items: events }).pairs;
        for (const mode of [1, 2, 4, "batch"] as const) {
          const env = new StreamExecutionEnvironment().setParallelism(mode === "batch" ? 2 : mode);
          if (mode === "batch") env.setRuntimeMode("batch");
          const side = (s: 1 | 2) =>
            env
              .fromSource(
                new ListSplitsSource([events.filter((x) => x.side === s).map((x) => x.el)], (x) => x.ts, batch),
                WatermarkStrategy.forMonotonousTimestamps<E>(),
                `side-${s}`,
              )
              .keyBy((x) => x.key);
          const sink = new CollectSink<string>();
          let joined = side(1).intervalJoin(side(2)).between(c.lowerMs, c.upperMs);
          if (c.lowerExclusive) joined = joined.lowerBoundExclusive();
          if (c.upperExclusive) joined = joined.upperBoundExclusive();
          joined.process<string>((l, r, ctx, out) => out.collect(`${l.id}-${r.id}@${ctx.getTimestamp()}`)).sinkTo(sink);
          await env.execute();
          expect(sink.values.sort(), `mode ${mode}`).toEqual(expected);
        }
      }),
      { numRuns: 60 },
    );
  });
});

it("docs/joins.md: the interval join example", async () => {
  type Order = { orderId: string; ts: number };
  type Payment = { orderId: string; amount: number; ts: number };

  const env = StreamExecutionEnvironment.getExecutionEnvironment();
  const orders = env.fromSource(
    new CollectionSource<Order>([{ orderId: "o1", ts: 0 }, { orderId: "o2", ts: 30_000 }]),
    WatermarkStrategy.forBoundedOutOfOrderness<Order>(5_000).withTimestampAssigner((o) => o.ts),
    "orders",
  );
  const payments = env.fromSource(
    new CollectionSource<Payment>([
      { orderId: "o1", amount: 20, ts: 120_000 },
      { orderId: "o2", amount: 35, ts: 15 * 60_000 },
    ]),
    WatermarkStrategy.forBoundedOutOfOrderness<Payment>(5_000).withTimestampAssigner((p) => p.ts),
    "payments",
  );
  const latePayments = new OutputTag<Payment>("late-payments");

  // every payment made from 1 minute before to 10 minutes after its order
  const paid = orders
    .keyBy((o) => o.orderId)
    .intervalJoin(payments.keyBy((p) => p.orderId))
    .between(-60_000, 10 * 60_000)
    .sideOutputRightLateData(latePayments)
    .process<{ orderId: string; amount: number; delayMs: number }>((order, payment, ctx, out) =>
      out.collect({ orderId: order.orderId, amount: payment.amount, delayMs: ctx.getRightTimestamp() - ctx.getLeftTimestamp() }),
    );
  const paidSink = new CollectSink<{ orderId: string; amount: number; delayMs: number }>();
  paid.sinkTo(paidSink);
  paid.getSideOutput(latePayments).sinkTo(new CollectSink());
  await env.execute("paid orders");
  expect(paidSink.values).toEqual([{ orderId: "o1", amount: 20, delayMs: 120_000 }]);
});
