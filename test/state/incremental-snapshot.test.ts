import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import {
  keyGroupFor,
  ListStateDescriptor,
  MapStateDescriptor,
  ReducingStateDescriptor,
  StateError,
  StateTtlConfig,
  ValueStateDescriptor,
  type KeyedStateBackend,
  type KeyedStateSnapshot,
  type KeyGroupRange,
  type LevelDbCacheOptions,
} from "../../src/state/index.js";
import { cleanupDirs, createBackend, HEAP, KINDS, LEVELDB, ManualClock, sortKeys } from "./backends.js";

afterAll(cleanupDirs);

type Entry = [string, Uint8Array, string, Uint8Array];
type KeyGroups = Record<number, Entry[]>;

const ALL: KeyGroupRange = { start: 0, end: 127 };
const LOW: KeyGroupRange = { start: 0, end: 63 };
/** 40 keys: about 35 of the 128 key groups, so a few writes leave most of them unchanged. */
const KEYS = Array.from({ length: 40 }, (_, i) => i);
const NAMESPACES = ["", "w1", "w2"];

const descriptors = {
  value: new ValueStateDescriptor<number>("value"),
  list: new ListStateDescriptor<number>("list"),
  map: new MapStateDescriptor<string, number>("map"),
  sum: new ReducingStateDescriptor<number>("sum", (a, b) => a + b),
  // expiring list elements, removed by the background cleanup too (LevelDB: `adoptPurged`)
  ttl: new ListStateDescriptor<number>("ttl", { ttl: StateTtlConfig.newBuilder(3).cleanupInBackground().build() }),
};

function handles(b: KeyedStateBackend) {
  return {
    value: b.getPartitionedState(descriptors.value),
    list: b.getPartitionedState(descriptors.list),
    map: b.getPartitionedState(descriptors.map),
    sum: b.getPartitionedState(descriptors.sum),
    ttl: b.getPartitionedState(descriptors.ttl),
  };
}

/** Every (key, namespace)'s state, read through the handles (and the key sets and size). */
function readAll(b: KeyedStateBackend): unknown {
  const h = handles(b);
  const reads = KEYS.map((key) => {
    b.setCurrentKey(key);
    return NAMESPACES.map((ns) => {
      for (const s of Object.values(h)) s.setCurrentNamespace(ns);
      return [h.value.value(), h.list.get(), h.map.entries().sort(), h.sum.get(), h.ttl.get()];
    });
  });
  for (const s of Object.values(h)) s.setCurrentNamespace("");
  return { reads, keys: Object.keys(descriptors).map((n) => sortKeys(b.getKeys(n))), size: b.size() };
}

/** Key group -> sorted printable entries, without empty key groups: compares entries as sets. */
function canonical(keyGroups: KeyGroups): Record<string, string[]> {
  const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
  return Object.fromEntries(
    Object.entries(keyGroups)
      .filter(([, es]) => es.length > 0)
      .map(([kg, es]) => [kg, es.map(([n, k, ns, v]) => `${n}|${hex(k)}|${ns}|${hex(v)}`).sort()]),
  );
}

function inRange(kg: number, r: KeyGroupRange): boolean {
  return kg >= r.start && kg <= r.end;
}

/**
 * What the checkpoint storage does: an incremental snapshot's changed key groups replace the
 * previous resolved snapshot's, its unchanged ones are kept. Checks that an incremental snapshot
 * partitions its range between `unchanged` and `keyGroups`.
 */
function resolve(snap: KeyedStateSnapshot, range: KeyGroupRange, previous: KeyGroups | undefined): KeyGroups {
  const out: KeyGroups = {};
  for (const kg of Object.keys(snap.keyGroups).map(Number)) expect(inRange(kg, range)).toBe(true);
  if (snap.unchanged === undefined) {
    for (const [kg, es] of Object.entries(snap.keyGroups)) if (es.length > 0) out[Number(kg)] = es;
    return out;
  }
  expect(previous).toBeDefined();
  const listed = [...snap.unchanged, ...Object.keys(snap.keyGroups).map(Number)].sort((a, b) => a - b);
  expect(listed).toEqual(Array.from({ length: range.end - range.start + 1 }, (_, i) => range.start + i));
  for (const kg of snap.unchanged) if (previous![kg] !== undefined) out[kg] = previous![kg];
  for (const [kg, es] of Object.entries(snap.keyGroups)) if (es.length > 0) out[Number(kg)] = es;
  return out;
}

function asSnapshot(keyGroups: KeyGroups): KeyedStateSnapshot {
  return { version: 1, maxParallelism: 128, keyGroups };
}

