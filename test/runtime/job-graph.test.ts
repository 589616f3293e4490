import { describe, expect, it } from "vitest";
import { CollectSink, DataGeneratorSource, StreamExecutionEnvironment } from "../../src/runtime/index.js";
import { multiset } from "./helpers.js";

describe("the job graph", () => {
  it("chains forward edges of equal parallelism and partitions the rest", () => {
    const env = new StreamExecutionEnvironment().setParallelism(2);
    env
      .fromSequence(1, 10)
      .map((n) => n * 2)
      .name("double")
      .keyBy((n) => n % 3)
      .reduce((a, b) => a + b)
      .uid("sums")
      .sinkTo(new CollectSink<number>())
      .setParallelism(1);
    const text = env.describe();
    expect(text).toMatch(/"double" x2 <- chained from source-0/);
    expect(text).toMatch(/sums "Keyed Reduce" x2 <- hash from one-input-1/);
    expect(text).toMatch(/"Sink" x1 <- rebalance from sums/);
  });

  it("refuses forward() between different parallelisms, duplicate uids and a parallel collection source", async () => {
    const env = new StreamExecutionEnvironment();
    env.fromSequence(1, 3).setParallelism(2).forward().map((n) => n).setParallelism(1).sinkTo(new CollectSink());
    await expect(env.execute()).rejects.toThrow(/forward needs equal parallelism/);

    const env2 = new StreamExecutionEnvironment();
    env2.fromElements(1).map((n) => n).uid("x").map((n) => n).uid("x").sinkTo(new CollectSink());
    await expect(env2.execute()).rejects.toThrow(/two operators have the uid "x"/);

    const env3 = new StreamExecutionEnvironment();
    env3.fromElements(1, 2).setParallelism(2).sinkTo(new CollectSink());
    await expect(env3.execute()).rejects.toThrow(/supports parallelism 1 at most/);
  });

  it("a collection source at a higher default parallelism runs with parallelism 1", async () => {
    const env = new StreamExecutionEnvironment().setParallelism(4);
    const sink = new CollectSink<number>();
    env.fromElements(1, 2, 3).map((n) => n + 1).sinkTo(sink);
    await env.execute();
    expect(multiset(sink.values)).toEqual(multiset([2, 3, 4]));
  });
});

describe("DataGeneratorSource and fromSequence", () => {
  it("cut the range into one split per subtask and emit every index once", async () => {
    const env = new StreamExecutionEnvironment().setParallelism(3);
    const sink = new CollectSink<number>();
    env.fromSequence(5, 10_004).sinkTo(sink);
    await env.execute();
    expect(sink.values.length).toBe(10_000);
    expect(new Set(sink.values).size).toBe(10_000);
    expect(Math.min(...sink.values)).toBe(5);
    expect(new Set(sink.records.map((r) => r.subtask)).size).toBe(3);
  });

  it("replays from a split position and stamps timestamps", async () => {
    const source = new DataGeneratorSource((i) => ({ i }), 10, (_v, i) => i * 1000);
    const [split] = source.createSplits({ parallelism: 1 });
    const reader = source.createReader();
    await reader.addSplits([{ ...split, next: 7 }]);
    const got: Array<[number, number | undefined]> = [];
    reader.pollNext({ collect: (v, _s, ts) => void got.push([v.i, ts]), splitFinished: () => {} });
    expect(got).toEqual([[7, 7000], [8, 8000], [9, 9000]]);
    expect(reader.snapshotState(1)).toEqual([{ splitId: "range-0", from: 0, to: 10, next: 10 }]);
  });
});

describe("setParallelism", () => {
  it("rejects a non-integer or zero on the environment, an operator and a sink alike", () => {
    const env = new StreamExecutionEnvironment();
    expect(() => env.setParallelism(0)).toThrow(/setParallelism: expected an integer >= 1, got 0/);
    const s = env.fromElements(1).map((n) => n);
    expect(() => s.setParallelism(1.5)).toThrow(/expected an integer >= 1/);
    expect(() => s.setMaxParallelism(0)).toThrow(/setMaxParallelism: expected an integer >= 1/);
    expect(() => s.sinkTo(new CollectSink()).setParallelism(-1)).toThrow(/expected an integer >= 1/);
  });
});
