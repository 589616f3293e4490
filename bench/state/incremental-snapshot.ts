/**
 * What an incremental snapshot saves on the LevelDB backend: 1M keys of ValueState<number>
 * (maxParallelism 128, about 7,800 keys per key group), then
 *
 *   full              a full snapshot (the base)
 *   incremental-4kg   after updating 1% of the keys (10,000), all in 4 key groups: an incremental
 *                     snapshot, which scans only those 4 key groups
 *   incremental-1pct-uniform
 *                     after updating 1% of the keys spread over all key groups: the worst case,
 *                     every key group changed, so as much as a full snapshot
 *
 * One JSON line per case: {"bench":"leveldb-snapshot","case":...,"ms":...,"entries":...} where
 * `entries` is the number of entries in the snapshot's `keyGroups` and `ms` the median time of
 * the `snapshot()` call alone over `RUNS` runs (each listed in `runsMs`; the updates are flushed,
 * and the heap collected, before each call; each incremental run updates the same keys again).
 * Run with `npx tsx bench/state/incremental-snapshot.ts` (about 40 s on 2 cores).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { keyGroupFor, levelDbBackend, ValueStateDescriptor, type KeyedStateBackend, type KeyedStateSnapshot } from "../../src/state/index.js";

const KEYS = 1_000_000;
const MAX_PARALLELISM = 128;
const UPDATES = KEYS / 100;
/** The key groups the concentrated updates go to. */
const HOT_GROUPS = new Set([10, 11, 50, 90]);
const YIELD_EVERY = 10_000;
const RUNS = 3;

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

const count = new ValueStateDescriptor<number>("count");

function entries(s: KeyedStateSnapshot): number {
  let n = 0;
  for (const es of Object.values(s.keyGroups)) n += es.length;
  return n;
}

/** Writes `value` for each key, yielding to the event loop as the runtime does between batches, then flushes. */
async function write(b: KeyedStateBackend, keys: Iterable<number>, value: (k: number) => number): Promise<void> {
  const state = b.getPartitionedState(count);
  let n = 0;
  for (const k of keys) {
    b.setCurrentKey(k);
    state.update(value(k));
    if (++n % YIELD_EVERY === 0) await new Promise(setImmediate);
  }
  await b.flush();
}

/** Runs `prepare` then times `take`, `RUNS` times; prints the median. */
async function measure(name: string, prepare: (run: number) => Promise<void>, take: () => Promise<KeyedStateSnapshot>): Promise<void> {
  const times: number[] = [];
  let last: { entries: number; keyGroups: number; unchanged: number } | undefined;
  for (let run = 0; run < RUNS; run++) {
    await prepare(run);
    gc();
    const t0 = performance.now();
    const s = await take();
    times.push(Math.round(performance.now() - t0));
    last = { entries: entries(s), keyGroups: Object.keys(s.keyGroups).length, unchanged: s.unchanged?.length ?? 0 };
  }
  const ms = [...times].sort((a, b) => a - b)[RUNS >> 1];
  console.log(JSON.stringify({ bench: "leveldb-snapshot", case: name, ms, entries: last!.entries, keyGroups: last!.keyGroups, unchanged: last!.unchanged, runsMs: times }));
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "vigil-bench-incremental-"));
  try {
    const b = await levelDbBackend({ directory: dir }).create({
      maxParallelism: MAX_PARALLELISM,
      keyGroupRange: { start: 0, end: MAX_PARALLELISM - 1 },
      operatorId: "bench",
      subtaskIndex: 0,
    });
    const t0 = performance.now();
    await write(b, Array.from({ length: KEYS }, (_, i) => i), (k) => k);
    console.error(`loaded ${KEYS} keys in ${Math.round(performance.now() - t0)} ms`);

    const none = async () => {};
    await measure("full", none, () => b.snapshot());

    const hot: number[] = [];
    for (let k = 0; k < KEYS && hot.length < UPDATES; k++) if (HOT_GROUPS.has(keyGroupFor(k, MAX_PARALLELISM))) hot.push(k);
    const incremental = () => b.snapshot(undefined, { incremental: true });
    await measure("incremental-4kg", (run) => write(b, hot, (k) => -k - run), incremental);

    const spread = Array.from({ length: UPDATES }, (_, i) => i * 100 + 1);
    await measure("incremental-1pct-uniform", (run) => write(b, spread, (k) => k + run + 1), incremental);

    await b.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
