/**
 * Where the event loop blocks while the service's CEP job runs on LevelDB with checkpoints: the
 * job of `bench:latency` (10 fraud rules + the probe rule, paced open-loop input), with the
 * synchronous steps of the checkpoint and of the LevelDB write-back wrapped and timed, and every
 * block of the event loop longer than `--gap` ms (default 20) reported with the steps that ran in
 * it. A diagnosis tool, not a benchmark: it prints one JSON line per block and a summary per step.
 *
 *   npx tsx bench/state/checkpoint-pause.ts [--rate 10000] [--seconds 12] [--checkpoint-ms 3000] [--state leveldb|heap] [--gap 20]
 */
import { cp, mkdtemp, rm } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { PerformanceObserver } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { ClassicLevel } from "classic-level";
import { LocalCheckpointStorage } from "../../src/runtime/checkpoint/local-storage.js";
import { OperatorInstance } from "../../src/runtime/executor/operator-instance.js";
import { StreamExecutionEnvironment } from "../../src/runtime/index.js";
import { HeapOperatorStateStore } from "../../src/runtime/operator-state.js";
import { InternalTimerService } from "../../src/runtime/timers/timer-service.js";
import { resolveConfig } from "../../src/service/config/index.js";
import { createLogger } from "../../src/service/log.js";
import { loadRules } from "../../src/service/pattern-file/index.js";
import { buildServiceJob } from "../../src/service/run/build-job.js";
import { provideSource } from "../../src/service/run/service-sources.js";
import { heapBackend, levelDbBackend } from "../../src/state/index.js";
import { LevelDbKeyedStateBackend } from "../../src/state/leveldb/leveldb-keyed-state-backend.js";
import { WriteBack } from "../../src/state/leveldb/write-back.js";
import { clock, pacedEvent, PacedSource, type PacedEvent } from "../latency/paced-source.js";

const { values } = parseArgs({
  options: {
    rate: { type: "string", default: "10000" },
    seconds: { type: "string", default: "12" },
    "checkpoint-ms": { type: "string", default: "3000" },
    state: { type: "string", default: "leveldb" },
    gap: { type: "string", default: "20" },
  },
});
const rate = Number(values.rate);
const seconds = Number(values.seconds);
const gapMs = Number(values.gap);

/** Synchronous steps: name -> durations (ms); and the spans, to match against blocks. */
const steps = new Map<string, number[]>();
const spans: Array<{ name: string; start: number; end: number }> = [];
function timeSync<T>(name: string, f: () => T): T {
  const start = performance.now();
  try {
    return f();
  } finally {
    const end = performance.now();
    let l = steps.get(name);
    if (l === undefined) steps.set(name, (l = []));
    l.push(end - start);
    if (end - start >= 1) spans.push({ name, start, end });
  }
}
function wrap(proto: object, method: string, name: string): void {
  const p = proto as Record<string, (...a: unknown[]) => unknown>;
  const orig = p[method];
  if (typeof orig !== "function") return;
  p[method] = function (this: unknown, ...a: unknown[]) {
    const start = performance.now();
    const r = timeSync(name, () => orig.apply(this, a));
    // a promise: its whole life is a window ("~name") that blocks can be matched against
    if (r instanceof Promise) {
      void r.then(
        () => spans.push({ name: `~${name.replace(/ \(.*\)$/, "")}`, start, end: performance.now() }),
        () => {},
      );
    }
    return r;
  };
}
wrap(OperatorInstance.prototype, "snapshotAt", "snapshotAt (all synchronous)");
wrap(InternalTimerService.prototype, "snapshot", "timers.snapshot");
wrap(HeapOperatorStateStore.prototype, "snapshot", "operatorState.snapshot");
wrap(LevelDbKeyedStateBackend.prototype, "snapshot", "backend.snapshot (synchronous part)");
wrap(LocalCheckpointStorage.prototype, "write", "storage.write (synchronous part)");
for (const m of ["serialise", "serialiseSlice", "capture"]) wrap(WriteBack.prototype, m, `writeBack.${m}`);
wrap(ClassicLevel.prototype, "batch", "db.batch call");
// the source's polls: a job behind its input processes up to 2,000 events a poll
const createReader = PacedSource.prototype.createReader;
PacedSource.prototype.createReader = function (this: PacedSource<unknown>) {
  const r = createReader.call(this);
  const poll = r.pollNext.bind(r);
  r.pollNext = (out) => timeSync("source poll (records processed)", () => poll(out));
  return r;
};
// garbage collections, as spans
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) if (e.duration >= 1) spans.push({ name: "gc", start: e.startTime, end: e.startTime + e.duration });
}).observe({ entryTypes: ["gc"] });
// every synchronous stretch: the continuations of async functions are not wrapped above, so
// blocks are also matched against a 1 ms ticker
let last = performance.now();
const blocks: Array<{ start: number; end: number }> = [];
const ticker = setInterval(() => {
  const now = performance.now();
  if (now - last > gapMs) blocks.push({ start: last, end: now });
  last = now;
}, 1);

