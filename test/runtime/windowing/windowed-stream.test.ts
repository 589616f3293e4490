import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import {
  CollectSink,
  CollectionSource,
  OutputTag,
  StreamExecutionEnvironment,
  WatermarkStrategy,
  type DataStream,
} from "../../../src/runtime/index.js";
import type { StateBackendFactory } from "../../../src/state/api.js";
import {
  CountTrigger,
  CumulativeEventTimeWindows,
  EventTimeSessionWindows,
  GlobalWindows,
  SlidingEventTimeWindows,
  TumblingEventTimeWindows,
  type TimeWindow,
  type Window,
  type WindowAssigner,
} from "../../../src/runtime/windowing/index.js";
import { ListSplitsSource } from "../helpers.js";
import { cumulativeSpans, referenceFixed, referenceSessions, slidingSpans, tumblingSpans, type Op, type RefResult } from "./reference.js";
import { countSum, labelAgg, multiset, processAgg, removeTempDirs, tempLevelDb, type Agg, type Ev } from "./window-harness.js";

afterAll(removeTempDirs);

const BOUND = 20;
const strategy = () => WatermarkStrategy.forBoundedOutOfOrderness<Ev>(BOUND).withTimestampAssigner((e) => e.ts);

/** Events split over `splits` source splits, each in order up to `BOUND` ms of disorder: nothing is late. */
const inputArb = fc
  .tuple(
    fc.array(fc.record({ key: fc.constantFrom("a", "b", "c", "d"), v: fc.integer({ min: 1, max: 9 }), jitter: fc.integer({ min: 0, max: BOUND }) }), { maxLength: 80 }),
    fc.integer({ min: 0, max: 5 }),
    fc.integer({ min: 1, max: 3 }),
  )
  .map(([items, step, splits]) => {
    const events = items.map((it, i): Ev => ({ key: it.key, v: it.v, ts: i * step + it.jitter - 40 }));
    const parts: Ev[][] = Array.from({ length: splits }, () => []);
    events.forEach((e, i) => parts[i % splits].push(e));
    return parts;
  });

interface JobOptions {
  batch?: boolean;
  backend?: StateBackendFactory;
  parallelism?: number;
}

async function runJob<O>(splits: Ev[][], build: (events: DataStream<Ev>) => DataStream<O>, o: JobOptions = {}): Promise<O[]> {
  const env = StreamExecutionEnvironment.getExecutionEnvironment().setParallelism(o.parallelism ?? 2);
  if (o.batch) env.setRuntimeMode("batch");
  if (o.backend) env.setStateBackend(o.backend);
  const sink = new CollectSink<O>();
  build(env.fromSource(new ListSplitsSource(splits, (e) => e.ts), strategy(), "events")).sinkTo(sink);
  await env.execute("windows");
  return sink.values;
}

const elementsOnly = (splits: Ev[][]): Op[] => splits.flat().map((e) => ({ kind: "el", e }));

function windowed<W extends Window>(assigner: WindowAssigner<Ev, W>, how: "aggregate" | "process") {
  return (events: DataStream<Ev>): DataStream<Agg> => {
    const w = events.keyBy((e) => e.key).window(assigner);
    return how === "aggregate" ? w.aggregate(countSum, labelAgg as never) : w.process(processAgg as never);
  };
}

const cases: Array<[string, () => WindowAssigner<Ev, TimeWindow>, (ops: Op[]) => RefResult]> = [
  ["tumbling", () => TumblingEventTimeWindows.of(15, 4), (ops) => referenceFixed(ops, tumblingSpans(15, 4), 0)],
  ["sliding", () => SlidingEventTimeWindows.of(20, 7), (ops) => referenceFixed(ops, slidingSpans(20, 7, 0), 0)],
  ["cumulative", () => CumulativeEventTimeWindows.of(30, 10), (ops) => referenceFixed(ops, cumulativeSpans(30, 10, 0), 0)],
  ["session", () => EventTimeSessionWindows.withGap(6), (ops) => referenceSessions(ops, () => 6, 0)],
  ["dynamic session", () => EventTimeSessionWindows.withDynamicGap((e: Ev) => e.v), (ops) => referenceSessions(ops, (e) => e.v, 0)],
];

