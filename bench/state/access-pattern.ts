/**
 * `npm run bench:state`: what keyed state costs on each backend, and the measurements behind the
 * LevelDB backend's access pattern (a write-back cache of deserialised values in front of
 * `getSync`, whole values per row). Every case runs the same workload on the heap backend (the
 * baseline) and on LevelDB, and prints one JSON line:
 *
 *   {"bench":"state-leveldb-value","opsPerSec":...,"baseline":"heap","baselineOpsPerSec":...,"ratio":...}
 *
 * `opsPerSec` counts state calls (`value`, `update`, `add`, `get`, `put`), not `setCurrentKey`;
 * the timed part ends with `flush()`. `ratio` = heap ops/s over LevelDB ops/s (how many times
 * slower). Median of `--runs` (5) timed runs per side, heap and LevelDB alternating, after one
 * warm-up run; the stores are loaded with every key first (untimed). Options: `--runs N`,
 * `--case a,b` (names without `state-leveldb-`; `snapshot` for the snapshot case).
 */
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { deserialize, serialize } from "node:v8";
import { ClassicLevel } from "classic-level";
import {
  BATCH,
  jsonSerializer,
  listAdd,
  mapRmw,
  openBackend,
  uniform,
  valueRmw,
  windowRmw,
  zipf,
  type Acc,
  type BackendSpec,
} from "./workloads.js";
import type { KeyedStateBackend } from "../../src/state/index.js";

interface Case {
  readonly name: string;
  readonly what: string;
  readonly keys: number;
  readonly records: number;
  /** State calls per record. */
  readonly opsPerRecord: number;
  readonly leveldb: BackendSpec;
  readonly picks: (seed: number) => Uint32Array;
  readonly run: (b: KeyedStateBackend, keys: readonly string[], picks: Uint32Array) => Promise<number>;
}

const COLD_CACHE = { cacheEntries: 10_000 };
const HOT = 10_000;
const COLD = 100_000;
/** The alternative access pattern: (almost) no object cache, reads through to LevelDB. */
const READ_THROUGH = { cacheEntries: 64, flushThreshold: 32 };

