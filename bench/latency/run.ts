/**
 * `npm run bench:latency`: event-to-alert latency of the service's job at fixed offered rates.
 *
 * Each case runs the job `vigil run` builds (buildServiceJob: the 10 rules of patterns/ plus
 * bench/latency/patterns/large-purchase.json, LevelDB state) on one thread, fed by an open-loop
 * paced generator (paced-source.ts), alerts into a console sink whose output is timed on arrival.
 * Latency = arrival of the alert - due time of the event that completed it, for the probe rule's
 * alerts (about 1 event in 10), events due after a 1 s warm-up. Event time is the due time
 * (monotonous; the source's outOfOrderness is 0), so the watermark releases an event as soon as
 * an event of a later millisecond is read: an event-time rule's floor is about 1 ms here (in
 * production it is the configured outOfOrderness).
 *
 * Series (each its own table and JSON lines):
 * - `checkpoints`: the service's defaults, a checkpoint every 5 s; a case lasts 6 s, so one
 *   periodic checkpoint falls in the timed window;
 * - `no-checkpoints`: the same without checkpoints: the processing path alone;
 * - `jetstream`: a publisher process -> a JetStream stream -> the service's JetStream source
 *   (checkpoints every 5 s), as in production (`--jetstream`, or `--series jetstream`).
 *
 * Baseline, per case, same run: the same feed straight into a sink that times the same events
 * (no rules, same checkpointing). ratio = Vigil p99 / pass-through p99.
 *
 * The offered rate steps up (1k, 2.5k, 5k, 10k, 15k, 20k, 25k, 50k, 75k, 100k, 150k, ... events/s)
 * until p99 passes 50 ms or the job cannot keep up (achieved < 95 % of offered, or alerts still
 * missing 10 s after the last event was due); 10k, 50k and 100k always run.
 *
 *   node dist/bench/latency/run.js [--series checkpoints,no-checkpoints,jetstream] [--rates 10000,50000] [--state heap] [--flush-threshold N]
 *
 * `--state heap` runs on the heap state backend instead of LevelDB (the service's default);
 * `--flush-threshold N` sets the LevelDB write-back cache's flush threshold (default 50,000 dirty
 * entries), to see what the state backend costs.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { cp, mkdtemp, rm } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { connect } from "nats";
import { JetStreamSource } from "../../src/connectors/index.js";
import { StreamExecutionEnvironment, WatermarkStrategy, type DataStream, type JobClient } from "../../src/runtime/index.js";
import { resolveConfig } from "../../src/service/config/index.js";
import { createLogger } from "../../src/service/log.js";
import { loadRules } from "../../src/service/pattern-file/index.js";
import { buildServiceJob } from "../../src/service/run/build-job.js";
import { provideSource } from "../../src/service/run/service-sources.js";
import { heapBackend, levelDbBackend } from "../../src/state/index.js";
import { clock, dueAt, isProbeSeq, pacedEvent, PacedSource, type PacedEvent, type PacedOptions } from "./paced-source.js";

const PROBE_RULE = "bench-large-purchase";
const WARMUP_MS = 1000;
const LIMIT_P99_MS = 50;
const STEPS = [1_000, 2_500, 5_000, 10_000, 15_000, 20_000, 25_000, 50_000, 75_000, 100_000, 150_000, 200_000, 300_000, 400_000];
const ALWAYS = new Set([10_000, 50_000, 100_000]);
/** How long after the last event was due a case waits for the last alerts (JetStream: no end of input). */
const DRAIN_MS = 10_000;

