import { describe, expect, it } from "vitest";
import {
  CollectSink,
  CollectionSource,
  InMemorySource,
  OutputTag,
  StreamExecutionEnvironment,
  WatermarkStrategy,
  type KeyedProcessFunction,
  type KeyedBroadcastProcessFunction,
  type RuntimeContext,
} from "../../src/runtime/index.js";
import { ValueStateDescriptor, MapStateDescriptor } from "../../src/state/descriptors.js";
import type { ValueState } from "../../src/state/api.js";
import { ListSplitsSource, multiset } from "./helpers.js";

interface Txn {
  card: string;
  amount: number;
  ts: number;
}

const txns: Txn[] = [
  { card: "a", amount: 5, ts: 1000 },
  { card: "b", amount: 700, ts: 1500 },
  { card: "a", amount: 1, ts: 2000 },
  { card: "a", amount: 900, ts: 2500 },
  { card: "b", amount: 2, ts: 4000 },
];

function timed(env: StreamExecutionEnvironment, items: Txn[] = txns) {
  return env.fromSource(
    new CollectionSource(items),
    WatermarkStrategy.forMonotonousTimestamps<Txn>().withTimestampAssigner((t) => t.ts),
    "txns",
  );
}

describe("DataStream transformations", () => {
  it("map, filter and flatMap chain keep order and timestamps", async () => {
    const env = StreamExecutionEnvironment.getExecutionEnvironment();
    const sink = new CollectSink<string>();
    timed(env)
      .filter((t) => t.amount > 1)
      .map((t) => ({ ...t, amount: t.amount * 2 }))
      .flatMap((t) => [t.card, `${t.amount}`])
      .sinkTo(sink);
    const result = await env.execute("chain");
    expect(result.kind).toBe("finished");
    expect(sink.values).toEqual(["a", "10", "b", "1400", "a", "1800", "b", "4"]);
    expect(sink.records.map((r) => r.timestamp)).toEqual([1000, 1000, 1500, 1500, 2500, 2500, 4000, 4000]);
  });

  it("flatMap with a Flink-style collector", async () => {
    const env = new StreamExecutionEnvironment();
    const sink = new CollectSink<number>();
    env
      .fromElements(1, 2, 3)
      .flatMap<number>((n, out) => {
        for (let i = 0; i < n; i++) out.collect(n);
      })
      .sinkTo(sink);
    await env.execute();
    expect(sink.values).toEqual([1, 2, 2, 3, 3, 3]);
  });

  it("keyBy + reduce emits a running value per key", async () => {
    const env = new StreamExecutionEnvironment();
    const sink = new CollectSink<Txn>();
    timed(env)
      .keyBy((t) => t.card)
      .reduce((a, b) => ({ ...b, amount: a.amount + b.amount }))
      .sinkTo(sink);
    await env.execute();
    expect(sink.values.map((t) => `${t.card}=${t.amount}`)).toEqual(["a=5", "b=700", "a=6", "a=906", "b=702"]);
  });

  it("rich functions get keyed state in open() on a keyed stream", async () => {
    const env = new StreamExecutionEnvironment();
    const sink = new CollectSink<string>();
    const desc = new ValueStateDescriptor<number>("count", { defaultValue: 0 });
    timed(env)
      .keyBy((t) => t.card)
      .map(
        new (class {
          count!: ValueState<number>;
          open(ctx: RuntimeContext) {
            this.count = ctx.getState(desc);
          }
          map(t: Txn) {
            const n = this.count.value()! + 1;
            this.count.update(n);
            return `${t.card}#${n}`;
          }
        })(),
      )
      .sinkTo(sink);
    await env.execute();
    expect(sink.values).toEqual(["a#1", "b#1", "a#2", "a#3", "b#2"]);
  });

  it("keyed state outside a keyed stream is a clear error", async () => {
    const env = new StreamExecutionEnvironment();
    env
      .fromElements(1)
      .map({ open: (ctx: RuntimeContext) => void ctx.getState(new ValueStateDescriptor<number>("x")), map: (n: number) => n })
      .sinkTo(new CollectSink());
    await expect(env.execute()).rejects.toThrow(/only available on a keyed stream/);
  });

  it("a KeyedProcessFunction with state and event-time timers", async () => {
    // emits each card's total 1 s after its first transaction (event time)
    const env = new StreamExecutionEnvironment();
    const sink = new CollectSink<string>();
    const total = new ValueStateDescriptor<number>("total");
    const fn: KeyedProcessFunction<string, Txn, string> & { state?: ValueState<number> } = {
      open(ctx) {
        this.state = ctx.getState(total);
      },
      processElement(t, ctx) {
        const s = this.state!;
        if (s.value() === undefined) ctx.timerService().registerEventTimeTimer(ctx.timestamp()! + 1000);
        s.update((s.value() ?? 0) + t.amount);
      },
      onTimer(ts, ctx, out) {
        out.collect(`${ctx.getCurrentKey()}:${this.state!.value()}@${ts}:${ctx.timeDomain()}`);
        this.state!.clear();
      },
    };
    // one record per batch: the watermark (monotonous: ts - 1) follows every record
    env
      .fromSource(new ListSplitsSource([txns], (t) => t.ts, 1), WatermarkStrategy.forMonotonousTimestamps<Txn>(), "txns")
      .keyBy((t) => t.card)
      .process(fn)
      .sinkTo(sink);
    await env.execute();
    // a's timer (2000) fires at watermark 2499, after a@2500 was added; b's (2500) at 3999
    expect(sink.values).toEqual(["a:906@2000:event", "b:702@2500:event"]);
    expect(sink.records.map((r) => r.timestamp)).toEqual([2000, 2500]);
  });

  it("side outputs", async () => {
    const env = new StreamExecutionEnvironment();
    const big = new OutputTag<Txn>("big");
    const main = new CollectSink<number>();
    const side = new CollectSink<string>();
    const s = timed(env).process<number>({
      processElement(t, ctx, out) {
        if (t.amount > 500) ctx.output(big, t);
        else out.collect(t.amount);
      },
    });
    s.sinkTo(main);
    s.getSideOutput(big).map((t) => t.card).sinkTo(side);
    await env.execute();
    expect(main.values).toEqual([5, 1, 2]);
    expect(side.values).toEqual(["b", "a"]);
  });

  it("union and connect with CoMap", async () => {
    const env = new StreamExecutionEnvironment();
    const u = new CollectSink<number>();
    const c = new CollectSink<string>();
    const a = env.fromElements(1, 2);
    const b = env.fromElements(3);
    a.union(b).sinkTo(u);
    a.connect(env.fromElements("x")).map({ map1: (n: number) => `n${n}`, map2: (s: string) => `s${s}` }).sinkTo(c);
    await env.execute();
    expect(multiset(u.values)).toEqual(multiset([1, 2, 3]));
    expect(multiset(c.values)).toEqual(multiset(["n1", "n2", "sx"]));
  });

  it("broadcast state reaches every key on every subtask", async () => {
    const env = new StreamExecutionEnvironment().setParallelism(3);
    const rules = new MapStateDescriptor<string, number>("limits");
    const sink = new CollectSink<string>();
    const limits = env.fromElements({ name: "limit", value: 100 }).broadcast(rules);
    const fn: KeyedBroadcastProcessFunction<string, Txn, { name: string; value: number }, string> = {
      processBroadcastElement(rule, ctx) {
        ctx.getBroadcastState(rules).put(rule.name, rule.value);
      },
      processElement(t, ctx, out) {
        const limit = ctx.getBroadcastState(rules).get("limit");
        if (limit !== undefined && t.amount > limit) out.collect(`${ctx.getCurrentKey()}:${t.amount}`);
      },
    };
    // the broadcast side is read first in batch mode, so the outcome is deterministic
    env.setRuntimeMode("batch");
    timed(env).keyBy((t) => t.card).connect(limits).process(fn).sinkTo(sink);
    await env.execute();
    expect(multiset(sink.values)).toEqual(multiset(["b:700", "a:900"]));
  });
});