const CASES: Case[] = [
  { name: "value", what: "ValueState read-modify-write, 10k keys, uniform (working set fits the cache)", keys: HOT, records: 300_000, opsPerRecord: 2, leveldb: { kind: "leveldb" }, picks: (s) => uniform(HOT, 300_000, s), run: (b, k, p) => valueRmw(b, k, p) },
  { name: "value-zipf", what: "ValueState rmw, 100k keys, Zipf 1.1, cache 10k entries", keys: COLD, records: 100_000, opsPerRecord: 2, leveldb: { kind: "leveldb", cache: COLD_CACHE }, picks: (s) => zipf(COLD, 100_000, 1.1, s), run: (b, k, p) => valueRmw(b, k, p) },
  { name: "value-zipf-readthrough", what: "as value-zipf with no object cache to speak of (64 entries, flush every 32)", keys: COLD, records: 40_000, opsPerRecord: 2, leveldb: { kind: "leveldb", cache: READ_THROUGH }, picks: (s) => zipf(COLD, 40_000, 1.1, s), run: (b, k, p) => valueRmw(b, k, p) },
  { name: "value-cold", what: "ValueState rmw, 100k keys, uniform, cache 10k entries (90% misses)", keys: COLD, records: 50_000, opsPerRecord: 2, leveldb: { kind: "leveldb", cache: COLD_CACHE }, picks: (s) => uniform(COLD, 50_000, s), run: (b, k, p) => valueRmw(b, k, p) },
  { name: "value-cold-readthrough", what: "as value-cold with no object cache to speak of: every access a getSync and a deserialisation", keys: COLD, records: 40_000, opsPerRecord: 2, leveldb: { kind: "leveldb", cache: READ_THROUGH }, picks: (s) => uniform(COLD, 40_000, s), run: (b, k, p) => valueRmw(b, k, p) },
  { name: "value-cold-json", what: "as value-cold, with a JSON serializer instead of v8 (both sides)", keys: COLD, records: 50_000, opsPerRecord: 2, leveldb: { kind: "leveldb", cache: COLD_CACHE }, picks: (s) => uniform(COLD, 50_000, s), run: (b, k, p) => valueRmw(b, k, p, jsonSerializer) },
  { name: "window", what: "ValueState rmw in tumbling-window namespaces (a new window every 20k records), 10k keys", keys: HOT, records: 200_000, opsPerRecord: 2, leveldb: { kind: "leveldb" }, picks: (s) => uniform(HOT, 200_000, s), run: (b, k, p) => windowRmw(b, k, p, 20_000) },
  { name: "list", what: "ListState add (+ get every 10th record), 10k keys, lists of 20-80 elements", keys: HOT, records: 200_000, opsPerRecord: 1.1, leveldb: { kind: "leveldb" }, picks: (s) => uniform(HOT, 200_000, s), run: (b, k, p) => listAdd(b, k, p) },
  { name: "map", what: "MapState get+put of one of 16 user keys, 10k keys", keys: HOT, records: 200_000, opsPerRecord: 2, leveldb: { kind: "leveldb" }, picks: (s) => uniform(HOT, 200_000, s), run: (b, k, p) => mapRmw(b, k, p) },
];

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  console.log(`# vigil bench:state  node ${process.version}  ${cpus().length} cpu(s)  ${cpus()[0]?.model ?? "?"}  batches of ${BATCH} records`);
  await microCosts();
  for (const c of CASES.filter((c) => args.cases === undefined || args.cases.includes(c.name))) {
    const keys = Array.from({ length: c.keys }, (_, i) => `card-${i}`);
    const { heap, leveldb: level } = await measure(c, keys, args.runs);
    console.log(`# ${c.name}: ${c.what}; heap runs ${fmt(heap.runs)} ms, leveldb runs ${fmt(level.runs)} ms`);
    if (c.name === "value") console.log(JSON.stringify({ bench: "state-heap-value", opsPerSec: heap.opsPerSec }));
    console.log(JSON.stringify({ bench: `state-leveldb-${c.name}`, opsPerSec: level.opsPerSec, baseline: "heap", baselineOpsPerSec: heap.opsPerSec, ratio: round(heap.opsPerSec / level.opsPerSec, 2) }));
  }
  if (args.cases === undefined || args.cases.includes("snapshot")) await snapshotCase();
}

/**
 * Runs a case on the heap and on LevelDB, alternating the timed runs (heap, LevelDB, heap, ...)
 * so that both sides see the same machine load. Returns ops/s and run times per side.
 */
async function measure(c: Case, keys: readonly string[], runs: number): Promise<Record<"heap" | "leveldb", { opsPerSec: number; runs: number[] }>> {
  const sides = [await openBackend({ kind: "heap" }), await openBackend(c.leveldb)];
  try {
    for (const { backend } of sides) {
      await c.run(backend, keys, Uint32Array.from(keys, (_, i) => i)); // every key once
      await backend.flush();
      await c.run(backend, keys, c.picks(999)); // warm-up
      await backend.flush();
    }
    const ms: number[][] = [[], []];
    for (let r = 0; r < runs; r++) {
      const picks = c.picks(r + 1);
      for (let s = 0; s < 2; s++) {
        const t0 = performance.now();
        await c.run(sides[s].backend, keys, picks);
        await sides[s].backend.flush();
        ms[s].push(performance.now() - t0);
      }
    }
    const result = (m: number[]) => ({ opsPerSec: Math.round((c.records * c.opsPerRecord) / (median(m) / 1000)), runs: m });
    return { heap: result(ms[0]), leveldb: result(ms[1]) };
  } finally {
    for (const side of sides) await side.dispose();
  }
}