type Op =
  | { op: "key"; key: number }
  | { op: "ns"; ns: string }
  | { op: "value.update" | "list.add" | "sum.add" | "ttl.add"; v: number }
  | { op: "list.update"; vs: number[] }
  | { op: "map.put"; k: string; v: number }
  | { op: "map.remove"; k: string }
  | { op: "value.clear" | "list.clear" | "map.clear" | "sum.clear" | "ttl.clear" | "flush" | "yield" | "cleanup" | "restore" }
  | { op: "merge"; state: "list" | "sum"; target: string; sources: string[] }
  | { op: "tick"; ms: number }
  | { op: "snapshot"; incremental: boolean; check: boolean; low: boolean; after: Array<{ key: number; v: number }>; flushAfter: boolean };

const small = fc.integer({ min: -3, max: 9 });
const key = fc.integer({ min: 0, max: KEYS.length - 1 });
const mapKey = fc.constantFrom("p", "q", "r");

const op: fc.Arbitrary<Op> = fc.oneof(
  { arbitrary: fc.record({ op: fc.constant("key" as const), key }), weight: 6 },
  { arbitrary: fc.record({ op: fc.constant("ns" as const), ns: fc.constantFrom(...NAMESPACES) }), weight: 2 },
  { arbitrary: fc.record({ op: fc.constantFrom("value.update" as const, "list.add" as const, "sum.add" as const, "ttl.add" as const), v: small }), weight: 6 },
  fc.record({ op: fc.constant("list.update" as const), vs: fc.array(small, { maxLength: 3 }) }),
  { arbitrary: fc.record({ op: fc.constant("map.put" as const), k: mapKey, v: small }), weight: 2 },
  fc.record({ op: fc.constant("map.remove" as const), k: mapKey }),
  { arbitrary: fc.constantFrom<Op>({ op: "value.clear" }, { op: "list.clear" }, { op: "map.clear" }, { op: "sum.clear" }, { op: "ttl.clear" }), weight: 3 },
  fc.record({
    op: fc.constant("merge" as const),
    state: fc.constantFrom("list" as const, "sum" as const),
    target: fc.constantFrom(...NAMESPACES),
    sources: fc.shuffledSubarray(NAMESPACES, { minLength: 1 }),
  }),
  { arbitrary: fc.constantFrom<Op>({ op: "flush" }, { op: "yield" }, { op: "cleanup" }), weight: 2 },
  fc.record({ op: fc.constant("tick" as const), ms: fc.integer({ min: 1, max: 3 }) }),
  fc.constant<Op>({ op: "restore" }),
  {
    arbitrary: fc.record({
      op: fc.constant("snapshot" as const),
      incremental: fc.integer({ min: 0, max: 4 }).map((n) => n > 0),
      check: fc.boolean(),
      low: fc.integer({ min: 0, max: 5 }).map((n) => n === 0),
      // writes made after snapshot() is called, before it resolves: they belong to the next one
      after: fc.array(fc.record({ key, v: small }), { maxLength: 3 }),
      // and flushed (serialised) before the snapshot's scan starts
      flushAfter: fc.boolean(),
    }),
    weight: 4,
  },
);

