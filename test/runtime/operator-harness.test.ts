import { describe, expect, it } from "vitest";
import { OperatorHarness, OutputTag, type KeyedProcessFunction, type RuntimeContext } from "../../src/runtime/index.js";
import { ValueStateDescriptor } from "../../src/state/descriptors.js";
import type { ValueState } from "../../src/state/api.js";
import { DEFAULT_MAX_PARALLELISM, keyGroupFor } from "../../src/state/key-group.js";

interface Login {
  user: string;
  ok: boolean;
}

/** Counts failed logins per user; alerts on a success after 3 failures; forgets after 60 s of processing time. */
class BruteForce implements KeyedProcessFunction<string, Login, string> {
  static readonly expired = new OutputTag<string>("expired");
  private failures!: ValueState<number>;
  open(ctx: RuntimeContext) {
    this.failures = ctx.getState(new ValueStateDescriptor<number>("failures"));
  }
  processElement(l: Login, ctx: Parameters<KeyedProcessFunction<string, Login, string>["processElement"]>[1], out: { collect(s: string): void }) {
    const n = this.failures.value() ?? 0;
    if (!l.ok) {
      this.failures.update(n + 1);
      ctx.timerService().registerProcessingTimeTimer(ctx.timerService().currentProcessingTime() + 60_000);
    } else {
      if (n >= 3) out.collect(`${l.user} after ${n}`);
      this.failures.clear();
    }
  }
  onTimer(_ts: number, ctx: Parameters<NonNullable<KeyedProcessFunction<string, Login, string>["onTimer"]>>[1]) {
    if (this.failures.value() !== undefined) ctx.output(BruteForce.expired, ctx.getCurrentKey());
    this.failures.clear();
  }
}

const fail = (user: string): Login => ({ user, ok: false });
const ok = (user: string): Login => ({ user, ok: true });

describe("OperatorHarness", () => {
  it("drives a keyed process function with processing time", async () => {
    const h = await OperatorHarness.forKeyedProcessFunction(new BruteForce(), (l: Login) => l.user);
    h.processElement(fail("ann")).processElement(fail("ann")).processElement(fail("bob")).processElement(fail("ann"));
    h.processElement(ok("ann")).processElement(ok("bob"));
    expect(h.extractOutputValues()).toEqual(["ann after 3"]);
    expect(h.numProcessingTimeTimers()).toBe(2); // ann and bob, both at 60 000
    h.processElement(fail("cid"));
    h.setProcessingTime(60_000);
    expect(h.getSideOutput(BruteForce.expired).map((r) => r.value)).toEqual(["cid"]);
    await h.close();
  });

  it("snapshots and restores, also at another parallelism", async () => {
    const users = Array.from({ length: 40 }, (_, i) => `user${i}`);
    const h = await OperatorHarness.forKeyedProcessFunction(new BruteForce(), (l: Login) => l.user);
    for (const u of users) h.processElement(fail(u)).processElement(fail(u)).processElement(fail(u));
    const snap = await h.snapshot();
    await h.close();

    // scale out to 2 subtasks: each key lives in exactly one of them, with its count and its timer
    const parts = await Promise.all(
      [0, 1].map((subtaskIndex) => h.restore(snap, { parallelism: 2, subtaskIndex })),
    );
    expect(parts[0].numProcessingTimeTimers() + parts[1].numProcessingTimeTimers()).toBe(users.length);
    const out: string[] = [];
    for (const u of users) {
      const owner = parts.find((p) => ownsKey(p, u))!;
      owner.processElement(ok(u));
    }
    for (const p of parts) out.push(...p.extractOutputValues());
    expect(out.sort()).toEqual(users.map((u) => `${u} after 3`).sort());

    // and back to one
    const snaps = await Promise.all(parts.map((p) => p.snapshot()));
    const one = await h.restore(snaps, { parallelism: 1, subtaskIndex: 0 });
    expect(one.numProcessingTimeTimers()).toBe(users.length);
    await one.close();
    for (const p of parts) await p.close();
  });

  it("forwards watermarks after firing event-time timers", async () => {
    const h = await OperatorHarness.forKeyedProcessFunction<string, number, string>(
      {
        processElement(n, ctx) {
          ctx.timerService().registerEventTimeTimer(n);
        },
        onTimer(ts, _ctx, out) {
          out.collect(`t${ts}`);
        },
      },
      () => "k",
    );
    h.processElement(10, 10).processElement(5, 5).processWatermark(7);
    expect(h.extractOutputValues()).toEqual(["t5"]);
    expect(h.getWatermarks()).toEqual([7]);
    await h.endInput();
    expect(h.extractOutputValues()).toEqual(["t5", "t10"]);
  });
});

function ownsKey(h: OperatorHarness<Login, string>, user: string): boolean {
  const range = h.keyedState!.keyGroupRange;
  const kg = keyGroupFor(user, DEFAULT_MAX_PARALLELISM);
  return kg >= range.start && kg <= range.end;
}

describe("two inputs and idleness", () => {
  const passThrough = {
    processElement1: (v: number, _ctx: unknown, out: { collect(v: number): void }) => out.collect(v),
    processElement2: (v: number, _ctx: unknown, out: { collect(v: number): void }) => out.collect(v),
  };

  it("an input that turns idle stops holding the watermark back at once", async () => {
    const h = await OperatorHarness.forCoProcessFunction<number, number, number>(passThrough as never);
    h.processWatermark1(100);
    expect(h.getWatermarks()).toEqual([]); // input 2 is still at the start of time
    h.processIdle(2);
    expect(h.getWatermarks()).toEqual([100]);
    h.processWatermark1(200);
    expect(h.getWatermarks()).toEqual([100, 200]);
  });

  it("both inputs idle: the highest watermark either reached passes (as Flink); an input active again counts again", async () => {
    const h = await OperatorHarness.forCoProcessFunction<number, number, number>(passThrough as never);
    h.processWatermark1(100);
    h.processWatermark2(50);
    expect(h.getWatermarks()).toEqual([50]);
    h.processIdle(1);
    expect(h.getWatermarks()).toEqual([50]);
    h.processIdle(2);
    expect(h.getWatermarks()).toEqual([50, 100]);
    h.processIdle(2, false);
    h.processWatermark2(300);
    expect(h.getWatermarks()).toEqual([50, 100, 300]);
  });
});
