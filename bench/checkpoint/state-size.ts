/**
 * Case `state-size`: checkpoints of a large keyed state, per backend. A running job
 *
 *   InMemorySource<{key, n}> -> keyBy(key) -> reduce(n summed) -> a counting sink
 *
 * is fed one record for each of `stateKeys` (1M) keys, so its reduce state holds 1M entries; then,
 * the job idle (every record processed), through `JobClient.triggerCheckpoint()`:
 *
 *   full         the first checkpoint (and on the heap, which always snapshots everything, the
 *                next ones too: `repeats` of them): trigger -> stored, `StoredSnapshot.size` and
 *                `bytesWritten`, the bytes under the checkpoint directory, and the longest stretch
 *                the event loop was blocked meanwhile (no record is processed during it);
 *   incremental  after changing 1% of the keys, a second checkpoint, twice over: the changed keys
 *                spread uniformly (every key group touched: the realistic case), and the changed
 *                keys all in 4 of the 128 key groups (the best case for LevelDB's incremental
 *                snapshots, which rewrite whole key groups); on LevelDB `repeats` times each, the
 *                same keys changed again before each checkpoint (on the heap, where every
 *                checkpoint is full, once each);
 *   restore      a new job (same uids) from the last checkpoint: the time `executeAsync` takes to
 *                resolve, i.e. until the job runs with its state restored; `repeats` times. Then a
 *                record with n = 0 for each of 1,000 keys must come out of the reduce with that
 *                key's sum so far (the restored state).
 *
 * One JSON line per step and backend.
 */
import { monitorEventLoopDelay } from "node:perf_hooks";
import { rmSync } from "node:fs";
import { InMemorySource, StreamExecutionEnvironment, WatermarkStrategy, type JobClient, type Sink, type StoredSnapshot } from "../../src/runtime/index.js";
import { heapBackend, keyGroupFor, levelDbBackend, type StateBackendFactory } from "../../src/state/index.js";
import { fullGc, median, round } from "../runtime/timing.js";
import { dirBytes, fmtInt, fmtMB, sleep, tempDir, type Backend, type CheckpointBenchOptions, type CheckpointResult, type Log } from "./common.js";

interface KeyCount {
  readonly key: number;
  readonly n: number;
}

/** The default maxParallelism: the number of key groups. */
const KEY_GROUPS = 128;
/** The key groups the concentrated changes go to. */
const HOT_GROUPS = new Set([10, 11, 50, 90]);
/** Keys probed after a restore. */
const PROBES = 1000;

/** Counts what reaches it, and keeps the last value of the keys in `watch`. */
class CountingSink implements Sink<KeyCount> {
  count = 0;
  watch: Map<number, number> | undefined;
  createWriter() {
    return {
      write: (v: KeyCount) => {
        this.count++;
        if (this.watch?.has(v.key)) this.watch.set(v.key, v.n);
      },
    };
  }
}

/** The job: every uid fixed, so a restored job matches its operators. */
function buildJob(env: StreamExecutionEnvironment, source: InMemorySource<KeyCount>, sink: CountingSink): void {
  env
    .fromSource(source, WatermarkStrategy.noWatermarks<KeyCount>(), "feed")
    .uid("feed")
    .keyBy((r) => r.key)
    .reduce((a, b) => ({ key: a.key, n: a.n + b.n }))
    .uid("sums")
    .sinkTo(sink, "count")
    .uid("count");
}

/** Pushes a record per key (in slices) and waits until the job has processed all of them. */
async function feed(source: InMemorySource<KeyCount>, sink: CountingSink, keys: readonly number[], n: number): Promise<void> {
  const target = sink.count + keys.length;
  for (let i = 0; i < keys.length; i += 10_000) {
    const slice = keys.slice(i, i + 10_000);
    for (const key of slice) source.push({ key, n });
    await new Promise<void>((r) => setImmediate(r));
  }
  while (sink.count < target) await sleep(5);
}

