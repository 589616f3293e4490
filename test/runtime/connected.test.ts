import { describe, expect, it } from "vitest";
import {
  CollectSink,
  OperatorHarness,
  StreamExecutionEnvironment,
  WatermarkStrategy,
  CollectionSource,
  type KeyedCoProcessFunction,
  type RuntimeContext,
} from "../../src/runtime/index.js";
import { ValueStateDescriptor } from "../../src/state/descriptors.js";
import type { ValueState } from "../../src/state/api.js";
import { multiset } from "./helpers.js";

interface Auth {
  id: string;
  ts: number;
}
interface Capture {
  id: string;
  ts: number;
}

/** An authorisation with no capture within 1 s of event time (a KeyedCoProcessFunction with a timer). */
class AuthNotCaptured implements KeyedCoProcessFunction<string, Auth, Capture, string> {
  private pending!: ValueState<number>;
  open(ctx: RuntimeContext) {
    this.pending = ctx.getState(new ValueStateDescriptor<number>("pending"));
  }
  processElement1(a: Auth, ctx: Parameters<KeyedCoProcessFunction<string, Auth, Capture, string>["processElement1"]>[1]) {
    this.pending.update(a.ts + 1000);
    ctx.timerService().registerEventTimeTimer(a.ts + 1000);
  }
  processElement2(_c: Capture) {
    this.pending.clear();
  }
  onTimer(ts: number, ctx: { getCurrentKey(): string }, out: { collect(s: string): void }) {
    if (this.pending.value() === ts) out.collect(`${ctx.getCurrentKey()} not captured`);
    this.pending.clear();
  }
}

const auths: Auth[] = [
  { id: "t1", ts: 0 },
  { id: "t2", ts: 100 },
  { id: "t3", ts: 200 },
];
const captures: Capture[] = [{ id: "t2", ts: 600 }];

describe("connected keyed streams", () => {
  it("a KeyedCoProcessFunction in a job, at parallelism 1 and 3", async () => {
    for (const p of [1, 3]) {
      const env = new StreamExecutionEnvironment().setParallelism(p);
      const sink = new CollectSink<string>();
      const ws = <T extends { ts: number }>() => WatermarkStrategy.forMonotonousTimestamps<T>().withTimestampAssigner((x) => x.ts);
      env
        .fromSource(new CollectionSource(auths), ws<Auth>(), "auths")
        .connect(env.fromSource(new CollectionSource(captures), ws<Capture>(), "captures"))
        .keyBy((a) => a.id, (c) => c.id)
        .process(new AuthNotCaptured())
        .sinkTo(sink);
      await env.execute();
      expect(multiset(sink.values)).toEqual(multiset(["t1 not captured", "t3 not captured"]));
    }
  });

  it("the two-input harness: the watermark is the minimum of both inputs", async () => {
    const h = await OperatorHarness.forCoProcessFunction(new AuthNotCaptured(), (a: Auth) => a.id, (c: Capture) => c.id);
    h.processElement1({ id: "t1", ts: 0 }, 0).processElement1({ id: "t2", ts: 100 }, 100);
    h.processWatermark1(5000);
    expect(h.extractOutputValues()).toEqual([]); // input 2 still at -Infinity
    h.processElement2({ id: "t2", ts: 300 }, 300).processWatermark2(5000);
    expect(h.extractOutputValues()).toEqual(["t1 not captured"]);
    expect(h.getWatermarks()).toEqual([5000]);
    await h.close();
  });
});