type SeriesName = "checkpoints" | "no-checkpoints" | "jetstream" | "jetstream-no-checkpoints";
interface Series {
  readonly name: SeriesName;
  readonly title: string;
  readonly checkpointMs: number;
  readonly seconds: number;
  readonly jetstream: boolean;
}
const SERIES: Record<SeriesName, Series> = {
  checkpoints: { name: "checkpoints", title: "in-process feed, checkpoints every 5 s (the service's default)", checkpointMs: 5000, seconds: 6, jetstream: false },
  "no-checkpoints": { name: "no-checkpoints", title: "in-process feed, no checkpoints (the processing path alone)", checkpointMs: 0, seconds: 4, jetstream: false },
  jetstream: { name: "jetstream", title: "publisher process -> JetStream -> JetStream source, checkpoints every 5 s", checkpointMs: 5000, seconds: 6, jetstream: true },
  "jetstream-no-checkpoints": { name: "jetstream-no-checkpoints", title: "publisher process -> JetStream -> JetStream source, no checkpoints", checkpointMs: 0, seconds: 4, jetstream: true },
};

/** The repository root, from bench/latency (tsx) or dist/bench/latency (compiled). */
function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "package.json"))) dir = dirname(dir);
  return dir;
}

/** Whether an event is one the probe rule alerts on: the events the baseline times too. */
const isProbe = (e: PacedEvent): boolean => e.type === "purchase" && e.status === "approved" && e.amount >= 900;

/**
 * Latencies (ms) of the probe events due in the timed window (after the warm-up, and not in the
 * last 100 ms: with no end of input, as through JetStream, an event is released only by one of
 * a later millisecond); `at` is when the record arrived.
 */
class Samples {
  private values = new Float64Array(1 << 16);
  private n = 0;
  /** Probe events due in the window, for completeness. */
  readonly expected: number;
  private readonly from: number;
  private readonly to: number;
  constructor(private readonly o: PacedOptions) {
    this.from = o.startAt + WARMUP_MS;
    this.to = dueAt(o, o.count) - 100;
    let expected = 0;
    for (let seq = 0; seq < o.count; seq++) if (this.inWindow(dueAt(o, seq)) && isProbeSeq(seq)) expected++;
    this.expected = expected;
  }
  private inWindow(due: number): boolean {
    return due >= this.from && due < this.to;
  }
  get count(): number {
    return this.n;
  }
  add(seq: number, at: number): void {
    const due = dueAt(this.o, seq);
    if (!this.inWindow(due)) return;
    if (this.n === this.values.length) {
      const bigger = new Float64Array(this.n * 2);
      bigger.set(this.values);
      this.values = bigger;
    }
    this.values[this.n++] = at - due;
  }
  sorted(): Float64Array {
    return this.values.slice(0, this.n).sort();
  }
}

interface CaseResult {
  readonly achievedPerSec: number;
  readonly keptUp: boolean;
  readonly samples: Float64Array;
  readonly expected: number;
  readonly cpuPercent: number;
}

function pacing(rate: number, seconds: number, leadMs = 300): PacedOptions {
  const startAt = clock() + leadMs; // the job is up by then
  return { rate, count: Math.round(rate * seconds), startAt, giveUpAt: startAt + seconds * 1500 + 1000 };
}

/** What a case needs besides its feed. */
interface Harness {
  readonly work: string;
  readonly series: Series;
  readonly state: "leveldb" | "heap";
  /** The LevelDB write-back cache's flush threshold (dirty entries); undefined: the backend's default, as the service uses it. */
  readonly flushThreshold?: number;
}

function environment(h: Harness, dir: string, level = "warn"): StreamExecutionEnvironment {
  const env = new StreamExecutionEnvironment()
    .setParallelism(1)
    .setRuntimeMode("streaming")
    .setStateBackend(h.state === "heap" ? heapBackend() : levelDbBackend({ directory: join(dir, "state"), ...(h.flushThreshold !== undefined && { flushThreshold: h.flushThreshold }) }))
    .setLogger(createLogger({ level }));
  if (h.series.checkpointMs > 0) env.enableCheckpointing(h.series.checkpointMs, { directory: join(dir, "checkpoints"), retained: 3 });
  return env;
}

/** A feed: the paced events into a job, in-process or through JetStream. */
interface Feed {
  readonly o: PacedOptions;
  /** The source for `buildSource` (in-process) or the config entry's stream (JetStream). */
  readonly source: PacedSource<PacedEvent> | JetStreamSource<PacedEvent>;
  readonly stream?: string;
  /** Runs the job to the end of the case; resolves with the achieved rate and whether it kept up. */
  run(client: JobClient, samples: Samples): Promise<{ achievedPerSec: number; keptUp: boolean }>;
  close(): Promise<void>;
}

