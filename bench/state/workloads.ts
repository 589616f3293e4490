/**
 * Workloads of `bench:state`: each runs state operations in batches of `BATCH` records, yielding to
 * the event loop between batches as the runtime does (so LevelDB flushes can complete), and
 * returns the wall time of the timed part.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  heapBackend,
  levelDbBackend,
  ListStateDescriptor,
  MapStateDescriptor,
  ValueStateDescriptor,
  type KeyedStateBackend,
  type LevelDbCacheOptions,
  type TypeSerializer,
} from "../../src/state/index.js";

export const BATCH = 1000;

/** What a backend under test is: the heap, or LevelDB with a cache configuration. */
export type BackendSpec = { kind: "heap" } | { kind: "leveldb"; cache?: LevelDbCacheOptions };

/** The accumulator most window and CEP state looks like: a small object rewritten per record. */
export interface Acc {
  count: number;
  sum: number;
  last: string;
}

/** A plain-JSON serializer, to compare with the default (v8). */
export const jsonSerializer: TypeSerializer<any> = {
  serialize: (v) => Buffer.from(JSON.stringify(v)),
  deserialize: (b) => JSON.parse(Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("utf8")),
};

/** A backend owning all 128 key groups, and a function that closes it and removes its directory. */
export async function openBackend(spec: BackendSpec): Promise<{ backend: KeyedStateBackend; dispose: () => Promise<void> }> {
  const options = { maxParallelism: 128, keyGroupRange: { start: 0, end: 127 }, operatorId: "bench", subtaskIndex: 0 };
  if (spec.kind === "heap") {
    const backend = await heapBackend().create(options);
    return { backend, dispose: () => backend.close() };
  }
  const dir = await mkdtemp(join(tmpdir(), "vigil-bench-state-"));
  const backend = await levelDbBackend({ directory: dir, ...spec.cache }).create(options);
  return {
    backend,
    dispose: async () => {
      await backend.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** sfc32: a small seeded generator of 32-bit integers. */
export function rng(seed: number): () => number {
  let a = 0x9e3779b9;
  let b = 0x243f6a88;
  let c = 0xb7e15162;
  let d = seed >>> 0;
  return () => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return t >>> 0;
  };
}

/** `n` key indexes drawn uniformly from [0, keys). */
export function uniform(keys: number, n: number, seed: number): Uint32Array {
  const next = rng(seed);
  const out = new Uint32Array(n);
  for (let i = 0; i < n; i++) out[i] = next() % keys;
  return out;
}

/** `n` key indexes from a Zipf distribution with exponent `s` over [0, keys) (a few hot keys, a long tail). */
export function zipf(keys: number, n: number, s: number, seed: number): Uint32Array {
  const cdf = new Float64Array(keys);
  let total = 0;
  for (let i = 0; i < keys; i++) cdf[i] = total += 1 / Math.pow(i + 1, s);
  const next = rng(seed);
  const out = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    const u = (next() / 2 ** 32) * total;
    let lo = 0;
    let hi = keys - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cdf[mid] < u) lo = mid + 1;
      else hi = mid;
    }
    out[i] = (lo * 2654435761) % keys; // hot keys spread over the key space
  }
  return out;
}

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Per record: `value()` then `update()` of an `Acc` (a read-modify-write, two state operations). */
export async function valueRmw(b: KeyedStateBackend, keys: readonly string[], picks: Uint32Array, serializer?: TypeSerializer<Acc>): Promise<number> {
  const st = b.getPartitionedState(new ValueStateDescriptor<Acc>("acc", { serializer }));
  const t0 = performance.now();
  for (let i = 0; i < picks.length; i += BATCH) {
    const end = Math.min(i + BATCH, picks.length);
    for (let j = i; j < end; j++) {
      b.setCurrentKey(keys[picks[j]]);
      const a = st.value();
      st.update(a === undefined ? { count: 1, sum: j, last: "x" } : { count: a.count + 1, sum: a.sum + j, last: a.last });
    }
    await tick();
  }
  return performance.now() - t0;
}

/** Per record: a `value()`/`update()` in the record's window namespace (tumbling windows of `windowLen` records). */
export async function windowRmw(b: KeyedStateBackend, keys: readonly string[], picks: Uint32Array, windowLen: number): Promise<number> {
  const st = b.getPartitionedState(new ValueStateDescriptor<number>("window-count"));
  const t0 = performance.now();
  for (let i = 0; i < picks.length; i += BATCH) {
    const end = Math.min(i + BATCH, picks.length);
    for (let j = i; j < end; j++) {
      b.setCurrentKey(keys[picks[j]]);
      st.setCurrentNamespace(`w${Math.floor(j / windowLen)}`);
      st.update((st.value() ?? 0) + 1);
    }
    await tick();
  }
  return performance.now() - t0;
}

/** Per record: `add()` to the key's list, and every 10th record a `get()` (CEP's buffered events). */
export async function listAdd(b: KeyedStateBackend, keys: readonly string[], picks: Uint32Array): Promise<number> {
  const st = b.getPartitionedState(new ListStateDescriptor<{ id: number; amount: number }>("events"));
  const t0 = performance.now();
  let n = 0;
  for (let i = 0; i < picks.length; i += BATCH) {
    const end = Math.min(i + BATCH, picks.length);
    for (let j = i; j < end; j++) {
      b.setCurrentKey(keys[picks[j]]);
      st.add({ id: j, amount: j % 500 });
      if (j % 10 === 0) n += st.get().length;
    }
    await tick();
  }
  if (n < 0) throw new Error("unreachable");
  return performance.now() - t0;
}

/** Per record: `get()` then `put()` of one of 16 user keys in the key's map. */
export async function mapRmw(b: KeyedStateBackend, keys: readonly string[], picks: Uint32Array): Promise<number> {
  const st = b.getPartitionedState(new MapStateDescriptor<string, number>("by-merchant"));
  const t0 = performance.now();
  for (let i = 0; i < picks.length; i += BATCH) {
    const end = Math.min(i + BATCH, picks.length);
    for (let j = i; j < end; j++) {
      b.setCurrentKey(keys[picks[j]]);
      const m = `m${j & 15}`;
      st.put(m, (st.get(m) ?? 0) + 1);
    }
    await tick();
  }
  return performance.now() - t0;
}