/** A checkpoint, timed from trigger to stored, with the longest event-loop block meanwhile. */
async function timedCheckpoint(client: JobClient, dir: string): Promise<{ stored: StoredSnapshot; ms: number; pauseMs: number; diskBytes: number }> {
  fullGc();
  const h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  // the monitor's first tick only starts its clock: a block before it would go unseen
  await sleep(10);
  const t0 = performance.now();
  const stored = await client.triggerCheckpoint();
  const ms = performance.now() - t0;
  h.disable();
  return { stored, ms, pauseMs: h.max / 1e6, diskBytes: await dirBytes(dir) };
}

export async function stateSize(o: CheckpointBenchOptions, log: Log): Promise<CheckpointResult[]> {
  const results: CheckpointResult[] = [];
  for (const backend of o.backends) results.push(...(await onBackend(o, backend, log)));
  return results;
}

async function onBackend(o: CheckpointBenchOptions, backend: Backend, log: Log): Promise<CheckpointResult[]> {
  const dirs: string[] = [];
  const fresh = (prefix: string): string => {
    const d = tempDir(prefix);
    dirs.push(d);
    return d;
  };
  const state = (): StateBackendFactory => (backend === "heap" ? heapBackend() : levelDbBackend({ directory: fresh("state") }));
  const keys = o.stateKeys;
  const all = Array.from({ length: keys }, (_, i) => i);
  // 1% spread over the key space, and 1% within 4 key groups
  const step = Math.max(1, Math.floor(keys / o.changedKeys));
  const uniform = Array.from({ length: Math.min(o.changedKeys, keys) }, (_, i) => (i * step + 1) % keys);
  const hot: number[] = [];
  for (let k = 0; k < keys && hot.length < o.changedKeys; k++) if (HOT_GROUPS.has(keyGroupFor(k, KEY_GROUPS))) hot.push(k);
  const expected = new Map<number, number>(); // key -> sum, for keys changed (others: 1)
  const results: CheckpointResult[] = [];
  const ckptDir = fresh("ckpt");
  try {
    const source = new InMemorySource<KeyCount>();
    const sink = new CountingSink();
    const env = new StreamExecutionEnvironment().setStateBackend(state()).enableCheckpointing(0, { directory: ckptDir, retained: 2 });
    buildJob(env, source, sink);
    const client = await env.executeAsync("state size");
    const t0 = performance.now();
    await feed(source, sink, all, 1);
    log(`# state-size (${backend}): ${fmtInt(keys)} keys of reduce state built in ${((performance.now() - t0) / 1000).toFixed(1)} s` +
      (backend === "leveldb" ? " (LevelDB, default cache of 100,000 entries)" : ""));

    // full checkpoints: one on LevelDB (the next are incremental), `repeats` on the heap
    const full = [];
    for (let i = 0; i < (backend === "heap" ? o.repeats : 1); i++) full.push(await timedCheckpoint(client, ckptDir));
    const f = full[full.length >> 1];
    const fullMs = median(full.map((x) => x.ms));
    // bytes on disk: after the first checkpoint, when it is the only one in the directory
    log(`# full checkpoint: ${full.map((x) => `${x.ms.toFixed(0)} ms`).join("/")}, size ${fmtMB(f.stored.size)}, written ${fmtMB(f.stored.bytesWritten)}, ` +
      `checkpoint directory ${fmtMB(full[0].diskBytes)} (du); longest event-loop block ${full.map((x) => x.pauseMs.toFixed(0)).join("/")} ms`);
    results.push({
      bench: "checkpoint-full",
      backend,
      keys,
      checkpointMs: round(fullMs, 0),
      size: f.stored.size,
      bytesWritten: f.stored.bytesWritten,
      diskBytes: full[0].diskBytes,
      maxBlockMs: round(median(full.map((x) => x.pauseMs)), 0),
      runsMs: full.map((x) => Math.round(x.ms)).join("/"),
    });

    for (const [spread, changed] of [["uniform", uniform], ["4-key-groups", hot]] as const) {
      const runs = [];
      // on the heap every checkpoint is full, and takes as long as the first: one run of each
      for (let r = 0; r < (backend === "heap" ? 1 : o.repeats); r++) {
        await feed(source, sink, changed, 1);
        for (const k of changed) expected.set(k, (expected.get(k) ?? 1) + 1);
        runs.push(await timedCheckpoint(client, ckptDir));
      }
      const m = runs[runs.length >> 1];
      const kgs = new Set(changed.map((k) => keyGroupFor(k, KEY_GROUPS))).size;
      log(`# incremental, ${fmtInt(changed.length)} keys changed (${spread}, ${kgs} of ${KEY_GROUPS} key groups): ${runs.map((x) => `${x.ms.toFixed(0)} ms`).join("/")}, ` +
        `written ${runs.map((x) => fmtMB(x.stored.bytesWritten)).join("/")} of ${fmtMB(m.stored.size)}, checkpoint directory then ${fmtMB(runs[0].diskBytes)} (du, ` +
        `2 checkpoints retained); longest event-loop block ${runs.map((x) => x.pauseMs.toFixed(0)).join("/")} ms`);
      results.push({
        bench: "checkpoint-incremental",
        backend,
        keys,
        changedKeys: changed.length,
        spread,
        keyGroupsChanged: kgs,
        checkpointMs: round(median(runs.map((x) => x.ms)), 0),
        bytesWritten: Math.round(median(runs.map((x) => x.stored.bytesWritten))),
        size: m.stored.size,
        diskBytes: runs[0].diskBytes,
        writtenVsFull: round(median(runs.map((x) => x.stored.bytesWritten)) / f.stored.bytesWritten, 3),
        maxBlockMs: round(median(runs.map((x) => x.pauseMs)), 0),
        runsMs: runs.map((x) => Math.round(x.ms)).join("/"),
      });
    }
    const last = client.getCheckpoints().at(-1)!;
    await client.cancel();

    // restore: a new job from the last checkpoint
    const probes = Array.from({ length: Math.min(PROBES, keys) }, (_, i) => Math.floor((i * keys) / Math.min(PROBES, keys)));
    for (const k of uniform.slice(0, 50)) probes.push(k);
    for (const k of hot.slice(0, 50)) probes.push(k);
    const restores: number[] = [];
    let wrong = 0;
    for (let r = 0; r < o.repeats; r++) {
      const src = new InMemorySource<KeyCount>();
      const out = new CountingSink();
      const renv = new StreamExecutionEnvironment()
        .setStateBackend(state())
        .enableCheckpointing(0, { directory: fresh("ckpt-restored") })
        .restoreFrom(last.location);
      buildJob(renv, src, out);
      fullGc();
      const t = performance.now();
      const restored = await renv.executeAsync("state size restored");
      restores.push(performance.now() - t);
      out.watch = new Map(probes.map((k) => [k, -1]));
      await feed(src, out, probes, 0);
      for (const [k, v] of out.watch) if (v !== (expected.get(k) ?? 1)) wrong++;
      await restored.cancel();
    }
    log(`# restore from ${last.location.split("/").at(-1)} (${fmtMB(last.size)}): executeAsync ${restores.map((x) => `${x.toFixed(0)} ms`).join("/")}; ` +
      `check: ${fmtInt(probes.length)} keys probed after each restore, ${wrong === 0 ? "every sum as before" : `${wrong} WRONG`}`);
    if (wrong > 0) throw new Error(`state-size (${backend}): ${wrong} probed keys had wrong sums after a restore`);
    results.push({
      bench: "checkpoint-restore",
      backend,
      keys,
      restoreMs: round(median(restores), 0),
      size: last.size,
      probedKeys: probes.length,
      runsMs: restores.map((x) => Math.round(x)).join("/"),
    });
    return results;
  } finally {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
}