describe("event time", () => {
  it("the watermark is the minimum over splits; a finished split stops holding it back", async () => {
    const env = new StreamExecutionEnvironment();
    const seen: Array<[number, number]> = [];
    const sink = new CollectSink<string>();
    const src = new ListSplitsSource<number>([[1, 2, 3, 10, 20, 30], [5, 6]], (n) => n * 1000, 1);
    env
      .fromSource(src, WatermarkStrategy.forMonotonousTimestamps<number>(), "splits")
      .process<string>({
        processElement(n, ctx, out) {
          seen.push([n, ctx.timerService().currentWatermark()]);
          out.collect(String(n));
        },
      })
      .sinkTo(sink);
    await env.execute();
    // while split 1 is at 5 s or 6 s, the watermark cannot pass it, whatever split 0 reads
    for (const [n, wm] of seen) if (n >= 10 && wm !== Number.NEGATIVE_INFINITY) expect(wm).toBeLessThan(n * 1000);
    const at20 = seen.find(([n]) => n === 30)!;
    expect(at20[1]).toBeGreaterThanOrEqual(5999);
  });

  it("an idle split does not hold the watermark back", async () => {
    const env = new StreamExecutionEnvironment();
    const src = new InMemorySource<number>();
    const fired: number[] = [];
    const sink = new CollectSink<number>();
    const strategy = WatermarkStrategy.forMonotonousTimestamps<number>()
      .withTimestampAssigner((n) => n)
      .withIdleness(30);
    // a second, empty stream: without idleness its -Infinity watermark would block the union
    const quiet = new InMemorySource<number>();
    env
      .fromSource(src, strategy, "busy")
      .union(env.fromSource(quiet, strategy, "quiet"))
      .keyBy(() => "k")
      .process<number>({
        processElement(n, ctx) {
          ctx.timerService().registerEventTimeTimer(n);
        },
        onTimer(ts, _ctx, out) {
          fired.push(ts);
          out.collect(ts);
        },
      })
      .sinkTo(sink);
    const result = await env.execute();
    expect(result.kind).toBe("running");
    if (result.kind !== "running") return;
    src.push(100, 200, 300);
    // the quiet split turns idle after 30 ms; under load that can take longer to be noticed
    const deadline = Date.now() + 5_000;
    while (fired.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(fired).toEqual([100, 200]);
    src.end();
    quiet.end();
    await result.client.getJobExecutionResult();
    expect(fired).toEqual([100, 200, 300]);
    expect(result.client.getJobStatus()).toBe("FINISHED");
  });

  it("an unbounded job can be cancelled", async () => {
    const env = new StreamExecutionEnvironment();
    const src = new InMemorySource<number>();
    const sink = new CollectSink<number>();
    env.fromSource(src, WatermarkStrategy.noWatermarks(), "memory").map((n) => n + 1).sinkTo(sink);
    const client = await env.executeAsync("cancellable");
    src.push(1, 2);
    await new Promise((r) => setTimeout(r, 50));
    expect(client.getJobStatus()).toBe("RUNNING");
    await client.cancel();
    expect(client.getJobStatus()).toBe("CANCELED");
    expect(sink.values).toEqual([2, 3]);
    await expect(client.getJobExecutionResult()).rejects.toThrow(/cancelled/);
  });

  it("a failing user function fails the job with the cause", async () => {
    const env = new StreamExecutionEnvironment();
    env
      .fromElements(1, 2, 3)
      .map((n) => {
        if (n === 2) throw new Error("boom on 2");
        return n;
      })
      .sinkTo(new CollectSink());
    await expect(env.execute("failing")).rejects.toThrow(/job "failing" failed: boom on 2/);
  });

  it("a job without a sink is refused", async () => {
    const env = new StreamExecutionEnvironment();
    env.fromElements(1).map((n) => n);
    await expect(env.execute()).rejects.toThrow(/no sink/);
  });
});
