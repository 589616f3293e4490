import { readdirSync } from "node:fs";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { RestartStrategies, StreamExecutionEnvironment, WatermarkStrategy, type StateBackendFactory } from "../../../src/index.js";
import { heapBackend, levelDbBackend } from "../../../src/state/index.js";
import { multiset } from "../helpers.js";
import { FailureInjector, SlowListSource, TxnSink, tempDirs } from "./helpers.js";

const { tmp, cleanup } = tempDirs("vigil-recovery-");
afterAll(cleanup);

type Tx = { card: string; amount: number; ts: number };

/**
 * Running sum per card and a count of large amounts per card (two keyed operators in a chain of
 * hash edges), to an exactly-once sink. Every key lives in one split, so each key's records come in
 * the same order in every run and the output is determined by the input.
 */
async function runJob(
  splits: Tx[][],
  opts: { parallelism: number; backend: StateBackendFactory; injector?: FailureInjector; interval?: number; failAfterCheckpoint?: boolean },
) {
  const env = new StreamExecutionEnvironment().setParallelism(opts.parallelism).setStateBackend(opts.backend);
  const dir = tmp();
  if (opts.interval !== undefined) {
    env.enableCheckpointing(opts.interval, { directory: dir }).setRestartStrategy(RestartStrategies.fixedDelay(20, 0));
  }
  let failedAfterCheckpoint = false;
  const sink = new TxnSink<string>();
  const injector = opts.injector;
  env
    .fromSource(new SlowListSource(splits, 3), WatermarkStrategy.forMonotonousTimestamps<Tx>().withTimestampAssigner((t) => t.ts), "txs")
    .map((t) => {
      injector?.tick();
      if (opts.failAfterCheckpoint && !failedAfterCheckpoint && readdirSync(dir).some((n) => /^chk-\d+$/.test(n))) {
        failedAfterCheckpoint = true;
        throw new Error("injected failure after the first checkpoint");
      }
      return t;
    })
    .keyBy((t) => t.card)
    .reduce((a, b) => ({ card: a.card, amount: a.amount + b.amount, ts: b.ts }))
    .map((t) => `${t.card}:${t.amount}`)
    .sinkTo(sink);
  const client = await env.executeAsync("recovery");
  await client.getJobExecutionResult();
  return { sink, checkpoints: client.getCheckpoints().length, injector, failedAfterCheckpoint };
}

const splitsArb = fc
  .array(fc.array(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 1, max: 9 })), { minLength: 1, maxLength: 80 }), { minLength: 1, maxLength: 3 })
  .map((splits) => splits.map((recs, s) => recs.map(([k, amount], i) => ({ card: `s${s}k${k}`, amount, ts: i }))));

describe("recovery: a run with failures commits exactly what a fault-free run outputs", () => {
  for (const [name, backend] of [
    ["heap", () => heapBackend()],
    ["LevelDB", () => levelDbBackend({ directory: tmp() })],
  ] as const) {
    it(`on the ${name} backend`, async () => {
      let restoredFromCheckpoint = 0;
      await fc.assert(
        fc.asyncProperty(
          splitsArb,
          fc.uniqueArray(fc.integer({ min: 1, max: 180 }), { maxLength: 3 }),
          fc.integer({ min: 1, max: 3 }),
          fc.integer({ min: 0, max: 4 }),
          async (splits, failAt, parallelism, interval) => {
            const reference = await runJob(splits, { parallelism: 1, backend: heapBackend() });
            const injector = new FailureInjector(failAt);
            const run = await runJob(splits, { parallelism, backend: backend(), injector, interval: interval + 1 });
            if (injector.failures > 0 && run.checkpoints > 0) restoredFromCheckpoint++;
            expect(multiset(run.sink.committed)).toEqual(multiset(reference.sink.committed));
          },
        ),
        { numRuns: name === "heap" ? 40 : 15 },
      );
      // restores from checkpoints happen in most runs here, but not surely under load: the test
      // below makes one certain
      void restoredFromCheckpoint;
    }, 120_000);
  }

  for (const [name, backend] of [
    ["heap", () => heapBackend()],
    ["LevelDB", () => levelDbBackend({ directory: tmp() })],
  ] as const) {
    it(`a failure after a completed checkpoint restores it (${name}); the committed output is the fault-free one`, async () => {
      const splits = [0, 1].map((s) => Array.from({ length: 1200 }, (_, i) => ({ card: `s${s}k${i % 7}`, amount: i % 10, ts: i })));
      const ref = await runJob(splits, { parallelism: 1, backend: heapBackend() });
      const run = await runJob(splits, { parallelism: 2, backend: backend(), interval: 1, failAfterCheckpoint: true });
      expect(run.failedAfterCheckpoint).toBe(true);
      expect(multiset(run.sink.committed)).toEqual(multiset(ref.sink.committed));
    }, 60_000);
  }

  it("without failures, checkpoints are taken mid-stream and the output is the same", async () => {
    const splits = [Array.from({ length: 1500 }, (_, i) => ({ card: `k${i % 5}`, amount: i, ts: i }))];
    const ref = await runJob(splits, { parallelism: 1, backend: heapBackend() });
    const run = await runJob(splits, { parallelism: 2, backend: heapBackend(), interval: 1 });
    expect(run.checkpoints).toBeGreaterThan(2);
    expect(multiset(run.sink.committed)).toEqual(multiset(ref.sink.committed));
  });

  it("a plain (non-transactional) view of the same run shows the replayed records that the transactions kept out", async () => {
    const splits = [Array.from({ length: 300 }, (_, i) => ({ card: `k${i % 3}`, amount: 1, ts: i }))];
    const injector = new FailureInjector([250]);
    const run = await runJob(splits, { parallelism: 1, backend: heapBackend(), injector, interval: 1 });
    expect(injector.failures).toBe(1);
    expect(run.sink.committed.length).toBe(300);
    expect(run.sink.received.length).toBeGreaterThan(300);
  });
});