describe("keyBy().window() end to end", () => {
  for (const [name, assigner, reference] of cases) {
    it(`${name} windows: streaming (parallelism 2) and batch agree with the reference when nothing is late`, async () => {
      await fc.assert(
        fc.asyncProperty(inputArb, fc.constantFrom<"aggregate" | "process">("aggregate", "process"), async (splits, how) => {
          const expected = multiset(reference(elementsOnly(splits)).out);
          expect(multiset(await runJob(splits, windowed(assigner(), how)))).toEqual(expected);
          expect(multiset(await runJob(splits, windowed(assigner(), how), { batch: true }))).toEqual(expected);
        }),
        { numRuns: 15 },
      );
    });
  }

  it("gives the same results on LevelDB", async () => {
    await fc.assert(
      fc.asyncProperty(inputArb, async (splits) => {
        const expected = multiset(referenceFixed(elementsOnly(splits), slidingSpans(20, 7, 0), 0).out);
        const backend = await tempLevelDb();
        expect(multiset(await runJob(splits, windowed(SlidingEventTimeWindows.of(20, 7), "aggregate"), { backend }))).toEqual(expected);
      }),
      { numRuns: 4 },
    );
  });

  it("stamps results with the window's max timestamp and names the operator after its parts", async () => {
    const env = StreamExecutionEnvironment.getExecutionEnvironment();
    const sink = new CollectSink<number>();
    env
      .fromSource(new CollectionSource<Ev>([{ key: "a", v: 1, ts: 5 }, { key: "a", v: 2, ts: 15 }], (e) => e.ts), strategy(), "events")
      .keyBy((e) => e.key)
      .window(TumblingEventTimeWindows.of(10))
      .reduce((a, b) => ({ ...a, v: a.v + b.v }))
      .map((e) => e.v)
      .sinkTo(sink);
    expect(env.describe()).toContain("Window(TumblingEventTimeWindows(10), EventTimeTrigger(), reduce)");
    await env.execute();
    expect(sink.records.map((r) => [r.value, r.timestamp])).toEqual([
      [1, 9],
      [2, 19],
    ]);
  });

  it("sends late elements to the late-data side output", async () => {
    const late = new OutputTag<Ev>("late");
    const env = StreamExecutionEnvironment.getExecutionEnvironment();
    const sink = new CollectSink<Agg>();
    const lateSink = new CollectSink<Ev>();
    // after the first batch of 7 the watermark is 80 - 5 - 1: the element at 3 is too late for [0, 10) even with
    // 50 ms lateness; [60, 70) is past its end but within its lateness, so 60 and 64 each fire it
    const events: Ev[] = [0, 10, 20, 30, 40, 50, 80, 3, 60, 64].map((ts) => ({ key: "k", v: 1, ts }));
    const result = env
      .fromSource(new ListSplitsSource([events], (e) => e.ts), WatermarkStrategy.forBoundedOutOfOrderness<Ev>(5).withTimestampAssigner((e) => e.ts), "events")
      .keyBy((e) => e.key)
      .window(TumblingEventTimeWindows.of(10))
      .allowedLateness(50)
      .sideOutputLateData(late)
      .aggregate(countSum, labelAgg as never);
    result.sinkTo(sink);
    result.getSideOutput(late).sinkTo(lateSink);
    await env.execute();
    expect(lateSink.values).toEqual([{ key: "k", v: 1, ts: 3 }]);
    expect(sink.values.filter((a) => a.start === 60).map((a) => a.count)).toEqual([1, 2]);
  });

  it("countWindow(n) and countWindow(n, slide) on a keyed stream", async () => {
    const events = Array.from({ length: 7 }, (_, i): Ev => ({ key: "k", v: i + 1, ts: i }));
    const tumbling = await runJob([events], (s) => s.keyBy((e) => e.key).countWindow(3).reduce((a, b) => ({ ...a, v: a.v + b.v })), { parallelism: 1 });
    expect(tumbling.map((e) => e.v)).toEqual([1 + 2 + 3, 4 + 5 + 6]);
    const sliding = await runJob([events], (s) => s.keyBy((e) => e.key).countWindow(3, 2).reduce((a, b) => ({ ...a, v: a.v + b.v })), { parallelism: 1 });
    expect(sliding.map((e) => e.v)).toEqual([1 + 2, 2 + 3 + 4, 4 + 5 + 6]);
  });

  it("apply with a WindowFunction", async () => {
    const events: Ev[] = [{ key: "a", v: 1, ts: 1 }, { key: "a", v: 2, ts: 2 }, { key: "b", v: 3, ts: 3 }];
    const out = await runJob([events], (s) =>
      s.keyBy((e) => e.key).window(TumblingEventTimeWindows.of(10)).apply<string>((key, w, input, o) => o.collect(`${key} ${w.start} ${input.map((e) => e.v).join("+")}`)),
    );
    expect(out.sort()).toEqual(["a 0 1+2", "b 0 3"]);
  });
});

describe("windowAll", () => {
  it("windows the whole stream in one subtask", async () => {
    const events = Array.from({ length: 30 }, (_, i): Ev => ({ key: `k${i % 4}`, v: i, ts: i }));
    const env = StreamExecutionEnvironment.getExecutionEnvironment().setParallelism(3);
    const sink = new CollectSink<string>();
    env
      .fromSource(new ListSplitsSource([events.slice(0, 15), events.slice(15)], (e) => e.ts), strategy(), "events")
      .windowAll(TumblingEventTimeWindows.of(10))
      .process<string>((ctx, elements, out) => out.collect(`${ctx.window().start}: ${elements.reduce((s, e) => s + e.v, 0)}`))
      .sinkTo(sink);
    expect(env.describe()).toContain(`"Window(TumblingEventTimeWindows(10), EventTimeTrigger(), process)" x1`);
    await env.execute();
    expect(sink.values.sort()).toEqual(["0: 45", "10: 145", "20: 245"]);
  });

  it("aggregate and count triggers over all elements", async () => {
    const events = Array.from({ length: 9 }, (_, i): Ev => ({ key: "x", v: 1, ts: i }));
    const out = await runJob([events], (s) => s.windowAll(GlobalWindows.create<Ev>()).trigger(CountTrigger.of(4)).aggregate(countSum));
    expect(out).toEqual([
      { count: 4, sum: 4 },
      { count: 8, sum: 8 },
    ]);
  });
});