/** Snapshot throughput (entries per second) of 100k value entries; then restore into a fresh backend. */
async function snapshotCase(): Promise<void> {
  const rates: Record<string, number[]> = {};
  for (const spec of [{ kind: "heap" }, { kind: "leveldb" }] as BackendSpec[]) {
    const { backend, dispose } = await openBackend(spec);
    const target = await openBackend(spec);
    try {
      const keys = Array.from({ length: COLD }, (_, i) => `card-${i}`);
      await valueRmw(backend, keys, Uint32Array.from(keys, (_, i) => i));
      await backend.flush();
      let t0 = performance.now();
      const snap = await backend.snapshot();
      const snapMs = performance.now() - t0;
      t0 = performance.now();
      await target.backend.restore([snap]);
      const restoreMs = performance.now() - t0;
      rates[spec.kind] = [Math.round(COLD / (snapMs / 1000)), Math.round(COLD / (restoreMs / 1000))];
    } finally {
      await dispose();
      await target.dispose();
    }
  }
  const [[hs, hr], [ls, lr]] = [rates.heap, rates.leveldb];
  console.log(`# snapshot/restore of ${COLD} ValueState entries: heap ${hs}/${hr} entries/s, leveldb ${ls}/${lr} entries/s`);
  console.log(JSON.stringify({ bench: "state-leveldb-snapshot", opsPerSec: ls, baseline: "heap", baselineOpsPerSec: hs, ratio: round(hs / ls, 2) }));
  console.log(JSON.stringify({ bench: "state-leveldb-restore", opsPerSec: lr, baseline: "heap", baselineOpsPerSec: hr, ratio: round(hr / lr, 2) }));
}

/** The unit costs the access pattern trades between: a LevelDB point read, and (de)serialising a value. */
async function microCosts(): Promise<void> {
  const acc: Acc = { count: 17, sum: 123456, last: "x" };
  const n = 200_000;
  const time = (f: () => unknown) => {
    for (let i = 0; i < 10_000; i++) f();
    const t0 = performance.now();
    for (let i = 0; i < n; i++) f();
    return round(((performance.now() - t0) * 1000) / n, 2);
  };
  const v8Bytes = serialize(acc);
  const jsonBytes = jsonSerializer.serialize(acc);
  const costs = {
    v8SerializeUs: time(() => serialize(acc)),
    v8DeserializeUs: time(() => deserialize(v8Bytes)),
    jsonSerializeUs: time(() => jsonSerializer.serialize(acc)),
    jsonDeserializeUs: time(() => jsonSerializer.deserialize(jsonBytes)),
  };
  const dir = join(tmpdir(), `vigil-bench-raw-${process.pid}`);
  const db = new ClassicLevel<Uint8Array, Uint8Array>(dir, { keyEncoding: "view", valueEncoding: "view" });
  await db.open();
  try {
    const key = (i: number) => Buffer.from(`\x00\x05\x00\x00\x0b\x01card-${i}`);
    for (let i = 0; i < COLD; i += 5000) {
      await db.batch(Array.from({ length: 5000 }, (_, j) => ({ type: "put" as const, key: key(i + j), value: v8Bytes })));
    }
    const keys = Array.from({ length: COLD }, (_, i) => key(i));
    const picks = uniform(COLD, n, 7);
    let i = 0;
    const hit = time(() => db.getSync(keys[picks[i++ % n]]));
    const absent = Buffer.from("\x00\x05\x00\x00\x0b\x01zzzz");
    const miss = time(() => db.getSync(absent));
    console.log(`# unit costs (µs): getSync hit ${hit} and miss ${miss} on ${COLD} rows; ${JSON.stringify(costs)}`);
  } finally {
    await db.close();
    await ClassicLevel.destroy(dir);
  }
}

function parseArgs(argv: string[]): { runs: number; cases?: string[] } {
  let runs = 5;
  let cases: string[] | undefined;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--runs") runs = Number(argv[++i]);
    else if (argv[i] === "--case") cases = argv[++i].split(",");
    else throw new Error(`unknown option ${argv[i]} (options: --runs N, --case a,b)`);
  }
  if (!Number.isInteger(runs) || runs < 1) throw new Error("--runs must be a positive integer");
  return { runs, cases };
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

function fmt(ms: readonly number[]): string {
  return ms.map((m) => m.toFixed(0)).join("/");
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
