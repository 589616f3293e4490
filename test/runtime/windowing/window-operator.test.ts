import { afterAll, describe, expect, it } from "vitest";
import { JobError } from "../../../src/errors.js";
import { ValueStateDescriptor } from "../../../src/state/descriptors.js";
import { OutputTag } from "../../../src/runtime/output-tag.js";
import { OperatorHarness } from "../../../src/runtime/testing/operator-harness.js";
import {
  EventTimeSessionWindows,
  TumblingEventTimeWindows,
  WindowOperator,
  type ProcessWindowFunction,
  type TimeWindow,
  type Window,
  type WindowAssigner,
} from "../../../src/runtime/windowing/index.js";
import { InternalProcessWindowFunction } from "../../../src/runtime/windowing/operator/internal-window-function.js";
import { aggHarness, countSum, passThrough, tempLevelDb, removeTempDirs, type Ev } from "./window-harness.js";

afterAll(removeTempDirs);

const ev = (key: string, v: number, ts: number): Ev => ({ key, v, ts });

/** A harness running `fn` over buffered elements. */
function processHarness<O, W extends Window>(assigner: WindowAssigner<Ev, W>, fn: ProcessWindowFunction<Ev, O, string, W>, lateness = 0) {
  return OperatorHarness.forOperator(
    () =>
      new WindowOperator<Ev, never, Ev, O, string, W>({
        assigner,
        trigger: assigner.getDefaultTrigger(),
        evictor: undefined,
        allowedLatenessMs: lateness,
        lateDataTag: undefined,
        aggregate: undefined,
        windowFunction: new InternalProcessWindowFunction(fn),
      }),
    (e: Ev) => e.key,
  );
}

describe("ProcessWindowFunction context", () => {
  it("gives the window, the time, per-window and per-key state, side outputs, and clear at cleanup", async () => {
    const firings = new ValueStateDescriptor<number>("firings");
    const windowsSeen = new ValueStateDescriptor<number>("windows-seen");
    const info = new OutputTag<string>("info");
    const cleared: string[] = [];
    const fn: ProcessWindowFunction<Ev, string, string, TimeWindow> = {
      process(key, ctx, elements, out) {
        const perWindow = ctx.windowState().getState(firings);
        const n = (perWindow.value() ?? 0) + 1;
        perWindow.update(n);
        const perKey = ctx.globalState().getState(windowsSeen);
        if (n === 1) perKey.update((perKey.value() ?? 0) + 1);
        out.collect(`${key}@${ctx.window().start}: ${elements.length} elements, firing ${n}, window ${perKey.value()} of the key, wm ${ctx.currentWatermark()}`);
        ctx.output(info, `${key}:${ctx.currentProcessingTime()}`);
      },
      clear(ctx) {
        cleared.push(`${ctx.window().start}`);
        ctx.windowState().getState(firings).clear();
      },
    };
    const h = await processHarness(TumblingEventTimeWindows.of(10), fn, 5);
    h.processElement(ev("a", 1, 1), 1).processElement(ev("a", 1, 2), 2).processWatermark(9).processElement(ev("a", 1, 3), 3);
    h.processElement(ev("a", 1, 12), 12).processWatermark(19);
    expect(h.getOutput()).toEqual([
      { value: "a@0: 2 elements, firing 1, window 1 of the key, wm 9", timestamp: 9 },
      { value: "a@0: 3 elements, firing 2, window 1 of the key, wm 9", timestamp: 9 },
      { value: "a@10: 1 elements, firing 1, window 2 of the key, wm 19", timestamp: 19 },
    ]);
    expect(h.getSideOutput(info)).toEqual([
      { value: "a:0", timestamp: 9 },
      { value: "a:0", timestamp: 9 },
      { value: "a:0", timestamp: 19 },
    ]);
    expect(cleared).toEqual(["0"]); // window 0 was cleaned up at 9 + 5; window 10 is still within its lateness
    h.processWatermark(100);
    expect(cleared).toEqual(["0", "10"]);
    expect(h.keyedState!.size()).toBe(1); // only the per-key global state is left
    await h.close();
  });

  it("refuses per-window state on merging windows, as Flink", async () => {
    const h = await processHarness(EventTimeSessionWindows.withGap(10), (_k, ctx, _els, out) => {
      try {
        ctx.windowState();
      } catch (e) {
        out.collect((e as JobError).message);
      }
    });
    h.processElement(ev("a", 1, 1), 1).processWatermark(100);
    expect(h.extractOutputValues()[0]).toMatch(/per-window state is not available with merging windows/);
    await h.close();
  });
});

