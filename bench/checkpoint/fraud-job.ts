/**
 * The job that the crash test and the soak kill: transactions from a JSON-lines file, per card
 * per minute totals (keyed tumbling windows) and card-testing alerts (CEP), both to the
 * exactly-once file sink, with a checkpoint every `interval` ms. On start it restores the newest
 * checkpoint in the checkpoint directory, so restarting the process after a kill resumes the job.
 *
 *   node dist/bench/checkpoint/fraud-job.js <input.jsonl> <output dir> <checkpoint dir> [interval ms] [heap|leveldb] [events/s]
 *
 * Prints "running" once the job runs and "finished" when it ends.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  AfterMatchSkipStrategy,
  CEP,
  Pattern,
  RestartStrategies,
  StreamExecutionEnvironment,
  TumblingEventTimeWindows,
  WatermarkStrategy,
  findLatestCheckpoint,
  levelDbBackend,
} from "../../src/index.js";
import { FileSink, FileSource } from "../../src/connectors/index.js";
import type { ReaderOutput, Source, SourceSplit } from "../../src/runtime/index.js";

export interface Txn {
  readonly card: string;
  readonly amount: number;
  readonly merchant: string;
  readonly ts: number;
}

/** Deterministic transactions: `n` of them over `cards` cards, timestamps out of order by at most 2 s. */
export function generateTransactions(n: number, cards: number, seed = 42): Txn[] {
  let s = seed >>> 0;
  const rand = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  const out: Txn[] = [];
  for (let i = 0; i < n; i++) {
    const small = rand() < 0.3;
    out.push({
      card: `card-${Math.floor(rand() * cards)}`,
      amount: small ? Math.round(rand() * 150) / 100 : Math.round(rand() * 90_000) / 100,
      merchant: `m${Math.floor(rand() * 20)}`,
      ts: 1_700_000_000_000 + i * 50 - Math.floor(rand() * 2000),
    });
  }
  return out;
}

const MIN = 60_000;

/**
 * Reads at most `eventsPerSec` (a test's kills then land while the job runs, not after it ended).
 * The reader's positions are the wrapped reader's, so replay is unaffected.
 */
export function throttled<T, S extends SourceSplit>(source: Source<T, S>, eventsPerSec: number): Source<T, S> {
  return {
    boundedness: source.boundedness,
    createSplits: (ctx) => source.createSplits(ctx),
    createReader(ctx) {
      const reader = source.createReader(ctx);
      const started = performance.now();
      let emitted = 0;
      const counting: ReaderOutput<T> = {
        collect: (v, split, ts) => {
          emitted++;
          out!.collect(v, split, ts);
        },
        splitFinished: (split) => out!.splitFinished(split),
      };
      let out: ReaderOutput<T> | undefined;
      return {
        addSplits: (splits) => reader.addSplits(splits),
        pollNext(output) {
          if (emitted > ((performance.now() - started) / 1000) * eventsPerSec) return "waiting";
          out = output;
          return reader.pollNext(counting);
        },
        available: () => new Promise<void>((r) => setTimeout(r, 5)),
        snapshotState: (id) => reader.snapshotState(id),
        notifyCheckpointComplete: (id) => reader.notifyCheckpointComplete?.(id),
        close: () => reader.close?.(),
      };
    },
  };
}

/** `inspect` (tests) sees every transaction first, in a map of its own; it may throw to inject a failure. */
export function buildJob(env: StreamExecutionEnvironment, input: string, output: string, eventsPerSec = Number.POSITIVE_INFINITY, inspect?: (t: Txn) => Txn): void {
  const file = new FileSource<Txn>({ paths: input, timestampField: "ts", name: "transactions", batchSize: 1000 });
  let txns = env
    .fromSource(Number.isFinite(eventsPerSec) ? throttled(file, eventsPerSec) : file, WatermarkStrategy.forBoundedOutOfOrderness<Txn>(5_000), "transactions")
    .uid("transactions");
  if (inspect !== undefined) txns = txns.map(inspect).uid("inspect");
  const byCard = txns.keyBy((t) => t.card);
  const totals = byCard
    .window(TumblingEventTimeWindows.of(MIN))
    .aggregate(
      {
        createAccumulator: () => ({ count: 0, sum: 0 }),
        add: (t: Txn, acc: { count: number; sum: number }) => ({ count: acc.count + 1, sum: Math.round((acc.sum + t.amount) * 100) / 100 }),
        getResult: (acc: { count: number; sum: number }) => acc,
        merge: (a: { count: number; sum: number }, b: { count: number; sum: number }) => ({ count: a.count + b.count, sum: a.sum + b.sum }),
      },
      (card: string, ctx: { window(): { start: number } }, results: Iterable<{ count: number; sum: number }>, out: { collect(v: string): void }) => {
        for (const r of results) out.collect(JSON.stringify({ kind: "total", card, minute: ctx.window().start, count: r.count, sum: r.sum }));
      },
    )
    .uid("minute-totals");
  const cardTesting = Pattern.begin<Txn>("small", AfterMatchSkipStrategy.skipPastLastEvent())
    .where((t) => t.amount < 1.5)
    .timesOrMore(2)
    .consecutive()
    .followedBy("big")
    .where((t) => t.amount > 700)
    .within(10 * MIN);
  const alerts = CEP.pattern(byCard, cardTesting)
    .select((m) => JSON.stringify({ kind: "alert", card: m.big[0].card, from: m.small[0].ts, to: m.big[0].ts, small: m.small.length }))
    .uid("card-testing");
  totals.union(alerts).sinkTo(new FileSink<string>({ directory: output, encode: (s) => s })).uid("alerts-sink");
}

async function main(): Promise<void> {
  const [input, output, checkpoints, interval = "100", backend = "heap", rate = "Infinity"] = process.argv.slice(2);
  if (input === undefined || output === undefined || checkpoints === undefined) {
    process.stderr.write("usage: fraud-job <input.jsonl> <output dir> <checkpoint dir> [interval ms] [heap|leveldb]\n");
    process.exit(2);
  }
  const env = new StreamExecutionEnvironment()
    .setParallelism(2)
    .enableCheckpointing(Number(interval), { directory: checkpoints })
    .setRestartStrategy(RestartStrategies.noRestart());
  if (backend === "leveldb") env.setStateBackend(levelDbBackend({ directory: mkdtempSync(join(tmpdir(), "vigil-fraud-state-")) }));
  const latest = await findLatestCheckpoint(checkpoints);
  if (latest !== undefined) env.restoreFrom(latest);
  buildJob(env, input, output, Number(rate));
  const client = await env.executeAsync("fraud");
  process.stdout.write(`running ${latest ?? "fresh"}\n`);
  await client.getJobExecutionResult();
  process.stdout.write("finished\n");
}

if (process.argv[1] !== undefined && /fraud-job\.(ts|js)$/.test(process.argv[1])) {
  main().catch((e) => {
    process.stderr.write(`${(e as Error).stack ?? e}\n`);
    process.exit(1);
  });
}