function inProcessFeed(rate: number, seconds: number): Feed {
  const o = pacing(rate, seconds);
  const source = new PacedSource<PacedEvent>(o, pacedEvent);
  return {
    o,
    source,
    async run(client) {
      await client.getJobExecutionResult();
      const { emitted, lastEmitAt } = source.progress;
      const spanMs = Math.max(lastEmitAt - o.startAt, ((o.count - 1) * 1000) / o.rate);
      const achievedPerSec = emitted / (spanMs / 1000);
      return { achievedPerSec, keptUp: emitted === o.count && achievedPerSec >= rate * 0.95 };
    },
    close: async () => {},
  };
}

/** A stream of its own, a publisher process pacing events into it, the service's JetStream source reading it. */
async function jetStreamFeed(rate: number, seconds: number): Promise<Feed> {
  const nc = await connect({ servers: (process.env.NATS_URL ?? "nats://127.0.0.1:4222").split(","), name: "bench-latency" });
  const jsm = await nc.jetstreamManager();
  const stream = `BENCH_LATENCY_${randomBytes(4).toString("hex")}`;
  await jsm.streams.add({ name: stream, subjects: [`${stream}.events`] });
  const o = pacing(rate, seconds, 1500); // the publisher process starts meanwhile
  const source = new JetStreamSource<PacedEvent>({ name: "transactions", stream, deserializer: "json" });
  return {
    o,
    source,
    stream,
    async run(client, samples) {
      const here = fileURLToPath(import.meta.url);
      const script = join(dirname(here), `jetstream-publisher${here.endsWith(".ts") ? ".ts" : ".js"}`);
      const args = [...(here.endsWith(".ts") ? ["--import", "tsx"] : []), script, "--subject", `${stream}.events`, "--rate", String(rate), "--count", String(o.count), "--start-at", String(o.startAt)];
      const published = await new Promise<{ published: number; achievedPerSec: number; maxLagMs: number }>((resolve, reject) => {
        const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "inherit"] });
        let out = "";
        child.stdout.on("data", (b: Buffer) => (out += b.toString("utf8")));
        child.on("error", reject);
        child.on("close", (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`publisher exited with ${code}`))));
      });
      // no end of input: wait for the window's alerts, or give up
      const deadline = dueAt(o, o.count - 1) + DRAIN_MS;
      while (samples.count < samples.expected && clock() < deadline) await new Promise((r) => setTimeout(r, 50));
      await client.cancel().catch(() => {});
      await client.getJobExecutionResult().catch(() => {});
      return { achievedPerSec: published.achievedPerSec, keptUp: published.achievedPerSec >= rate * 0.95 && samples.count >= samples.expected };
    },
    async close() {
      await jsm.streams.delete(stream).catch(() => {});
      await nc.close();
    },
  };
}

