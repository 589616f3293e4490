import { describe, expect, it } from "vitest";
import { ValueStateDescriptor } from "../../../src/state/descriptors.js";
import { OutputTag } from "../../../src/runtime/output-tag.js";
import {
  ContinuousEventTimeTrigger,
  ContinuousProcessingTimeTrigger,
  CountTrigger,
  EventTimeSessionWindows,
  EventTimeTrigger,
  GlobalWindows,
  ProcessingTimeTrigger,
  PurgingTrigger,
  TriggerResult,
  TumblingEventTimeWindows,
  TumblingProcessingTimeWindows,
  type Trigger,
  type TimeWindow,
} from "../../../src/runtime/windowing/index.js";
import { aggHarness, type Ev } from "./window-harness.js";

const ev = (key: string, v: number, ts: number): Ev => ({ key, v, ts });

describe("EventTimeTrigger", () => {
  it("fires a window when the watermark reaches its max timestamp, stamped with it, then cleans up", async () => {
    const h = await aggHarness({ assigner: TumblingEventTimeWindows.of(10) });
    h.processElement(ev("a", 1, 1), 1).processElement(ev("a", 2, 9), 9).processElement(ev("b", 5, 3), 3).processElement(ev("a", 4, 12), 12);
    // on the heap a window's end is one timer for all its keys (bulk firing): windows [0, 10) and [10, 20)
    expect(h.numEventTimeTimers()).toBe(2);
    h.processWatermark(8);
    expect(h.getOutput()).toEqual([]);
    h.processWatermark(9);
    expect(h.getOutput()).toEqual([
      { value: { key: "a", start: 0, end: 10, count: 2, sum: 3 }, timestamp: 9 },
      { value: { key: "b", start: 0, end: 10, count: 1, sum: 5 }, timestamp: 9 },
    ]);
    expect(h.numEventTimeTimers()).toBe(1);
    expect(h.keyedState!.size()).toBe(1);
    expect(h.getWatermarks()).toEqual([8, 9]);
    await h.close();
  });

  it("with allowed lateness fires again for each late element, then drops (or side-outputs) what comes after cleanup", async () => {
    const late = new OutputTag<Ev>("late");
    const h = await aggHarness({ assigner: TumblingEventTimeWindows.of(10), lateness: 5, lateTag: late });
    h.processElement(ev("a", 1, 2), 2).processWatermark(9);
    expect(h.extractOutputValues()).toEqual([{ key: "a", start: 0, end: 10, count: 1, sum: 1 }]);
    h.clearOutput().processElement(ev("a", 2, 5), 5).processElement(ev("a", 3, 7), 7);
    expect(h.extractOutputValues().map((a) => a.count)).toEqual([2, 3]);
    h.clearOutput().processWatermark(14); // cleanup at 9 + 5
    expect(h.keyedState!.size()).toBe(0);
    expect(h.numEventTimeTimers()).toBe(0);
    h.processElement(ev("a", 9, 4), 4);
    expect(h.extractOutputValues()).toEqual([]);
    expect(h.getSideOutput(late)).toEqual([{ value: ev("a", 9, 4), timestamp: 4 }]);
    await h.close();
  });
});

describe("ProcessingTimeTrigger", () => {
  it("fires processing-time windows when the clock passes their end", async () => {
    const h = await aggHarness({ assigner: TumblingProcessingTimeWindows.of(100) }, { processingTime: 1000 });
    h.processElement(ev("a", 1, 0)).processElement(ev("a", 2, 0));
    h.setProcessingTime(1050).processElement(ev("b", 3, 0));
    h.setProcessingTime(1098);
    expect(h.getOutput()).toEqual([]);
    h.setProcessingTime(1099);
    expect(h.getOutput()).toEqual([
      { value: { key: "a", start: 1000, end: 1100, count: 2, sum: 3 }, timestamp: 1099 },
      { value: { key: "b", start: 1000, end: 1100, count: 1, sum: 3 }, timestamp: 1099 },
    ]);
    expect(h.numProcessingTimeTimers()).toBe(0);
    expect(h.keyedState!.size()).toBe(0);
    h.clearOutput().setProcessingTime(1150).processElement(ev("a", 7, 0)).setProcessingTime(1300);
    expect(h.extractOutputValues()).toEqual([{ key: "a", start: 1100, end: 1200, count: 1, sum: 7 }]);
    await h.close();
  });
});