describe("incremental snapshots of the LevelDB backend", () => {
  it("resolved against the previous one, each equals a full snapshot taken at the same moment, and restores the same state into either backend", async () => {
    let incrementals = 0;
    let skipped = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(op, { minLength: 20, maxLength: 70 }),
        fc.constantFrom<LevelDbCacheOptions>({ cacheEntries: 6, flushThreshold: 3 }, { cacheEntries: 1000 }),
        async (ops, cache) => {
          const clock = new ManualClock();
          const b = await createBackend(LEVELDB, { clock: clock.fn, cache });
          const h = handles(b);
          /** The previous snapshot() call: its range and its content, resolved. */
          let previous: { range: KeyGroupRange; keyGroups: KeyGroups } | undefined = undefined;
          b.setCurrentKey(0);
          try {
            // a final checked snapshot, so every sequence ends with a comparison
            for (const o of [...ops, { op: "snapshot", incremental: true, check: true, low: false, after: [], flushAfter: false } as Op]) {
              switch (o.op) {
                case "key": b.setCurrentKey(o.key); break;
                case "ns": for (const s of Object.values(h)) s.setCurrentNamespace(o.ns); break;
                case "value.update": h.value.update(o.v); break;
                case "value.clear": h.value.clear(); break;
                case "list.add": h.list.add(o.v); break;
                case "list.update": h.list.update(o.vs); break;
                case "list.clear": h.list.clear(); break;
                case "map.put": h.map.put(o.k, o.v); break;
                case "map.remove": h.map.remove(o.k); break;
                case "map.clear": h.map.clear(); break;
                case "sum.add": h.sum.add(o.v); break;
                case "sum.clear": h.sum.clear(); break;
                case "ttl.add": h.ttl.add(o.v); break;
                case "ttl.clear": h.ttl.clear(); break;
                case "merge": h[o.state].mergeNamespaces(o.target, o.sources); break;
                case "tick": clock.advance(o.ms); break;
                case "flush": await b.flush(); break;
                case "yield": await new Promise(setImmediate); break;
                case "cleanup": await b.cleanupExpired!(); break;
                case "restore": {
                  await b.restore([await b.snapshot()]);
                  previous = undefined;
                  break;
                }
                case "snapshot": {
                  const range = o.low ? LOW : ALL;
                  const current = b.getCurrentKey();
                  // the state as the handles see it at this moment (reads may purge expired
                  // elements: that is a write, made before the snapshots)
                  const seen = o.check ? readAll(b) : undefined;
                  b.setCurrentKey(current);
                  const pending = b.snapshot(o.low ? LOW : undefined, { incremental: o.incremental });
                  const pendingFull = o.check ? b.snapshot(o.low ? LOW : undefined) : undefined;
                  for (const w of o.after) {
                    b.setCurrentKey(w.key);
                    h.value.update(1000 + w.v);
                  }
                  b.setCurrentKey(current);
                  const flushed = o.flushAfter ? b.flush() : undefined;
                  const snap = await pending;
                  await flushed;
                  const expectIncremental = o.incremental && previous !== undefined && previous.range.start === range.start && previous.range.end === range.end;
                  expect(snap.unchanged !== undefined).toBe(expectIncremental);
                  if (expectIncremental) incrementals++;
                  skipped += snap.unchanged?.length ?? 0;
                  const resolved = resolve(snap, range, previous?.keyGroups);
                  if (pendingFull !== undefined) {
                    const full = await pendingFull;
                    expect(full.unchanged).toBeUndefined();
                    expect(canonical(resolved)).toEqual(canonical(full.keyGroups));
                    for (const kind of KINDS) {
                      const r = await createBackend(kind, { clock: clock.fn, range });
                      try {
                        await r.restore([asSnapshot(resolved)]);
                        if (range === ALL) expect(readAll(r)).toEqual(seen);
                        else expect(canonical((await r.snapshot()).keyGroups)).toEqual(canonical(full.keyGroups));
                      } finally {
                        await r.close();
                      }
                    }
                  }
                  previous = { range, keyGroups: resolved };
                  break;
                }
              }
            }
          } finally {
            await b.close();
          }
        },
      ),
      { numRuns: 150 },
    );
    // the property must have exercised incremental snapshots that left key groups out
    expect(incrementals).toBeGreaterThan(50);
    expect(skipped).toBeGreaterThan(1000);
  });

  /** Keys whose key group is `kg` (of 128). */
  function keysIn(kg: number, n: number): number[] {
    const out: number[] = [];
    for (let k = 0; out.length < n; k++) if (keyGroupFor(k, 128) === kg) out.push(k);
    return out;
  }

  async function filled(): Promise<KeyedStateBackend> {
    const b = await createBackend(LEVELDB, { cache: { cacheEntries: 64, flushThreshold: 16 } });
    const v = b.getPartitionedState(descriptors.value);
    for (let k = 0; k < 2000; k++) {
      b.setCurrentKey(k);
      v.update(k);
    }
    return b;
  }

  it("writes concentrated in one key group give a snapshot holding only that key group", async () => {
    const b = await filled();
    const first = await b.snapshot(undefined, { incremental: true });
    expect(first.unchanged).toBeUndefined(); // no previous snapshot: full
    expect(Object.keys(first.keyGroups).length).toBe(128);
    const v = b.getPartitionedState(descriptors.value);
    const m = b.getPartitionedState(descriptors.map);
    const hot = keysIn(77, 5);
    for (let round = 0; round < 50; round++) {
      for (const k of hot) {
        b.setCurrentKey(k);
        v.update(-round);
        m.put(`r${round % 4}`, round);
      }
      if (round % 10 === 0) await new Promise(setImmediate);
    }
    const second = await b.snapshot(undefined, { incremental: true });
    expect(Object.keys(second.keyGroups)).toEqual(["77"]);
    expect(second.unchanged).toEqual(Array.from({ length: 128 }, (_, i) => i).filter((kg) => kg !== 77));
    expect(second.keyGroups[77].length).toBe(first.keyGroups[77].length + hot.length);
    // nothing written since: every key group unchanged, nothing read
    const third = await b.snapshot(undefined, { incremental: true });
    expect(third.keyGroups).toEqual({});
    expect(third.unchanged).toHaveLength(128);
    // a key group emptied is reported changed, with no entries
    for (const k of keysIn(5, 1000).filter((k) => k < 2000)) {
      b.setCurrentKey(k);
      v.clear();
    }
    const fourth = await b.snapshot(undefined, { incremental: true });
    expect(fourth.keyGroups).toEqual({ 5: [] });
    expect(fourth.unchanged).not.toContain(5);
    // a write made after snapshot() was called counts for the next snapshot
    const pending = b.snapshot(undefined, { incremental: true });
    b.setCurrentKey(hot[0]);
    v.update(123);
    expect(Object.keys((await pending).keyGroups)).toEqual([]);
    expect(Object.keys((await b.snapshot(undefined, { incremental: true })).keyGroups)).toEqual(["77"]);
    await b.close();
  });

  it("a restore resets the base: the next snapshot is full; so does a snapshot of another range", async () => {
    const b = await filled();
    const full = await b.snapshot();
    await b.snapshot(undefined, { incremental: true });
    await b.restore([full]);
    const v = b.getPartitionedState(descriptors.value);
    b.setCurrentKey(keysIn(9, 1)[0]);
    v.update(-1);
    const afterRestore = await b.snapshot(undefined, { incremental: true });
    expect(afterRestore.unchanged).toBeUndefined();
    expect(Object.keys(afterRestore.keyGroups).length).toBe(128);
    v.update(-2);
    expect(Object.keys((await b.snapshot(undefined, { incremental: true })).keyGroups)).toEqual(["9"]);
    // another range than the previous call's: full (of that range), and the base of the next
    v.update(-3);
    const low = await b.snapshot(LOW, { incremental: true });
    expect(low.unchanged).toBeUndefined();
    expect(Object.keys(low.keyGroups).length).toBe(64);
    expect((await b.snapshot(undefined, { incremental: true })).unchanged).toBeUndefined();
    v.update(-4);
    expect((await b.snapshot(undefined, { incremental: true })).unchanged).toHaveLength(127);
    // without `incremental` a snapshot is full, and still the base of the next
    v.update(-5);
    expect((await b.snapshot()).unchanged).toBeUndefined();
    expect((await b.snapshot(undefined, { incremental: true })).unchanged).toHaveLength(128);
    await b.close();
  });

  it("an incremental snapshot whose base failed is rejected, and the next one is full", async () => {
    const b = await filled();
    await b.snapshot();
    // make the next scan fail (as a LevelDB read error would)
    const scan = Reflect.get(b, "scan") as (...args: unknown[]) => Promise<void>;
    Reflect.set(b, "scan", async () => {
      Reflect.set(b, "scan", scan);
      throw new StateError("read failed", { code: "STATE_IO" });
    });
    const v = b.getPartitionedState(descriptors.value);
    b.setCurrentKey(keysIn(3, 1)[0]);
    v.update(-1);
    const failing = b.snapshot(undefined, { incremental: true });
    b.setCurrentKey(keysIn(4, 1)[0]);
    v.update(-1);
    const onFailed = b.snapshot(undefined, { incremental: true });
    await expect(failing).rejects.toMatchObject({ code: "STATE_IO" });
    await expect(onFailed).rejects.toMatchObject({ code: "STATE_SNAPSHOT_BASE_FAILED" });
    const next = await b.snapshot(undefined, { incremental: true });
    expect(next.unchanged).toBeUndefined();
    expect(Object.keys(next.keyGroups).length).toBe(128);
    await b.close();
  });
});

