import { tempDirs, until } from "./helpers.js";
import { afterAll, describe, expect, it } from "vitest";
import { CEP, Pattern } from "../../../src/cep/index.js";
import {
  CollectSink,
  InMemorySource,
  StreamExecutionEnvironment,
  WatermarkStrategy,
  type JobClient,
  type KeyedProcessFunction,
  type RuntimeContext,
} from "../../../src/runtime/index.js";
import { ValueStateDescriptor } from "../../../src/state/descriptors.js";
import type { ValueState } from "../../../src/state/api.js";
import { levelDbBackend } from "../../../src/state/index.js";

const { tmp, cleanup } = tempDirs("vigil-savepoint-");
afterAll(cleanup);


type Ev = { card: string; ts: number };

/** Counts per card in keyed state; emits "card:count"; at the end of the window of 1000 ms after the first, emits "card:timer". */
class Counter implements KeyedProcessFunction<string, Ev, string> {
  private count!: ValueState<number>;
  open(ctx: RuntimeContext) {
    this.count = ctx.getState(new ValueStateDescriptor<number>("count"));
  }
  processElement(e: Ev, ctx: { timerService(): { registerEventTimeTimer(t: number): void } }, out: { collect(s: string): void }) {
    const n = (this.count.value() ?? 0) + 1;
    this.count.update(n);
    if (n === 1) ctx.timerService().registerEventTimeTimer(e.ts + 1000);
    out.collect(`${e.card}:${n}`);
  }
  onTimer(_ts: number, ctx: { getCurrentKey(): string }, out: { collect(s: string): void }) {
    out.collect(`${ctx.getCurrentKey()}:timer`);
  }
}

interface Phase {
  parallelism: number;
  restore?: string;
  allowNonRestoredState?: boolean;
  /** Build the counting operator (with this uid), or leave it out. */
  counterUid?: string | null;
  extraUid?: string;
  leveldb?: boolean;
}

function build(source: InMemorySource<Ev>, sink: CollectSink<string>, p: Phase): StreamExecutionEnvironment {
  const env = new StreamExecutionEnvironment().setParallelism(p.parallelism);
  if (p.leveldb) env.setStateBackend(levelDbBackend({ directory: tmp() }));
  if (p.restore !== undefined) env.restoreFrom(p.restore, { allowNonRestoredState: p.allowNonRestoredState });
  let s = env.fromSource(source, WatermarkStrategy.forMonotonousTimestamps<Ev>().withTimestampAssigner((e) => e.ts), "events").uid("events");
  if (p.extraUid !== undefined) s = s.filter(() => true).uid(p.extraUid);
  const keyed = s.keyBy((e) => e.card);
  if (p.counterUid === null) keyed.map((e) => `${e.card}:seen`).uid("seen").sinkTo(sink);
  else keyed.process(new Counter()).uid(p.counterUid ?? "counter").sinkTo(sink);
  return env;
}

const cards = (n: number, from: number, ts: number) => Array.from({ length: n }, (_, i) => ({ card: `c${(from + i) % 10}`, ts: ts + i }));

async function stopAfter(client: JobClient, sink: CollectSink<string>, expected: number, dir: string): Promise<string> {
  await until(() => sink.values.length >= expected, `${expected} outputs`);
  return client.stopWithSavepoint(dir);
}

