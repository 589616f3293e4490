import { afterAll, describe, expect, it } from "vitest";
import {
  AggregatingStateDescriptor,
  keyGroupFor,
  keyGroupRangeForSubtask,
  ListStateDescriptor,
  MapStateDescriptor,
  ReducingStateDescriptor,
  StateError,
  ValueStateDescriptor,
  type KeyedStateBackend,
  type KeyedStateSnapshot,
  type StateKey,
} from "../../src/state/index.js";
import { average, cleanupDirs, createBackend, KINDS, sortKeys, type BackendKind } from "./backends.js";

afterAll(cleanupDirs);

const descriptors = {
  value: new ValueStateDescriptor<{ n: number }>("value"),
  list: new ListStateDescriptor<string>("list"),
  map: new MapStateDescriptor<string, number>("map"),
  sum: new ReducingStateDescriptor<number>("sum", (a, b) => a + b),
  avg: new AggregatingStateDescriptor("avg", average),
};

/** Keys of several types, numerous enough to cover most of the 128 key groups. */
const KEYS: StateKey[] = [
  ...Array.from({ length: 120 }, (_, i) => `user-${i}`),
  ...Array.from({ length: 60 }, (_, i) => i * 7),
  [1, "pair"],
  { card: "c1", country: "NL" },
  true,
  null,
];

/** Writes a known state for `key` into every state kind, in two namespaces. */
function writeKey(b: KeyedStateBackend, key: StateKey, i: number): void {
  b.setCurrentKey(key);
  const h = handles(b);
  for (const ns of ["", `w${i % 3}`]) {
    for (const s of Object.values(h)) s.setCurrentNamespace(ns);
    h.value.update({ n: i });
    h.list.addAll([`a${i}`, `b${i}`]);
    h.map.put("x", i);
    h.map.put(`k${i}`, -i);
    h.sum.add(i);
    h.sum.add(1);
    h.avg.add(i);
  }
}

/** Reads back what `writeKey` wrote, as one comparable value. */
function readKey(b: KeyedStateBackend, key: StateKey, i: number): unknown {
  b.setCurrentKey(key);
  const h = handles(b);
  return ["", `w${i % 3}`].map((ns) => {
    for (const s of Object.values(h)) s.setCurrentNamespace(ns);
    return [h.value.value(), h.list.get(), h.map.entries(), h.sum.get(), h.avg.get()];
  });
}

function expected(i: number): unknown {
  const one = [{ n: i }, [`a${i}`, `b${i}`], [["x", i], [`k${i}`, -i]], i + 1, i];
  return [one, one];
}

/** The (state, key, namespace) of each entry, per key group, sorted. */
function entryIds(s: KeyedStateSnapshot): Record<string, string[]> {
  return Object.fromEntries(Object.entries(canonical(s)).map(([kg, es]) => [kg, es.map((e) => e.slice(0, e.lastIndexOf("|")))]));
}

/** A snapshot as sorted, printable entries per key group (order within a group is the backend's). */
function canonical(s: KeyedStateSnapshot): Record<string, string[]> {
  const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
  return Object.fromEntries(
    Object.entries(s.keyGroups).map(([kg, entries]) => [kg, entries.map(([n, k, ns, v]) => `${n}|${hex(k)}|${ns}|${hex(v)}`).sort()]),
  );
}

function handles(b: KeyedStateBackend) {
  return {
    value: b.getPartitionedState(descriptors.value),
    list: b.getPartitionedState(descriptors.list),
    map: b.getPartitionedState(descriptors.map),
    sum: b.getPartitionedState(descriptors.sum),
    avg: b.getPartitionedState(descriptors.avg),
  };
}

async function subtasks(kind: BackendKind, parallelism: number): Promise<KeyedStateBackend[]> {
  return Promise.all(
    Array.from({ length: parallelism }, (_, i) => createBackend(kind, { range: keyGroupRangeForSubtask(128, parallelism, i), subtaskIndex: i })),
  );
}

/** Writes every key into the subtask that owns it; returns the subtasks' snapshots. */
async function snapshotAt(kind: BackendKind, parallelism: number): Promise<KeyedStateSnapshot[]> {
  const backends = await subtasks(kind, parallelism);
  KEYS.forEach((key, i) => {
    const kg = keyGroupFor(key, 128);
    writeKey(backends.find((b) => kg >= b.keyGroupRange.start && kg <= b.keyGroupRange.end)!, key, i);
  });
  const snaps = await Promise.all(backends.map((b) => b.snapshot()));
  await Promise.all(backends.map((b) => b.close()));
  return snaps;
}