describe("CountTrigger and PurgingTrigger", () => {
  it("CountTrigger fires every n elements of a window without purging; the window is still cleaned up at its end", async () => {
    const h = await aggHarness({ assigner: TumblingEventTimeWindows.of(100), trigger: CountTrigger.of(2) });
    for (let i = 0; i < 5; i++) h.processElement(ev("a", 1, i), i);
    expect(h.extractOutputValues().map((a) => a.count)).toEqual([2, 4]);
    h.processWatermark(99);
    expect(h.extractOutputValues().map((a) => a.count)).toEqual([2, 4]);
    expect(h.keyedState!.size()).toBe(0);
    await h.close();
  });

  it("PurgingTrigger clears the contents at every firing", async () => {
    const h = await aggHarness({ assigner: GlobalWindows.create<Ev>(), trigger: PurgingTrigger.of(CountTrigger.of(2)) });
    for (let i = 1; i <= 5; i++) h.processElement(ev("a", i, 0), 0);
    expect(h.extractOutputValues().map((a) => a.sum)).toEqual([1 + 2, 3 + 4]);
    expect(h.getOutput().map((r) => r.timestamp)).toEqual([Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER]);
    expect(String(PurgingTrigger.of(CountTrigger.of(2)))).toBe("PurgingTrigger(CountTrigger(2))");
    await h.close();
  });

  it("a purging event-time trigger with lateness fires late elements alone", async () => {
    const h = await aggHarness({ assigner: TumblingEventTimeWindows.of(10), trigger: PurgingTrigger.of(EventTimeTrigger.create()), lateness: 10 });
    h.processElement(ev("a", 1, 1), 1).processElement(ev("a", 2, 2), 2).processWatermark(10).processElement(ev("a", 4, 3), 3);
    expect(h.extractOutputValues().map((a) => a.sum)).toEqual([3, 4]);
    await h.close();
  });

  it("CountTrigger counts merge when sessions merge", async () => {
    const h = await aggHarness({ assigner: EventTimeSessionWindows.withGap(10), trigger: CountTrigger.of(3) });
    h.processElement(ev("a", 1, 0), 0).processElement(ev("a", 1, 20), 20);
    expect(h.getOutput()).toEqual([]);
    h.processElement(ev("a", 1, 10), 10); // bridges both sessions: 1 + 1 + 1 = 3
    expect(h.extractOutputValues()).toEqual([{ key: "a", start: 0, end: 30, count: 3, sum: 3 }]);
    await h.close();
  });

  it("rejects bad counts, and triggers that cannot merge on merging windows", async () => {
    expect(() => CountTrigger.of(0)).toThrow(/integer >= 1/);
    const cannotMerge: Trigger<Ev, TimeWindow> = {
      onElement: () => TriggerResult.CONTINUE,
      onEventTime: () => TriggerResult.CONTINUE,
      onProcessingTime: () => TriggerResult.CONTINUE,
      clear: () => {},
    };
    await expect(aggHarness({ assigner: EventTimeSessionWindows.withGap(10), trigger: cannotMerge })).rejects.toThrow(/does not support merging/);
  });
});

describe("continuous triggers", () => {
  it("ContinuousEventTimeTrigger fires every interval of event time and at the window's end", async () => {
    const h = await aggHarness({ assigner: TumblingEventTimeWindows.of(100), trigger: ContinuousEventTimeTrigger.of(30) });
    h.processElement(ev("a", 1, 5), 5).processWatermark(29);
    expect(h.getOutput()).toEqual([]);
    h.processWatermark(30);
    expect(h.extractOutputValues().map((a) => a.count)).toEqual([1]);
    h.processElement(ev("a", 1, 40), 40).processWatermark(60);
    expect(h.extractOutputValues().map((a) => a.count)).toEqual([1, 2]);
    h.processElement(ev("a", 1, 70), 70).processWatermark(99);
    expect(h.extractOutputValues().map((a) => a.count)).toEqual([1, 2, 3, 3]); // at 90, and at the end (99)
    expect(h.keyedState!.size()).toBe(0);
    expect(h.numEventTimeTimers()).toBe(0);
    await h.close();
  });

  it("ContinuousProcessingTimeTrigger fires every interval of processing time", async () => {
    const h = await aggHarness({ assigner: GlobalWindows.create<Ev>(), trigger: ContinuousProcessingTimeTrigger.of(100) }, { processingTime: 1010 });
    h.processElement(ev("a", 1, 0)).setProcessingTime(1099);
    expect(h.getOutput()).toEqual([]);
    h.setProcessingTime(1100);
    expect(h.extractOutputValues().map((a) => a.count)).toEqual([1]);
    h.processElement(ev("a", 1, 0)).setProcessingTime(1200);
    expect(h.extractOutputValues().map((a) => a.count)).toEqual([1, 2]);
    await h.close();
  });

  it("ProcessingTimeTrigger and ContinuousProcessingTimeTrigger merge on processing-time sessions", () => {
    expect(ProcessingTimeTrigger.create().canMerge()).toBe(true);
    expect(ContinuousProcessingTimeTrigger.of(5).canMerge()).toBe(true);
    expect(() => ContinuousEventTimeTrigger.of(0)).toThrow(/interval/);
  });
});

describe("custom triggers", () => {
  it("get per-window state and timers from the trigger context", async () => {
    const seen = new ValueStateDescriptor<number>("seen");
    // fires on the second element of a window, and when an event-time timer at start + 5 fires
    const trigger: Trigger<Ev, TimeWindow> = {
      onElement(_e, _ts, window, ctx) {
        const s = ctx.getPartitionedState(seen);
        const n = (s.value() ?? 0) + 1;
        s.update(n);
        if (n === 1) ctx.registerEventTimeTimer(window.start + 5);
        return n === 2 ? TriggerResult.FIRE : TriggerResult.CONTINUE;
      },
      onEventTime: (time, window) => (time === window.start + 5 ? TriggerResult.FIRE_AND_PURGE : TriggerResult.CONTINUE),
      onProcessingTime: () => TriggerResult.CONTINUE,
      clear(window, ctx) {
        ctx.getPartitionedState(seen).clear();
        ctx.deleteEventTimeTimer(window.start + 5);
      },
    };
    const h = await aggHarness({ assigner: TumblingEventTimeWindows.of(10), trigger });
    h.processElement(ev("a", 1, 1), 1).processElement(ev("a", 2, 2), 2).processElement(ev("b", 4, 11), 11);
    expect(h.extractOutputValues().map((a) => [a.key, a.start, a.count])).toEqual([["a", 0, 2]]);
    h.processWatermark(5);
    expect(h.extractOutputValues().map((a) => [a.key, a.start, a.count])).toEqual([["a", 0, 2], ["a", 0, 2]]);
    h.processWatermark(100);
    expect(h.extractOutputValues().map((a) => [a.key, a.start, a.count])).toEqual([["a", 0, 2], ["a", 0, 2], ["b", 10, 1]]);
    expect(h.keyedState!.size()).toBe(0);
    expect(h.numEventTimeTimers()).toBe(0);
    await h.close();
  });
});