describe("savepoints", () => {
  it("stop-with-savepoint at parallelism 2, restore at 3, again at 1: every key's count continues, timers survive", async () => {
    for (const leveldb of [false, true]) {
      const source = new InMemorySource<Ev>();
      const dir = tmp();
      const sink1 = new CollectSink<string>();
      source.push(...cards(30, 0, 0));
      const c1 = await build(source, sink1, { parallelism: 2, leveldb }).executeAsync("sp");
      const sp1 = await stopAfter(c1, sink1, 30, dir);
      await c1.getJobExecutionResult();
      expect(c1.getJobStatus()).toBe("FINISHED");
      expect(sink1.values.filter((v) => v.endsWith(":3"))).toHaveLength(10);

      const sink2 = new CollectSink<string>();
      source.push(...cards(20, 0, 100));
      const c2 = await build(source, sink2, { parallelism: 3, restore: sp1, leveldb }).executeAsync("sp");
      const sp2 = await stopAfter(c2, sink2, 20, dir);
      expect(sink2.values.sort()).toEqual(Array.from({ length: 10 }, (_, i) => [`c${i}:4`, `c${i}:5`]).flat().sort());

      const sink3 = new CollectSink<string>();
      source.push(...cards(10, 0, 5000)); // the watermark passes 1000 + first ts: the timers from phase 1 fire once
      source.end();
      await (await build(source, sink3, { parallelism: 1, restore: sp2, leveldb }).executeAsync("sp")).getJobExecutionResult();
      expect(sink3.values.filter((v) => v.endsWith(":timer"))).toHaveLength(10);
      expect(sink3.values.filter((v) => !v.endsWith(":timer")).sort()).toEqual(Array.from({ length: 10 }, (_, i) => `c${i}:6`).sort());
    }
  }, 60_000);

  it("a savepoint of a running job leaves it running; restoring it gives the state at the savepoint", async () => {
    const source = new InMemorySource<Ev>();
    const sink = new CollectSink<string>();
    source.push(...cards(10, 0, 0));
    const client = await build(source, sink, { parallelism: 2 }).executeAsync("sp");
    await until(() => sink.values.length >= 10, "10 outputs");
    const sp = await client.triggerSavepoint(tmp());
    source.push(...cards(10, 0, 50));
    await until(() => sink.values.length >= 20, "20 outputs");
    expect(client.getJobStatus()).toBe("RUNNING");
    await client.cancel();

    const again = new InMemorySource<Ev>();
    again.push(...cards(10, 0, 0)); // the savepoint's position: 10 records in
    again.push({ card: "c3", ts: 70 });
    again.end();
    const sink2 = new CollectSink<string>();
    await (await build(again, sink2, { parallelism: 1, restore: sp }).executeAsync("sp")).getJobExecutionResult();
    expect(sink2.values.filter((v) => !v.endsWith(":timer"))).toEqual(["c3:2"]);
  });

  it("refuses state of an operator the job no longer has unless allowed; a new operator starts empty", async () => {
    const source = new InMemorySource<Ev>();
    const sink = new CollectSink<string>();
    source.push(...cards(10, 0, 0));
    const client = await build(source, sink, { parallelism: 1 }).executeAsync("sp");
    const sp = await stopAfter(client, sink, 10, tmp());

    await expect(build(source, new CollectSink(), { parallelism: 1, restore: sp, counterUid: null }).executeAsync("sp")).rejects.toThrow(
      /holds state of "[^"]+" \(id counter\), which this job does not have.*allow non-restored state/,
    );
    const sink2 = new CollectSink<string>();
    source.push({ card: "c1", ts: 20 });
    const c2 = await build(source, sink2, { parallelism: 1, restore: sp, counterUid: null, allowNonRestoredState: true }).executeAsync("sp");
    await until(() => sink2.values.length >= 1, "one output");
    expect(sink2.values).toEqual(["c1:seen"]);
    await c2.cancel();

    // an added operator (filter with a new uid) in front: the counter still finds its state by uid
    const sink3 = new CollectSink<string>();
    const c3 = await build(source, sink3, { parallelism: 2, restore: sp, extraUid: "new-filter" }).executeAsync("sp");
    await until(() => sink3.values.length >= 1, "one output");
    expect(sink3.values).toEqual(["c1:2"]);
    await c3.cancel();
  });

  it("changing one pattern's version keeps the other patterns' partial matches", async () => {
    type E = { card: string; t: string; ts: number };
    const seq = (a: string, b: string) =>
      Pattern.begin<E>("first")
        .where((e) => e.t === a)
        .followedBy("second")
        .where((e) => e.t === b);
    const job = (source: InMemorySource<E>, sink: CollectSink<string>, bVersion: number, restore?: string) => {
      const env = new StreamExecutionEnvironment().setParallelism(2);
      if (restore !== undefined) env.restoreFrom(restore);
      const keyed = env
        .fromSource(source, WatermarkStrategy.forMonotonousTimestamps<E>().withTimestampAssigner((e) => e.ts), "events")
        .uid("events")
        .keyBy((e) => e.card);
      CEP.patterns(keyed, [
        { id: "a@1", pattern: seq("x", "y") },
        { id: `b@${bVersion}`, pattern: seq("p", "q") },
      ])
        .process((match, ctx, out) => out.collect(`${ctx.patternId}:${match.first[0].card}`))
        .uid("rules")
        .sinkTo(sink);
      return env;
    };
    for (const [bVersion, expected] of [
      [1, ["a@1:k1", "b@1:k1"]],
      [2, ["a@1:k1"]],
    ] as const) {
      const source = new InMemorySource<E>();
      // partial matches of both patterns; the last event moves the watermark past them
      source.push({ card: "k1", t: "x", ts: 1 }, { card: "k1", t: "p", ts: 2 }, { card: "k2", t: "z", ts: 10 });
      const sink = new CollectSink<string>();
      const client = await job(source, sink, 1).executeAsync("cep");
      await new Promise((r) => setTimeout(r, 50));
      const sp = await client.stopWithSavepoint(tmp());
      expect(sink.values).toEqual([]);

      source.push({ card: "k1", t: "y", ts: 20 }, { card: "k1", t: "q", ts: 21 });
      source.end();
      const sink2 = new CollectSink<string>();
      await (await job(source, sink2, bVersion, sp).executeAsync("cep")).getJobExecutionResult();
      expect(sink2.values.sort()).toEqual([...expected]);
    }
  });
});

describe("savepoints of jobs with ended branches", () => {
  it("a bounded branch that already ended (no periodic checkpoints) takes part with its final state", async () => {
    const env = new StreamExecutionEnvironment().setParallelism(2);
    const live = new InMemorySource<Ev>();
    const sink = new CollectSink<string>();
    const bounded = env.fromElements<Ev>({ card: "b1", ts: 1 }, { card: "b2", ts: 2 }).uid("bounded");
    env
      .fromSource(live, WatermarkStrategy.forMonotonousTimestamps<Ev>().withTimestampAssigner((e) => e.ts), "events")
      .uid("events")
      .union(bounded)
      .keyBy((e) => e.card)
      .process(new Counter())
      .uid("counter")
      .sinkTo(sink);
    live.push({ card: "c1", ts: 5 });
    const client = await env.executeAsync("mixed");
    await until(() => sink.values.length >= 3, "3 outputs");
    const sp = await client.triggerSavepoint(tmp());
    expect(sp).toMatch(/savepoint-/);
    await client.cancel();
  });
});
