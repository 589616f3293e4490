import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AggregateFunction, StateBackendFactory } from "../../../src/state/api.js";
import { heapBackend, levelDbBackend, type LevelDbCacheOptions } from "../../../src/state/index.js";
import { OperatorHarness, type HarnessOptions } from "../../../src/runtime/testing/operator-harness.js";
import type { OutputTag } from "../../../src/runtime/output-tag.js";
import type { Evictor, Trigger, Window, WindowAssigner } from "../../../src/runtime/windowing/api.js";
import { WindowOperator } from "../../../src/runtime/windowing/operator/window-operator.js";
import {
  InternalProcessWindowFunction,
  PassThroughWindowFunction,
  type InternalWindowFunction,
} from "../../../src/runtime/windowing/operator/internal-window-function.js";
import { ReduceAggregate } from "../../../src/runtime/windowing/operator/window-contents.js";
import type { ProcessWindowFunction } from "../../../src/runtime/windowing/window-functions.js";
import { TimeWindow } from "../../../src/runtime/windowing/windows.js";

/** A test event: a key, a value, an event time. */
export interface Ev {
  readonly key: string;
  readonly v: number;
  readonly ts: number;
}

/** What the tests' window functions emit: the key, the window, how many elements and their sum. */
export interface Agg {
  readonly key: string;
  readonly start: number;
  readonly end: number;
  readonly count: number;
  readonly sum: number;
}

export const countSum: AggregateFunction<Ev, { count: number; sum: number }, { count: number; sum: number }> = {
  createAccumulator: () => ({ count: 0, sum: 0 }),
  add: (e, acc) => ({ count: acc.count + 1, sum: acc.sum + e.v }),
  getResult: (acc) => acc,
  merge: (a, b) => ({ count: a.count + b.count, sum: a.sum + b.sum }),
};

/** Window bounds of any window (global windows report -1 / -1). */
function bounds(w: Window): { start: number; end: number } {
  return w instanceof TimeWindow ? { start: w.start, end: w.end } : { start: -1, end: -1 };
}

/** ProcessWindowFunction labelling a pre-aggregated count/sum with key and window. */
export const labelAgg: ProcessWindowFunction<{ count: number; sum: number }, Agg, string, Window> = (key, ctx, [a], out) =>
  out.collect({ key, ...bounds(ctx.window()), count: a.count, sum: a.sum });

/** ProcessWindowFunction computing count/sum over buffered elements. */
export const processAgg: ProcessWindowFunction<Ev, Agg, string, Window> = (key, ctx, elements, out) =>
  out.collect({ key, ...bounds(ctx.window()), count: elements.length, sum: elements.reduce((s, e) => s + e.v, 0) });

/** How the window function is computed: incremental aggregate, incremental reduce, or buffered process. */
export type Mode = "aggregate" | "reduce" | "process";

export interface WindowSetup<W extends Window> {
  assigner: WindowAssigner<Ev, W>;
  trigger?: Trigger<Ev, W>;
  evictor?: Evictor<Ev, W>;
  lateness?: number;
  lateTag?: OutputTag<Ev>;
  mode?: Mode;
}

/** A window operator computing `Agg` records, as `keyBy(e => e.key).window(...)` would build it. */
export function aggOperator<W extends Window>(s: WindowSetup<W>): () => WindowOperator<Ev, unknown, unknown, Agg, string, W> {
  const mode = s.mode ?? "aggregate";
  return () => {
    let aggregate: AggregateFunction<Ev, unknown, unknown> | undefined;
    let fn: InternalWindowFunction<unknown, Agg, string, W>;
    if (mode === "aggregate") {
      aggregate = countSum as AggregateFunction<Ev, unknown, unknown>;
      fn = new InternalProcessWindowFunction(labelAgg) as InternalWindowFunction<unknown, Agg, string, W>;
    } else if (mode === "reduce") {
      // reduce over (count, sum) pairs carried in Ev: v = sum, ts unused; count kept in a separate field
      aggregate = new ReduceAggregate<any>((a, b) => ({ key: a.key, v: a.v + b.v, ts: 0, n: (a.n ?? 1) + (b.n ?? 1) })) as never;
      fn = new InternalProcessWindowFunction((key: string, ctx, [r]: readonly any[], out) =>
        out.collect({ key, ...bounds(ctx.window()), count: r.n ?? 1, sum: r.v }),
      ) as InternalWindowFunction<unknown, Agg, string, W>;
    } else {
      aggregate = undefined;
      fn = new InternalProcessWindowFunction(processAgg) as InternalWindowFunction<unknown, Agg, string, W>;
    }
    return new WindowOperator({
      assigner: s.assigner,
      trigger: s.trigger ?? s.assigner.getDefaultTrigger(),
      evictor: s.evictor,
      allowedLatenessMs: s.lateness ?? 0,
      lateDataTag: s.lateTag,
      aggregate,
      windowFunction: fn,
    });
  };
}

/** A harness over `aggOperator(setup)`, keyed by `Ev.key`. */
export function aggHarness<W extends Window>(s: WindowSetup<W>, options?: HarnessOptions): Promise<OperatorHarness<Ev, Agg>> {
  return OperatorHarness.forOperator(aggOperator(s), (e: Ev) => e.key, options);
}

/** A pass-through operator factory (for tests that look at raw reduce/aggregate output). */
export function passThrough<W extends Window>(): InternalWindowFunction<any, any, string, W> {
  return new PassThroughWindowFunction();
}

/** Sorted JSON strings: compares outputs as multisets. */
export function multiset(values: readonly unknown[]): string[] {
  return values.map((v) => JSON.stringify(v)).sort();
}

const dirs: string[] = [];

/** A LevelDB backend in a fresh temp directory (removed by `removeTempDirs`). */
export async function tempLevelDb(cache: LevelDbCacheOptions = {}): Promise<StateBackendFactory> {
  const dir = await mkdtemp(join(tmpdir(), "vigil-windows-"));
  dirs.push(dir);
  return levelDbBackend({ directory: dir, ...cache });
}

export async function removeTempDirs(): Promise<void> {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
}

export { heapBackend };
