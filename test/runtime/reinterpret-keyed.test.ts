import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  CollectSink,
  DataStreamUtils,
  StreamExecutionEnvironment,
  WatermarkStrategy,
  type KeyedProcessContext,
  type KeyedProcessFunction,
  type RuntimeContext,
} from "../../src/runtime/index.js";
import { WorkerExecutor } from "../../src/runtime/executor/worker-executor.js";
import { TumblingEventTimeWindows } from "../../src/runtime/windowing/index.js";
import { ValueStateDescriptor } from "../../src/state/descriptors.js";
import type { ValueState } from "../../src/state/api.js";
import build, { buildReinterpreted, events, type Event } from "./jobs/keyed-sum-job.js";
import { ListSplitsSource, multiset, partitionByKeyGroup } from "./helpers.js";
import { main as partitionedTotals, partitionOf } from "../../examples/runtime/partitioned-totals.js";

const jobModule = new URL("./jobs/keyed-sum-job.ts", import.meta.url);

async function keyedByHash(parallelism: number): Promise<string[]> {
  const env = new StreamExecutionEnvironment();
  const sink = build(env, parallelism);
  await env.execute();
  return sink.values;
}

describe("DataStreamUtils.reinterpretAsKeyedStream", () => {
  it("gives keyBy's results at parallelism 1, 2 and 4 from a source partitioned by key group", async () => {
    const expected = await keyedByHash(1);
    expect(expected.length).toBeGreaterThan(1000);
    for (const p of [1, 2, 4]) {
      const env = new StreamExecutionEnvironment();
      const sink = buildReinterpreted(env, p);
      await env.execute();
      expect(multiset(sink.values)).toEqual(multiset(expected));
      if (p > 1) expect(new Set(sink.records.map((r) => r.subtask)).size).toBe(p);
    }
  });

  it("plans no exchange: the keyed operator is chained to its source", () => {
    const env = new StreamExecutionEnvironment();
    buildReinterpreted(env, 2);
    const keyed = env.jobGraph().find((n) => n.name === "KeyedProcess")!;
    expect(keyed.inputs).toHaveLength(1);
    expect(keyed.inputs[0].partitioner.kind).toBe("forward");
    expect(keyed.inputs[0].chained).toBe(true);
    // the keyBy job has a hash edge there
    const env2 = new StreamExecutionEnvironment();
    build(env2, 2);
    expect(env2.jobGraph().find((n) => n.name === "KeyedProcess")!.inputs[0].partitioner.kind).toBe("hash");
  });

  it("runs on worker threads with no record crossing and keyBy's results", async () => {
    const expected = await keyedByHash(1);
    const env = new StreamExecutionEnvironment();
    const sink = buildReinterpreted(env, 2);
    env.setExecutor(new WorkerExecutor({ jobModule, exportName: "buildReinterpreted", threads: 2 }));
    const result = await env.execute("reinterpreted on threads");
    expect(result.kind).toBe("finished");
    expect(multiset(sink.values)).toEqual(multiset(expected));
  });

  it("fails the job, naming the key, its key group and owner, when the source is not partitioned that way", async () => {
    const env = new StreamExecutionEnvironment();
    buildReinterpreted(env, 2, 2_000, events(2_000)); // 4 splits by arrival, not by key group
    await expect(env.execute()).rejects.toThrow(
      /subtask [01]\): key \d+ is in key group \d+, which subtask [01] owns, not this one \(key groups \d+-\d+\).*reinterpretAsKeyedStream/,
    );
  });

  it("keeps Flink's forward rule: the stream and the keyed operator need the same parallelism", () => {
    const env = new StreamExecutionEnvironment();
    env.setParallelism(2);
    const s = env.fromElements(1, 2, 3).setParallelism(1);
    DataStreamUtils.reinterpretAsKeyedStream(s, (x) => x)
      .reduce((a, b) => a + b)
      .sinkTo(new CollectSink<number>());
    expect(() => env.jobGraph()).toThrow(/forward/i);
  });

  it("property: windows over a key-partitioned source equal keyBy's at parallelism 1 (any events, parallelism 1, 2 or 4)", async () => {
    const event = fc.record({ key: fc.integer({ min: 0, max: 30 }), value: fc.integer({ min: 0, max: 100 }), dt: fc.integer({ min: 0, max: 400 }) });
    await fc.assert(
      fc.asyncProperty(fc.array(event, { minLength: 1, maxLength: 300 }), fc.constantFrom(1, 2, 4), async (raw, parallelism) => {
        let ts = 0;
        const all: Event[] = raw.map((r) => ({ key: r.key, value: r.value, ts: (ts += r.dt) }));
        const run = async (p: number, splits: Event[][], reinterpret: boolean): Promise<string[]> => {
          const env = new StreamExecutionEnvironment();
          env.setParallelism(p);
          const sink = new CollectSink<string>();
          const src = env.fromSource(new ListSplitsSource(splits, (e) => e.ts, 5), WatermarkStrategy.forMonotonousTimestamps<Event>(), "events");
          const keyed = reinterpret ? DataStreamUtils.reinterpretAsKeyedStream(src, (e) => e.key) : src.keyBy((e) => e.key);
          keyed
            .window(TumblingEventTimeWindows.of(1000))
            .reduce((a, b) => ({ key: a.key, value: a.value + b.value, ts: Math.max(a.ts, b.ts) }))
            .map((e) => `${e.key}:${Math.floor(e.ts / 1000)}=${e.value}`)
            .sinkTo(sink);
          await env.execute();
          return sink.values;
        };
        const expected = await run(1, [all], false);
        const actual = await run(parallelism, partitionByKeyGroup(all, (e) => e.key, parallelism), true);
        expect(multiset(actual)).toEqual(multiset(expected));
      }),
      { numRuns: 40 },
    );
  });

  it("keyed state is per key on each subtask", async () => {
    class Count implements KeyedProcessFunction<number, Event, string> {
      private n!: ValueState<number>;
      open(ctx: RuntimeContext) {
        this.n = ctx.getState(new ValueStateDescriptor<number>("n"));
      }
      processElement(e: Event, ctx: KeyedProcessContext<number>, out: { collect(s: string): void }) {
        const n = (this.n.value() ?? 0) + 1;
        this.n.update(n);
        if (n === 3) out.collect(`${ctx.getCurrentKey()}`);
      }
    }
    const all: Event[] = Array.from({ length: 90 }, (_, i) => ({ key: i % 30, value: 1, ts: i }));
    const env = new StreamExecutionEnvironment();
    env.setParallelism(2);
    const sink = new CollectSink<string>();
    const src = env.fromSource(new ListSplitsSource(partitionByKeyGroup(all, (e) => e.key, 2), (e) => e.ts), WatermarkStrategy.noWatermarks<Event>(), "e");
    DataStreamUtils.reinterpretAsKeyedStream(src, (e) => e.key).process(new Count()).sinkTo(sink);
    await env.execute();
    expect(sink.values.map(Number).sort((a, b) => a - b)).toEqual(Array.from({ length: 30 }, (_, i) => i));
  });
});

describe("the reinterpretAsKeyedStream example (examples/runtime/partitioned-totals.ts)", () => {
  it("uses both partitions and gives keyBy's totals", async () => {
    expect(new Set(["c1", "c2", "c3", "c4"].map(partitionOf)).size).toBe(2);
    const totals = await partitionedTotals();
    expect(totals).toEqual(await partitionedTotals(true));
    expect(totals).toEqual([
      "c1 0: 2 txns, 42",
      "c1 60000: 1 txns, 2500",
      "c2 0: 1 txns, 700",
      "c2 60000: 1 txns, 8",
      "c3 0: 1 txns, 40",
      "c4 60000: 1 txns, 99",
    ]);
  });
});