async function runCase(h: Harness, feed: Feed, build: (env: StreamExecutionEnvironment, samples: Samples, dir: string) => Promise<void>): Promise<CaseResult> {
  const dir = await mkdtemp(join(h.work, "case-"));
  try {
    const samples = new Samples(feed.o);
    const env = environment(h, dir);
    await build(env, samples, dir);
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const client = await env.executeAsync("bench-latency");
    const { achievedPerSec, keptUp } = await feed.run(client, samples);
    const c = process.cpuUsage(cpu0);
    return { achievedPerSec, keptUp, samples: samples.sorted(), expected: samples.expected, cpuPercent: Math.round(((c.user + c.system) / 1000 / (performance.now() - t0)) * 100) };
  } finally {
    await feed.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** The service's job, fed by `feed`, alerts timed as they reach the console sink. */
function runVigil(root: string, h: Harness, feed: Feed): Promise<CaseResult> {
  return runCase(h, feed, async (env, samples, dir) => {
    await cp(join(root, "patterns"), join(dir, "patterns"), { recursive: true });
    await cp(join(root, "bench/latency/patterns"), join(dir, "patterns"), { recursive: true });
    const time = { outOfOrderness: 0, idleness: "5s" };
    const config = resolveConfig(
      {
        patterns: "patterns",
        // in-process: the entry gives the source's time settings, provideSource the events
        sources: { transactions: feed.stream !== undefined ? { type: "jetstream", stream: feed.stream, ...time } : { type: "file", path: "in-process", ...time } },
        sinks: { alerts: { type: "console" } },
        state: { backend: h.state, directory: "state" },
        checkpoints: { intervalMs: h.series.checkpointMs, directory: "checkpoints" },
      },
      { file: "(bench)", baseDir: dir },
    );
    const { rules, issues } = await loadRules(config.patterns);
    if (issues.length > 0 || rules.length !== 11) throw new Error(`bench rules: ${issues.length} issues, ${rules.length} rules`);
    const stdout = {
      write(text: string) {
        const at = clock();
        let from = 0;
        for (let end = text.indexOf("\n"); end >= 0; from = end + 1, end = text.indexOf("\n", from)) {
          const alert = JSON.parse(text.slice(from, end)) as { rule: string; fields: { seq: number } };
          if (alert.rule === PROBE_RULE) samples.add(alert.fields.seq, at);
        }
      },
    };
    const release = feed.source instanceof PacedSource ? provideSource("transactions", feed.source as never) : () => {};
    try {
      buildServiceJob(env, config, rules, { stdout, log: createLogger({ level: "warn" }), now: Date.now });
    } finally {
      release();
    }
  });
}

/** Baseline: the same feed into a sink that times the same events; no rules. */
function runPassThrough(h: Harness, feed: Feed): Promise<CaseResult> {
  return runCase(h, feed, async (env, samples) => {
    const strategy = WatermarkStrategy.forMonotonousTimestamps<PacedEvent>().withTimestampAssigner((e) => e.ts);
    const stream: DataStream<PacedEvent> = env.fromSource(feed.source, strategy, "paced");
    stream.sinkTo({
      createWriter: () => ({
        write: (e: PacedEvent) => {
          if (isProbe(e)) samples.add(e.seq, clock());
        },
      }),
    });
  });
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))];
}

const round = (x: number, d = 2): number => (Number.isFinite(x) ? Math.round(x * 10 ** d) / 10 ** d : x);
const label = (rate: number): string => `${rate / 1000}k`;