describe("window operator", () => {
  it("emits pre-aggregated values as they are without a window function", async () => {
    const h = await OperatorHarness.forOperator(
      () =>
        new WindowOperator({
          assigner: TumblingEventTimeWindows.of(10),
          trigger: TumblingEventTimeWindows.of(10).getDefaultTrigger(),
          evictor: undefined,
          allowedLatenessMs: 0,
          lateDataTag: undefined,
          aggregate: countSum,
          windowFunction: passThrough(),
        }),
      (e: Ev) => e.key,
    );
    h.processElement(ev("a", 3, 1), 1).processElement(ev("a", 4, 8), 8).processWatermark(20);
    expect(h.getOutput()).toEqual([{ value: { count: 2, sum: 7 }, timestamp: 9 }]);
    await h.close();
  });

  it("counts late elements it drops when there is no late-data output", async () => {
    let op: WindowOperator<Ev, any, any, any, string, TimeWindow> | undefined;
    const h = await OperatorHarness.forOperator(
      () =>
        (op = new WindowOperator<Ev, any, any, any, string, TimeWindow>({
          assigner: TumblingEventTimeWindows.of(10),
          trigger: TumblingEventTimeWindows.of(10).getDefaultTrigger(),
          evictor: undefined,
          allowedLatenessMs: 2,
          lateDataTag: undefined,
          aggregate: countSum,
          windowFunction: passThrough(),
        })),
      (e: Ev) => e.key,
    );
    h.processWatermark(11).processElement(ev("a", 1, 5), 5); // window [0, 10) cleaned up at 11
    h.processElement(ev("a", 1, 9), 9); // the same: late
    h.processElement(ev("a", 1, 10), 10); // window [10, 20): on time
    expect(op!.numLateRecordsDropped).toBe(2);
    await h.close();
  });

  it("keeps windows across a snapshot and restore (on LevelDB, into a harness of another parallelism)", async () => {
    const backend = await tempLevelDb();
    const h = await aggHarness({ assigner: EventTimeSessionWindows.withGap(5) }, { backend, maxParallelism: 8 });
    h.processElement(ev("a", 1, 0), 0).processElement(ev("b", 2, 0), 0).processElement(ev("a", 3, 4), 4);
    const snapshot = await h.snapshot();
    await h.close();
    const backend2 = await tempLevelDb();
    const parts = await Promise.all(
      [0, 1].map((subtaskIndex) => h.restore(snapshot, { backend: subtaskIndex === 0 ? backend : backend2, parallelism: 2, subtaskIndex })),
    );
    const owner = (key: string) => parts.find((p) => p.keyedState!.getKeys("window-contents").includes(key))!;
    owner("a").processElement(ev("a", 5, 8), 8).processWatermark(100);
    owner("b").processWatermark(100);
    const out = parts.flatMap((p) => p.extractOutputValues());
    expect(out.sort((x, y) => x.key.localeCompare(y.key))).toEqual([
      { key: "a", start: 0, end: 13, count: 3, sum: 9 },
      { key: "b", start: 0, end: 5, count: 1, sum: 2 },
    ]);
    for (const p of parts) await p.close();
  });

  it("rejects aggregate functions without merge on session windows", async () => {
    const { merge: _merge, ...noMerge } = countSum;
    expect(
      () =>
        new WindowOperator({
          assigner: EventTimeSessionWindows.withGap(5),
          trigger: EventTimeSessionWindows.withGap(5).getDefaultTrigger(),
          evictor: undefined,
          allowedLatenessMs: 0,
          lateDataTag: undefined,
          aggregate: noMerge,
          windowFunction: passThrough(),
        }),
    ).toThrow(/needs an AggregateFunction with merge/);
  });

  it("needs a keyed input", async () => {
    await expect(
      OperatorHarness.forOperator(
        () =>
          new WindowOperator({
            assigner: TumblingEventTimeWindows.of(10),
            trigger: TumblingEventTimeWindows.of(10).getDefaultTrigger(),
            evictor: undefined,
            allowedLatenessMs: 0,
            lateDataTag: undefined,
            aggregate: countSum,
            windowFunction: passThrough(),
          }),
      ),
    ).rejects.toThrow(/needs a keyed input/);
  });
});
