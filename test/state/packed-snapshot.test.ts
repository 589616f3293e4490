import { serialize } from "node:v8";
import { afterAll, describe, expect, it } from "vitest";
import {
  AggregatingStateDescriptor,
  heapBackend,
  ListStateDescriptor,
  MapStateDescriptor,
  ReducingStateDescriptor,
  StateError,
  StateTtlConfig,
  ValueStateDescriptor,
  type KeyedStateBackend,
  type KeyedStateSnapshot,
  type StateKey,
  type TypeSerializer,
} from "../../src/state/index.js";
import { average, cleanupDirs, createBackend, HEAP, KINDS, LEVELDB, ManualClock } from "./backends.js";

afterAll(cleanupDirs);

/** A custom serialiser: its states are packed as entry bytes, not as stored forms. */
const json: TypeSerializer<unknown> = {
  serialize: (v) => new TextEncoder().encode(JSON.stringify(v)),
  deserialize: (b) => JSON.parse(new TextDecoder().decode(b)),
};
const ttl = StateTtlConfig.newBuilder(1_000).build();
const descriptors = {
  count: new ValueStateDescriptor<number>("count"),
  record: new ValueStateDescriptor<{ card: string; amount: number; nested: { seen: boolean[] } }>("record"),
  list: new ListStateDescriptor<string>("list"),
  map: new MapStateDescriptor<string | number, number>("map"),
  sum: new ReducingStateDescriptor<number>("sum", (a, b) => a + b),
  avg: new AggregatingStateDescriptor("avg", average),
  custom: new ValueStateDescriptor<{ x: number }>("custom", { serializer: json as TypeSerializer<{ x: number }> }),
  ttlValue: new ValueStateDescriptor<string>("ttl-value", { ttl }),
  ttlMap: new MapStateDescriptor<string, number>("ttl-map", { ttl }),
};
const KEYS: StateKey[] = [...Array.from({ length: 60 }, (_, i) => i), ...Array.from({ length: 30 }, (_, i) => `card-${i}`), { card: 1 }, [2, "x"]];
const NAMESPACES = ["", "w1"];

function handles(b: KeyedStateBackend) {
  return Object.fromEntries(Object.entries(descriptors).map(([k, d]) => [k, b.getPartitionedState(d)])) as {
    [K in keyof typeof descriptors]: ReturnType<typeof b.getPartitionedState<(typeof descriptors)[K]>>;
  };
}

function write(b: KeyedStateBackend): void {
  const h = handles(b);
  KEYS.forEach((key, i) => {
    b.setCurrentKey(key);
    for (const ns of NAMESPACES) {
      for (const s of Object.values(h)) s.setCurrentNamespace(ns);
      h.count.update(i);
      h.record.update({ card: `c${i}`, amount: i * 1.5, nested: { seen: [i % 2 === 0] } });
      h.list.addAll([`a${i}`, `b${i}`]);
      h.map.put("x", i);
      h.map.put(i, -i);
      h.sum.add(i);
      h.avg.add(i);
      h.custom.update({ x: i });
      h.ttlValue.update(`t${i}`);
      h.ttlMap.put("m", i);
    }
  });
}

function read(b: KeyedStateBackend): unknown[] {
  const h = handles(b);
  return KEYS.map((key) => {
    b.setCurrentKey(key);
    return NAMESPACES.map((ns) => {
      for (const s of Object.values(h)) s.setCurrentNamespace(ns);
      return [h.count.value(), h.record.value(), h.list.get(), h.map.entries(), h.sum.get(), h.avg.get(), h.custom.value(), h.ttlValue.value(), h.ttlMap.entries()];
    });
  });
}

async function packedSnapshot(clock: ManualClock): Promise<{ snap: KeyedStateSnapshot; expected: unknown[] }> {
  const b = await createBackend(HEAP, { clock: clock.fn });
  write(b);
  const snap = await b.snapshot(undefined, { packed: true });
  const expected = read(b);
  await b.close();
  return { snap, expected };
}