async function runSeries(root: string, h: Harness, rates: readonly number[], explicit: boolean): Promise<string[]> {
  const s = h.series;
  process.stdout.write(`\n### ${s.title}${h.state === "heap" ? ", heap state" : ""}\n\n`);
  const rows: string[] = [];
  let under: number | undefined;
  let over: { rate: number; why: string } | undefined;
  for (const rate of rates) {
    if (over !== undefined && !explicit && !ALWAYS.has(rate)) continue;
    const newFeed = () => (s.jetstream ? jetStreamFeed(rate, s.seconds) : Promise.resolve(inProcessFeed(rate, s.seconds)));
    const vigil = await runVigil(root, h, await newFeed());
    const base = await runPassThrough(h, await newFeed());
    const p = (q: number) => percentile(vigil.samples, q);
    const b99 = percentile(base.samples, 0.99);
    const json = {
      bench: `latency-${s.name}-${label(rate)}${h.state === "heap" ? "-heap" : ""}`,
      offeredPerSec: rate,
      achievedPerSec: Math.round(vigil.achievedPerSec),
      keptUp: vigil.keptUp,
      alertsTimed: vigil.samples.length,
      alertsExpected: vigil.expected,
      p50Ms: round(p(0.5)),
      p99Ms: round(p(0.99)),
      p999Ms: round(p(0.999)),
      maxMs: round(p(1)),
      cpuPercent: vigil.cpuPercent,
      baseline: "pass-through (same feed -> sink, no rules)",
      baselineP50Ms: round(percentile(base.samples, 0.5)),
      baselineP99Ms: round(b99),
      baselineP999Ms: round(percentile(base.samples, 0.999)),
      ratio: round(p(0.99) / b99, 1),
    };
    process.stdout.write(`${JSON.stringify(json)}\n`);
    const behind = vigil.keptUp ? "" : " (behind)";
    // no sample: the job never got past the warm-up's events
    const cell = (x: number) => (Number.isFinite(x) ? String(x) : "-");
    rows.push(
      `| ${label(rate)} | ${json.achievedPerSec.toLocaleString("en-US")}${behind} | ${json.alertsTimed}/${json.alertsExpected} | ${cell(json.p50Ms)} | ${cell(json.p99Ms)} | ${cell(json.p999Ms)} | ${cell(json.baselineP50Ms)} | ${cell(json.baselineP99Ms)} | ${cell(json.ratio)}x |`,
    );
    if (over === undefined) {
      if (!vigil.keptUp) over = { rate, why: `could not keep up: ${json.achievedPerSec.toLocaleString("en-US")} events/s, ${json.alertsTimed} of ${json.alertsExpected} alerts timed` };
      else if (json.p99Ms > LIMIT_P99_MS) over = { rate, why: `p99 ${json.p99Ms} ms` };
      else under = rate;
    }
  }
  const limit = { bench: `latency-${s.name}-limit`, p99LimitMs: LIMIT_P99_MS, highestOfferedPerSecUnderLimit: under ?? null, firstOfferedPerSecOverLimit: over?.rate ?? null, why: over?.why ?? "not passed" };
  process.stdout.write(`${JSON.stringify(limit)}\n`);
  const table = [
    "",
    "| offered events/s | achieved events/s | alerts timed | p50 ms | p99 ms | p99.9 ms | pass-through p50 ms | pass-through p99 ms | p99 / pass-through p99 |",
    "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ...rows,
    "",
    `p99 <= ${LIMIT_P99_MS} ms up to ${under === undefined ? "no rate tried" : `${under.toLocaleString("en-US")} events/s offered`}; ${over === undefined ? "not passed" : `passed at ${over.rate.toLocaleString("en-US")} (${over.why})`}`,
    "",
  ];
  process.stdout.write(table.join("\n"));
  return table;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { series: { type: "string", default: "checkpoints,no-checkpoints" }, jetstream: { type: "boolean" }, rates: { type: "string" }, state: { type: "string", default: "leveldb" }, "flush-threshold": { type: "string" } },
  });
  const names = values.series.split(",").filter((n) => n !== "") as SeriesName[];
  if (values.jetstream && !names.includes("jetstream")) names.push("jetstream");
  for (const n of names) if (!(n in SERIES)) throw new Error(`unknown series ${n} (${Object.keys(SERIES).join(", ")})`);
  const rates = values.rates === undefined ? STEPS : values.rates.split(",").map(Number);
  const state = values.state === "heap" ? "heap" : "leveldb";
  const root = repoRoot();
  const work = await mkdtemp(join(tmpdir(), "vigil-bench-latency-"));
  const started = performance.now();
  process.stdout.write(
    `bench:latency: ${names.join(", ")}; ${state} state${values["flush-threshold"] === undefined ? "" : ` (flushThreshold ${values["flush-threshold"]})`}; node ${process.version}; load average ${loadavg().map((l) => l.toFixed(2)).join(" ")}\n` +
      `latency = alert at the sink - due time of the event that completed it (open loop); ${WARMUP_MS} ms warm-up; baseline: the same feed into a sink, no rules\n`,
  );
  try {
    const flushThreshold = values["flush-threshold"] === undefined ? undefined : Number(values["flush-threshold"]);
    for (const n of names) await runSeries(root, { work, series: SERIES[n], state, ...(flushThreshold !== undefined && { flushThreshold }) }, rates, values.rates !== undefined);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  process.stdout.write(`\nbench:latency took ${((performance.now() - started) / 1000).toFixed(0)} s; load average at the end ${loadavg().map((l) => l.toFixed(2)).join(" ")}\n`);
}

await main();
