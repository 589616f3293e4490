/**
 * Case `throughput`: what periodic checkpoints cost a running job. Two keyed jobs over the window
 * events of `bench:runtime` (keys uniform in 100,000; a DataGeneratorSource, parallelism 1):
 *
 *   window   keyBy -> one-minute tumbling count-and-sum -> a checksum sink (the window job of
 *            `bench:runtime`), on the heap (10M events) and on LevelDB (3M events, 400k-entry
 *            cache). Its keyed state rises and falls with the minute: about 100,000 windows just
 *            before the watermark fires them, almost none just after;
 *   reduce   keyBy -> reduce (a running sum per key, every result emitted) -> a checksum sink,
 *            on the heap (5M events). Its state is a steady 100,000 entries, so every checkpoint
 *            is the same size.
 *
 * Each runs in the same process without checkpoints and with a checkpoint every `intervalMs`
 * (1,000 ms) to a fresh local directory, timed alternately (a full GC before each run,
 * `timing.ts` of `bench:runtime`). Every run must give the same checksum of its output:
 * checkpoints must not change the output.
 *
 * With checkpoints, the bounded source waits at the end of its input for a final checkpoint
 * (FLIP-147), so a checkpointed run takes its periodic checkpoints plus that final one; both are
 * in its time, as in a real job.
 *
 * `ratio` is events/s with checkpoints / events/s without (the goal: >= 0.9).
 */
import { rmSync } from "node:fs";
import { DataGeneratorSource, StreamExecutionEnvironment, WatermarkStrategy, type Sink } from "../../src/runtime/index.js";
import { heapBackend, levelDbBackend, type StateBackendFactory } from "../../src/state/index.js";
import { fmtRuns, median, perSec, round, timeOnce, timeSides, type Side, type SideTiming } from "../runtime/timing.js";
import { formatChecksum } from "../runtime/window-checksum.js";
import { eventGenerator, hash32, type WindowEvent } from "../runtime/window-events.js";
import { buildWindowJob } from "../runtime/window-job.js";
import { checkpointLogger, fmtInt, fmtMB, tempDir, type Backend, type CheckpointBenchOptions, type CheckpointLogLine, type CheckpointResult, type Log } from "./common.js";

type Job = "window" | "reduce";

/** The (job, backend) pairs of the case, in order, with their time budget (ms, before `budgetScale`). */
const RUNS: ReadonlyArray<{ job: Job; backend: Backend; budgetMs: number }> = [
  { job: "window", backend: "heap", budgetMs: 40_000 },
  { job: "reduce", backend: "heap", budgetMs: 30_000 },
  { job: "window", backend: "leveldb", budgetMs: 30_000 },
];

/** LevelDB's cache for the window job: room for the live windows of 100k keys (as in `bench:runtime`). */
const LEVELDB_CACHE_ENTRIES = 400_000;

/** What one checkpointed run took. */
interface CheckpointedRun {
  readonly checkpoints: number;
  readonly log: readonly CheckpointLogLine[];
}

export async function throughput(o: CheckpointBenchOptions, log: Log): Promise<CheckpointResult[]> {
  const results: CheckpointResult[] = [];
  for (const r of RUNS) if (o.backends.includes(r.backend)) results.push(await measure(o, r.job, r.backend, r.budgetMs, log));
  return results;
}

/** Folds the reduce job's results (running sums) into a count, a sum and a hash. */
class SumChecksumSink implements Sink<WindowEvent> {
  count = 0;
  sum = 0;
  hash = 0;
  createWriter() {
    return {
      write: (e: WindowEvent) => {
        this.count++;
        this.sum += e.value;
        this.hash = (this.hash + hash32(hash32(e.key) ^ e.value)) >>> 0;
      },
    };
  }
  checksum(): string {
    return `results=${this.count} sum=${this.sum} hash=${this.hash.toString(16).padStart(8, "0")}`;
  }
}

/** Adds the job to `env`; returns the checksum of its output once it finished. */
function build(env: StreamExecutionEnvironment, job: Job, events: number, o: CheckpointBenchOptions, backend: StateBackendFactory): () => string {
  if (job === "window") {
    const sink = buildWindowJob(env, { events, keys: o.keys, eventsPerMs: o.eventsPerMs, parallelism: 1, backend });
    return () => formatChecksum(sink.total());
  }
  env.setParallelism(1).setStateBackend(backend);
  const sink = new SumChecksumSink();
  env
    .fromSource(new DataGeneratorSource(eventGenerator({ events, keys: o.keys, eventsPerMs: o.eventsPerMs }), events), WatermarkStrategy.noWatermarks<WindowEvent>(), "events")
    .keyBy((e) => e.key)
    .reduce((a, b) => ({ key: a.key, value: a.value + b.value, ts: b.ts }))
    .sinkTo(sink, "checksum");
  return () => sink.checksum();
}