describe("packed heap snapshots", () => {
  it("pack whole key groups, and restore into either backend as a snapshot listed entry by entry does", async () => {
    const clock = new ManualClock();
    const { snap, expected } = await packedSnapshot(clock);
    expect(Object.keys(snap.keyGroups)).toEqual([]);
    expect(Object.keys(snap.packed!).length).toBeGreaterThan(50);
    for (const kind of KINDS) {
      const b = await createBackend(kind, { clock: clock.fn });
      await b.restore([snap]);
      expect(read(b)).toEqual(expected);
      expect(b.size()).toBe(KEYS.length * NAMESPACES.length * Object.keys(descriptors).length);
      // and from that backend's own snapshot back into the heap
      const again = await createBackend(HEAP, { clock: clock.fn });
      await again.restore([await b.snapshot()]);
      expect(read(again)).toEqual(expected);
      await Promise.all([b.close(), again.close()]);
    }
  });

  it("entries of states not registered yet pass through packed and listed snapshots, and decode when registered", async () => {
    const clock = new ManualClock();
    const { snap, expected } = await packedSnapshot(clock);
    const idle = await createBackend(HEAP, { clock: clock.fn });
    await idle.restore([snap]);
    expect(idle.getKeys("record").length).toBe(KEYS.length);
    for (const packed of [true, false]) {
      const passed = await idle.snapshot(undefined, { packed });
      for (const kind of KINDS) {
        const b = await createBackend(kind, { clock: clock.fn });
        await b.restore([passed]);
        expect(read(b)).toEqual(expected);
        await b.close();
      }
    }
    await idle.close();
  });

  it("a state whose TTL or kind changed since the snapshot is converted, or refused, as from a listed snapshot", async () => {
    const clock = new ManualClock();
    const { snap } = await packedSnapshot(clock);
    for (const kind of KINDS) {
      const b = await createBackend(kind, { clock: clock.fn });
      await b.restore([snap]);
      // gains a TTL: entries count as written at the restore; loses one: timestamps dropped
      const count = b.getPartitionedState(new ValueStateDescriptor<number>("count", { ttl: StateTtlConfig.newBuilder(10).build() }));
      const untimed = b.getPartitionedState(new ValueStateDescriptor<string>("ttl-value"));
      b.setCurrentKey(5);
      expect(count.value()).toBe(5);
      expect(untimed.value()).toBe("t5");
      clock.advance(10);
      expect(count.value()).toBeUndefined();
      expect(untimed.value()).toBe("t5");
      // a value state read as a list (the heap decodes at registration, LevelDB at the read)
      expect(() => {
        const wrong = b.getPartitionedState(new ListStateDescriptor<string>("record"));
        b.setCurrentKey(5);
        wrong.get();
      }).toThrow(StateError);
      await b.close();
    }
  });

  it("a snapshot of a value that cannot be serialised fails with STATE_SERIALIZATION naming the state; the backend goes on", async () => {
    for (const packed of [true, false]) {
      const b = await heapBackend({ snapshotSliceEntries: 1 }).create({ maxParallelism: 128, keyGroupRange: { start: 0, end: 127 }, operatorId: "bad", subtaskIndex: 0 });
      const v = b.getPartitionedState(new ValueStateDescriptor<unknown>("holder"));
      for (let k = 0; k < 20; k++) {
        b.setCurrentKey(k);
        v.update(k === 7 ? { f: () => 1 } : { n: k });
      }
      const failing = b.snapshot(undefined, { packed });
      // the record path touches the bad key's key group before the slices get to it: no throw there
      b.setCurrentKey(7);
      expect(typeof (v.value() as { f: unknown }).f).toBe("function");
      await expect(failing).rejects.toMatchObject({ code: "STATE_SERIALIZATION", message: expect.stringContaining('state "holder"') });
      v.update({ n: 7 });
      const ok = await b.snapshot(undefined, { packed });
      const check = await createBackend(HEAP);
      await check.restore([ok]);
      check.setCurrentKey(7);
      expect(check.getPartitionedState(new ValueStateDescriptor<unknown>("holder")).value()).toEqual({ n: 7 });
      await Promise.all([b.close(), check.close()]);
    }
  });

  it("holds the state as of the call through a restore or a close before it resolves", async () => {
    const b = await heapBackend({ snapshotSliceEntries: 1 }).create({ maxParallelism: 128, keyGroupRange: { start: 0, end: 127 }, operatorId: "x", subtaskIndex: 0 });
    const acc = b.getPartitionedState(new AggregatingStateDescriptor("acc", {
      createAccumulator: () => ({ n: 0 }),
      add: (v: number, a: { n: number }) => {
        a.n += v; // in place
        return a;
      },
      getResult: (a: { n: number }) => a.n,
    }));
    for (let k = 0; k < 50; k++) {
      b.setCurrentKey(k);
      acc.add(k);
    }
    const first = b.snapshot(undefined, { packed: true });
    for (let k = 0; k < 50; k++) {
      b.setCurrentKey(k);
      acc.add(1000);
    }
    const second = b.snapshot();
    await b.restore([]);
    const third = b.snapshot(undefined, { packed: true });
    await b.close();
    const contents = async (s: KeyedStateSnapshot) => {
      const c = await createBackend(LEVELDB);
      await c.restore([s]);
      const h = c.getPartitionedState(new AggregatingStateDescriptor("acc", { createAccumulator: () => ({ n: 0 }), add: (v: number, a: { n: number }) => ({ n: a.n + v }), getResult: (a: { n: number }) => a.n }));
      const out = Array.from({ length: 50 }, (_, k) => {
        c.setCurrentKey(k);
        return h.get();
      });
      await c.close();
      return out;
    };
    expect(await contents(await first)).toEqual(Array.from({ length: 50 }, (_, k) => k));
    expect(await contents(await second)).toEqual(Array.from({ length: 50 }, (_, k) => k + 1000));
    expect(await contents(await third)).toEqual(Array.from({ length: 50 }, () => undefined));
  });

  it("refuses a packed key group of another format, unreadable bytes, and a key in the wrong key group", async () => {
    const clock = new ManualClock();
    const { snap } = await packedSnapshot(clock);
    const [kg, bytes] = Object.entries(snap.packed!)[0];
    const restore = async (packed: Record<number, Uint8Array>) => {
      const b = await createBackend(HEAP);
      try {
        await b.restore([{ version: 1, maxParallelism: 128, keyGroups: {}, packed }]);
      } finally {
        await b.close();
      }
    };
    await expect(restore({ [kg]: serialize([2, "count", 0, "", [1, 1]]) })).rejects.toMatchObject({ code: "STATE_SNAPSHOT_INCOMPATIBLE", message: expect.stringMatching(/format 2.*reads format 1/) });
    await expect(restore({ [kg]: new Uint8Array([1, 2, 3]) })).rejects.toMatchObject({ code: "STATE_SNAPSHOT_INVALID" });
    await expect(restore({ [kg]: serialize([1, "count", 99, "", []]) })).rejects.toMatchObject({ code: "STATE_SNAPSHOT_INVALID" });
    await expect(restore({ [Number(kg) + 1]: bytes })).rejects.toMatchObject({ code: "STATE_SNAPSHOT_INVALID", message: expect.stringContaining("hashes elsewhere") });
    await expect(restore(7 as never)).rejects.toThrow(StateError);
  });
});