const root = (() => {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!dir.endsWith("bench")) dir = dirname(dir);
  return dirname(dir);
})();
const dir = await mkdtemp(join(tmpdir(), "vigil-ckpt-pause-"));
try {
  await cp(join(root, "patterns"), join(dir, "patterns"), { recursive: true });
  await cp(join(root, "bench/latency/patterns"), join(dir, "patterns"), { recursive: true });
  const state = values.state === "heap" ? "heap" : "leveldb";
  const ckptMs = Number(values["checkpoint-ms"]);
  const env = new StreamExecutionEnvironment()
    .setParallelism(1)
    .setRuntimeMode("streaming")
    .setStateBackend(state === "heap" ? heapBackend() : levelDbBackend({ directory: join(dir, "state") }))
    .setLogger(createLogger({ level: "warn" }));
  if (ckptMs > 0) env.enableCheckpointing(ckptMs, { directory: join(dir, "checkpoints"), retained: 3 });
  const time = { outOfOrderness: 0, idleness: "5s" };
  const config = resolveConfig(
    {
      patterns: "patterns",
      sources: { transactions: { type: "file", path: "in-process", ...time } },
      sinks: { alerts: { type: "console" } },
      state: { backend: state, directory: "state" },
      checkpoints: { intervalMs: ckptMs, directory: "checkpoints" },
    },
    { file: "(bench)", baseDir: dir },
  );
  const { rules } = await loadRules(config.patterns);
  const startAt = clock() + 300;
  const source = new PacedSource<PacedEvent>({ rate, count: rate * seconds, startAt, giveUpAt: startAt + seconds * 3000 }, pacedEvent);
  let alerts = 0;
  const release = provideSource("transactions", source as never);
  try {
    buildServiceJob(env, config, rules, { stdout: { write: (t: string) => void (alerts += t.split("\n").length - 1) }, log: createLogger({ level: "warn" }), now: Date.now });
  } finally {
    release();
  }
  const client = await env.executeAsync("checkpoint-pause");
  const t0 = performance.now();
  await client.getJobExecutionResult();
  clearInterval(ticker);
  process.stdout.write(`# rate ${rate}/s for ${seconds} s, ${state}, checkpoint every ${ckptMs} ms; ran ${((performance.now() - t0) / 1000).toFixed(1)} s; ${alerts} alerts; load ${loadavg().map((l) => l.toFixed(2)).join(" ")}\n`);
  for (const b of blocks) {
    const inside = spans.filter((s) => s.end > b.start && s.start < b.end).map((s) => `${s.name} ${(s.end - s.start).toFixed(1)}`);
    process.stdout.write(`${JSON.stringify({ blockMs: Math.round(b.end - b.start), atS: Math.round((b.start - t0) / 100) / 10, steps: inside })}\n`);
  }
  // the steady state: after the job's start, before the end of input (whose final watermark
  // releases every buffered event at once)
  const steady = blocks.filter((b) => b.start - t0 > 500 && b.end - t0 < seconds * 1000);
  const longest = steady.reduce((m, b) => Math.max(m, b.end - b.start), 0);
  process.stdout.write(`${JSON.stringify({ longestSteadyBlockMs: Math.round(longest), steadyBlocksOverGap: steady.length })}\n`);
  for (const [name, l] of steps) {
    const sorted = [...l].sort((a, b) => a - b);
    process.stdout.write(`${JSON.stringify({ step: name, calls: l.length, maxMs: Math.round(sorted[sorted.length - 1] * 10) / 10, totalMs: Math.round(l.reduce((a, b) => a + b, 0)) })}\n`);
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