describe.each(KINDS)("the $name backend", (kind) => {
  it("refuses to restore a snapshot with unchanged key groups, and keeps its state", async () => {
    const b = await createBackend(kind);
    const v = b.getPartitionedState(descriptors.value);
    b.setCurrentKey("k");
    v.update(1);
    const snap = await b.snapshot();
    const restore = b.restore([{ ...snap, unchanged: [3] }]);
    await expect(restore).rejects.toThrow(StateError);
    await expect(restore).rejects.toMatchObject({ code: "STATE_INCOMPLETE_SNAPSHOT" });
    await expect(b.restore([snap, { ...snap, keyGroups: {}, unchanged: [] }])).rejects.toMatchObject({ code: "STATE_INCOMPLETE_SNAPSHOT" });
    expect(v.value()).toBe(1);
    await b.close();
  });
});

describe("the heap backend", () => {
  it("ignores `incremental`: its snapshots are always full", async () => {
    const b = await createBackend(HEAP);
    const v = b.getPartitionedState(descriptors.value);
    for (let k = 0; k < 500; k++) {
      b.setCurrentKey(k);
      v.update(k);
    }
    const first = await b.snapshot(undefined, { incremental: true });
    b.setCurrentKey(1);
    v.update(-1);
    const second = await b.snapshot(undefined, { incremental: true });
    expect(second.unchanged).toBeUndefined();
    expect(Object.keys(second.keyGroups)).toEqual(Object.keys(first.keyGroups));
    await b.close();
  });
});
