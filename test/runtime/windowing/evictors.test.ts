import { describe, expect, it } from "vitest";
import { NO_TIMESTAMP } from "../../../src/runtime/event-time/watermark.js";
import { OperatorHarness } from "../../../src/runtime/testing/operator-harness.js";
import {
  CountEvictor,
  CountTrigger,
  DeltaEvictor,
  GlobalWindow,
  GlobalWindows,
  TimeEvictor,
  TumblingEventTimeWindows,
  WindowOperator,
  type TimestampedValue,
} from "../../../src/runtime/windowing/index.js";
import { InternalProcessWindowFunction } from "../../../src/runtime/windowing/operator/internal-window-function.js";
import { ReduceAggregate } from "../../../src/runtime/windowing/operator/window-contents.js";
import { aggHarness, type Ev } from "./window-harness.js";

const tv = (value: number, timestamp: number): TimestampedValue<number> => ({ value, timestamp });
const ctx = { getCurrentProcessingTime: () => 0, getCurrentWatermark: () => 0 };
const w = GlobalWindow.get();

describe("evictors on element lists", () => {
  it("CountEvictor keeps the last maxCount elements, before or after the function", () => {
    const els = [tv(1, 1), tv(2, 2), tv(3, 3), tv(4, 4)];
    CountEvictor.of(2).evictAfter(els, els.length, w, ctx);
    expect(els.length).toBe(4);
    CountEvictor.of(2).evictBefore(els, els.length, w, ctx);
    expect(els.map((e) => e.value)).toEqual([3, 4]);
    const after = [tv(1, 1), tv(2, 2), tv(3, 3)];
    CountEvictor.of(1, true).evictAfter(after, after.length, w, ctx);
    expect(after.map((e) => e.value)).toEqual([3]);
    expect(() => CountEvictor.of(0)).toThrow(/integer >= 1/);
  });

  it("TimeEvictor keeps elements newer than max timestamp - size", () => {
    const els = [tv(1, 10), tv(2, 25), tv(3, 14), tv(4, 30)];
    TimeEvictor.of(15).evictBefore(els, els.length, w, ctx);
    expect(els.map((e) => e.value)).toEqual([2, 4]);
    const untimed = [tv(1, NO_TIMESTAMP), tv(2, NO_TIMESTAMP)];
    TimeEvictor.of(1).evictBefore(untimed, 2, w, ctx);
    expect(untimed.length).toBe(2);
  });

  it("DeltaEvictor evicts elements whose delta to the last one reaches the threshold", () => {
    const els = [tv(1, 0), tv(8, 0), tv(5, 0), tv(9, 0)];
    DeltaEvictor.of(4, (a: number, b: number) => Math.abs(a - b)).evictBefore(els, els.length, w, ctx);
    expect(els.map((e) => e.value)).toEqual([8, 9]);
  });
});

describe("evicting windows", () => {
  it("countWindow(size, slide): the function sees at most the last `size` elements at every `slide`-th", async () => {
    const h = await aggHarness({ assigner: GlobalWindows.create<Ev>(), trigger: CountTrigger.of(2), evictor: CountEvictor.of(3), mode: "process" });
    for (let i = 1; i <= 7; i++) h.processElement({ key: "a", v: i, ts: i }, i);
    expect(h.extractOutputValues().map((a) => a.sum)).toEqual([1 + 2, 2 + 3 + 4, 4 + 5 + 6]);
    await h.close();
  });

  it("TimeEvictor before a process function over an event-time window", async () => {
    const h = await aggHarness({ assigner: TumblingEventTimeWindows.of(100), evictor: TimeEvictor.of(10), mode: "process" });
    for (const ts of [1, 50, 85, 91, 95]) h.processElement({ key: "a", v: ts, ts }, ts);
    h.processWatermark(99);
    // cutoff 95 - 10 = 85: elements at or before it go
    expect(h.extractOutputValues()).toEqual([{ key: "a", start: 0, end: 100, count: 2, sum: 91 + 95 }]);
    await h.close();
  });

  it("evictAfter trims the stored contents after the function saw them all; reduce works over what is kept", async () => {
    const h = await OperatorHarness.forOperator(
      () =>
        new WindowOperator<Ev, any, Ev, number, string, GlobalWindow>({
          assigner: GlobalWindows.create<Ev>(),
          trigger: CountTrigger.of(2),
          evictor: CountEvictor.of(1, true),
          allowedLatenessMs: 0,
          lateDataTag: undefined,
          aggregate: new ReduceAggregate<Ev>((a, b) => ({ key: a.key, v: a.v + b.v, ts: 0 })),
          windowFunction: new InternalProcessWindowFunction<Ev, number, string, GlobalWindow>((_k, _c, [r], out) => out.collect(r.v)),
        }),
      (e: Ev) => e.key,
    );
    for (let i = 1; i <= 5; i++) h.processElement({ key: "a", v: i, ts: 0 }, 0);
    // fires at 2 (1+2, keeps 2), at 4 (2+3+4, keeps 4)
    expect(h.extractOutputValues()).toEqual([3, 9]);
    await h.close();
  });
});
