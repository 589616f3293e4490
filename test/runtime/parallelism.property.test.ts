import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CollectSink, StreamExecutionEnvironment, WatermarkStrategy } from "../../src/runtime/index.js";
import { ListSplitsSource, multiset } from "./helpers.js";
import { SecondTotals, type Event } from "./jobs/keyed-sum-job.js";

/** Random input: up to 4 splits, timestamps increasing per split, a few keys. */
const splitsArb = fc
  .array(
    fc.array(fc.record({ key: fc.integer({ min: 0, max: 6 }), value: fc.integer({ min: 1, max: 9 }), gap: fc.integer({ min: 0, max: 700 }) }), {
      maxLength: 40,
    }),
    { minLength: 1, maxLength: 4 },
  )
  .map((splits) =>
    splits.map((s) => {
      let ts = 0;
      return s.map(({ key, value, gap }) => ({ key, value, ts: (ts += gap) }) satisfies Event);
    }),
  );

async function run(splits: Event[][], parallelism: number, mode: "streaming" | "batch", batch: number): Promise<string[]> {
  const env = new StreamExecutionEnvironment().setParallelism(parallelism).setRuntimeMode(mode);
  const totals = new CollectSink<string>();
  const reduced = new CollectSink<string>();
  const keyed = env
    .fromSource(new ListSplitsSource(splits, (e) => e.ts, batch), WatermarkStrategy.forMonotonousTimestamps<Event>(), "events")
    .filter((e) => e.value !== 5)
    .keyBy((e) => e.key);
  keyed.process(new SecondTotals()).sinkTo(totals);
  // the final running value per key is the same whatever the interleaving
  keyed
    .reduce((a, b) => ({ key: a.key, value: a.value + b.value, ts: Math.max(a.ts, b.ts) }))
    .keyBy((e) => e.key)
    .process<string>({
      processElement(e, ctx) {
        ctx.timerService().registerEventTimeTimer(Number.MAX_SAFE_INTEGER);
        void e;
      },
      onTimer(_ts, ctx, out) {
        out.collect(`final ${ctx.getCurrentKey()}`);
      },
    })
    .sinkTo(reduced);
  await env.execute();
  return [...multiset(totals.values), ...multiset(reduced.values)];
}

describe("the same job at any parallelism and in batch mode", () => {
  it("parallelism 1, 2 and 4 and batch mode give the same results (as multisets)", async () => {
    await fc.assert(
      fc.asyncProperty(splitsArb, fc.integer({ min: 1, max: 5 }), async (splits, batch) => {
        const p1 = await run(splits, 1, "streaming", batch);
        expect(await run(splits, 2, "streaming", batch)).toEqual(p1);
        expect(await run(splits, 4, "streaming", batch)).toEqual(p1);
        expect(await run(splits, 3, "batch", batch)).toEqual(p1);
      }),
      { numRuns: 60 },
    );
  });
});