describe.each(KINDS)("snapshots of the $name backend", (kind) => {
  it("round-trip every state kind and namespace, into either backend", async () => {
    const [snap] = await snapshotAt(kind, 1);
    expect(Object.keys(snap.keyGroups).length).toBeGreaterThan(90);
    for (const target of KINDS) {
      const b = await createBackend(target);
      await b.restore([snap]);
      expect(KEYS.map((key, i) => readKey(b, key, i))).toEqual(KEYS.map((_, i) => expected(i)));
      expect(b.size()).toBe(KEYS.length * 2 * 5);
      // and again: a snapshot of restored state has the same entries, and restores the same values
      const again = await b.snapshot();
      expect(entryIds(again)).toEqual(entryIds(snap));
      const c = await createBackend(kind);
      await c.restore([again]);
      expect(KEYS.map((key, i) => readKey(c, key, i))).toEqual(KEYS.map((_, i) => expected(i)));
      await Promise.all([b.close(), c.close()]);
    }
  });

  it("rescale: snapshot at 2 subtasks, restore into 3 and into 1; each key's state intact in exactly its owner", async () => {
    const snaps = await snapshotAt(kind, 2);
    for (const parallelism of [3, 1]) {
      const backends = await subtasks(kind, parallelism);
      for (const b of backends) await b.restore(snaps);
      const owners = new Map<string, number>();
      backends.forEach((b, s) => {
        for (const key of b.getKeys("value")) {
          const id = JSON.stringify(sortKeys([key]));
          expect(owners.has(id)).toBe(false);
          owners.set(id, s);
          const kg = keyGroupFor(key, 128);
          if (kg < b.keyGroupRange.start || kg > b.keyGroupRange.end) expect.fail(`key ${id} (key group ${kg}) restored into subtask ${s}`);
        }
      });
      expect(owners.size).toBe(KEYS.length);
      expect(backends.reduce((n, b) => n + b.size(), 0)).toBe(KEYS.length * 2 * 5);
      const read = KEYS.map((key, i) => readKey(backends[owners.get(JSON.stringify(sortKeys([key])))!], key, i));
      expect(read).toEqual(KEYS.map((_, i) => expected(i)));
      await Promise.all(backends.map((b) => b.close()));
    }
  });

  it("restore replaces existing state; states registered after the restore find their entries", async () => {
    const b = await createBackend(kind);
    b.setCurrentKey("old");
    b.getPartitionedState(descriptors.value).update({ n: -1 });
    const source = await createBackend(kind);
    source.setCurrentKey("k");
    source.getPartitionedState(new ValueStateDescriptor<string>("late")).update("hello");
    source.getPartitionedState(descriptors.value).update({ n: 1 });
    const fromSource = await source.snapshot();
    await b.restore([fromSource, fromSource]); // the same entries twice count once
    expect(b.getKeys("value")).toEqual(["k"]);
    expect(b.getKeys("late")).toEqual(["k"]);
    expect(b.size()).toBe(2);
    // an unregistered state passes through a snapshot untouched
    const again = await createBackend(kind);
    await again.restore([await b.snapshot()]);
    const late = again.getPartitionedState(new ValueStateDescriptor<string>("late"));
    again.setCurrentKey("k");
    expect(late.value()).toBe("hello");
    b.setCurrentKey("old");
    expect(b.getPartitionedState(descriptors.value).value()).toBeUndefined();
    await Promise.all([b.close(), source.close(), again.close()]);
  });

  it("a snapshot is the state when snapshot() was called, even if writes follow before it resolves", async () => {
    const b = await createBackend(kind, { cache: { cacheEntries: 16, flushThreshold: 4 } });
    const v = b.getPartitionedState(new ValueStateDescriptor<number>("v"));
    for (let k = 0; k < 50; k++) {
      b.setCurrentKey(k);
      v.update(k);
    }
    const pending = b.snapshot();
    for (let k = 0; k < 60; k++) {
      b.setCurrentKey(k);
      v.update(1000 + k);
    }
    const snap = await pending;
    const check = await createBackend(kind);
    await check.restore([snap]);
    const cv = check.getPartitionedState(new ValueStateDescriptor<number>("v"));
    expect(check.size()).toBe(50);
    for (let k = 0; k < 50; k++) {
      check.setCurrentKey(k);
      expect(cv.value()).toBe(k);
    }
    await Promise.all([b.close(), check.close()]);
  });

  it("snapshot(range) takes only those key groups; bad snapshots are refused", async () => {
    const [snap] = await snapshotAt(kind, 1);
    const b = await createBackend(kind);
    await b.restore([snap]);
    const part = await b.snapshot({ start: 10, end: 19 });
    const inRange = Object.keys(snap.keyGroups).filter((kg) => Number(kg) >= 10 && Number(kg) <= 19);
    expect(inRange.length).toBeGreaterThan(5);
    expect(canonical(part)).toEqual(canonical({ ...snap, keyGroups: Object.fromEntries(inRange.map((kg) => [kg, snap.keyGroups[Number(kg)]])) }));
    await expect(b.snapshot({ start: 5, end: 200 })).rejects.toThrow(StateError);
    await expect(b.restore([{ ...snap, maxParallelism: 64 }])).rejects.toThrow(/maxParallelism/);
    await expect(b.restore([{ version: 2 } as never])).rejects.toThrow(StateError);
    const [[name, key, ns, value]] = snap.keyGroups[Number(inRange[0])];
    await expect(b.restore([{ version: 1, maxParallelism: 128, keyGroups: { [Number(inRange[0]) + 1]: [[name, key, ns, value]] } }])).rejects.toThrow(/key group/);
    await b.close();
  });
});