async function measure(o: CheckpointBenchOptions, job: Job, backend: Backend, budgetMs: number, log: Log): Promise<CheckpointResult> {
  const events = job === "reduce" ? o.reduceEvents : backend === "heap" ? o.events : o.leveldbEvents;
  const name = `${job} job, ${backend}`;
  const dirs: string[] = [];
  const fresh = (prefix: string): string => {
    const d = tempDir(prefix);
    dirs.push(d);
    return d;
  };
  const state = (): StateBackendFactory =>
    backend === "heap" ? heapBackend() : levelDbBackend({ directory: fresh("state"), cacheEntries: LEVELDB_CACHE_ENTRIES });
  const runs: CheckpointedRun[] = [];

  const plain = async (): Promise<string> => {
    const env = new StreamExecutionEnvironment();
    const checksum = build(env, job, events, o, state());
    await env.execute(`${job} job`);
    return checksum();
  };
  const checkpointed = async (): Promise<string> => {
    const { logger, completed } = checkpointLogger();
    const env = new StreamExecutionEnvironment().setLogger(logger).enableCheckpointing(o.intervalMs, { directory: fresh("ckpt") });
    const checksum = build(env, job, events, o, state());
    const client = await env.executeAsync(`${job} job`);
    await client.getJobExecutionResult();
    runs.push({ checkpoints: client.getCheckpoints().length, log: completed });
    return checksum();
  };

  try {
    // warm-up, and the check: both sides give the same output
    const a = await timeOnce(plain);
    const b = await timeOnce(checkpointed);
    const agree = a.checksum === b.checksum;
    log(`# check checkpoint-throughput (${name}): without checkpoints ${a.checksum}, with ${b.checksum}: ${agree ? "equal" : "DIFFERENT"}`);
    if (!agree) throw new Error(`checkpoint-throughput (${name}): checkpoints changed the job's output`);
    runs.length = 0;
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });

    const sides: Side[] = [
      { name: "checkpoints", run: checkpointed },
      { name: "no checkpoints", run: plain },
    ];
    const [c, p] = await timeSides(sides, { expected: a.checksum, perGc: 1, budgetMs: budgetMs * o.budgetScale, maxRounds: 7, rounds: o.rounds });
    const counts = runs.map((r) => r.checkpoints);
    const periodic = runs.flatMap((r) => r.log.slice(0, -1));
    const final = runs.map((r) => r.log.at(-1)).filter((l): l is CheckpointLogLine => l !== undefined);
    const fmt = (ls: readonly CheckpointLogLine[]) => ls.map((l) => `${l.durationMs} ms (${fmtMB(l.bytes)})`).join(", ") || "none";
    log(`# checkpoint-throughput (${name}), ${fmtInt(events)} events, ${fmtInt(o.keys)} keys: ${describe([c, p])}`);
    log(`# checkpoints per run ${counts.join("/")} (the last of each is the final one, taken when the input has ended); trigger -> stored (written): ` +
      `periodic ${fmt(periodic)}; final ${fmt(final)}`);
    const durations = periodic.map((l) => l.durationMs);
    return {
      bench: "checkpoint-throughput",
      backend,
      job,
      eventsPerSec: perSec(events, c.medianMs),
      baseline: "no-checkpoints",
      baselineEventsPerSec: perSec(events, p.medianMs),
      ratio: round(p.medianMs / c.medianMs, 3),
      checkpoints: median(counts),
      intervalMs: o.intervalMs,
      periodicCheckpointMs: durations.length === 0 ? 0 : round(median(durations), 0),
      periodicCheckpointBytes: periodic.length === 0 ? 0 : Math.round(median(periodic.map((l) => l.bytes))),
      cpuRatio: round(median(p.cpuMs) / median(c.cpuMs), 3),
      events,
      keys: o.keys,
      runs: c.ms.length,
    };
  } finally {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
}

/** `checkpoints ms 980/1010 (cpu 950/990); …` */
function describe(t: readonly SideTiming[]): string {
  return t.map((s) => `${s.name} ms ${fmtRuns(s.ms)} (cpu ${fmtRuns(s.cpuMs)})`).join("; ");
}
