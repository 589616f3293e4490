import { afterAll, afterEach, describe, expect, it } from "vitest";
import {
  AggregatingStateDescriptor,
  ListStateDescriptor,
  MapStateDescriptor,
  ReducingStateDescriptor,
  StateTtlConfig,
  ValueStateDescriptor,
  type KeyedStateBackend,
} from "../../src/state/index.js";
import { average, cleanupDirs, createBackend, KINDS, ManualClock } from "./backends.js";

afterAll(cleanupDirs);

const TTL = 100;
const ttl = (f: (b: ReturnType<typeof StateTtlConfig.newBuilder>) => unknown = () => undefined) => {
  const b = StateTtlConfig.newBuilder(TTL);
  f(b);
  return b.build();
};

describe.each(KINDS)("TTL on the $name backend", (kind) => {
  let backend: KeyedStateBackend;
  let clock: ManualClock;
  const open = async (cache?: { cacheEntries?: number; flushThreshold?: number }) => {
    clock = new ManualClock();
    backend = await createBackend(kind, { clock: clock.fn, cache });
    return backend;
  };
  afterEach(async () => backend?.close());

  it("OnCreateAndWrite: a value expires ttl after its last write (ts + ttl <= now), reads do not extend it", async () => {
    const b = await open();
    const v = b.getPartitionedState(new ValueStateDescriptor<string>("v", { ttl: ttl(), defaultValue: "none" }));
    b.setCurrentKey("k");
    v.update("x");
    clock.advance(60);
    expect(v.value()).toBe("x");
    clock.advance(39);
    expect(v.value()).toBe("x");
    clock.advance(1);
    expect(v.value()).toBe("none");
    expect(b.size()).toBe(0);
    v.update("y");
    clock.advance(99);
    v.update("z");
    clock.advance(99);
    expect(v.value()).toBe("z");
  });

  it("OnReadAndWrite: reads restart the time-to-live", async () => {
    const b = await open();
    const v = b.getPartitionedState(new ValueStateDescriptor<string>("v", { ttl: ttl((c) => c.setUpdateType("OnReadAndWrite")) }));
    b.setCurrentKey("k");
    v.update("x");
    for (let i = 0; i < 5; i++) {
      clock.advance(90);
      expect(v.value()).toBe("x");
    }
    clock.advance(100);
    expect(v.value()).toBeUndefined();
  });

  it("ReturnExpiredIfNotCleanedUp returns an expired value once, as it is removed", async () => {
    const b = await open();
    const v = b.getPartitionedState(new ValueStateDescriptor<string>("v", { ttl: ttl((c) => c.setStateVisibility("ReturnExpiredIfNotCleanedUp")) }));
    const r = b.getPartitionedState(new ReducingStateDescriptor<number>("r", (x, y) => x + y, { ttl: ttl((c) => c.setStateVisibility("ReturnExpiredIfNotCleanedUp")) }));
    b.setCurrentKey("k");
    v.update("x");
    r.add(5);
    clock.advance(150);
    expect(v.value()).toBe("x");
    expect(v.value()).toBeUndefined();
    expect(r.get()).toBe(5);
    expect(r.get()).toBeUndefined();
    expect(b.size()).toBe(0);
  });

  it("list elements and map entries expire one by one", async () => {
    const b = await open();
    const list = b.getPartitionedState(new ListStateDescriptor<number>("l", { ttl: ttl() }));
    const map = b.getPartitionedState(new MapStateDescriptor<string, number>("m", { ttl: ttl((c) => c.updateTtlOnReadAndWrite()) }));
    b.setCurrentKey("k");
    list.add(1);
    map.put("a", 1);
    map.put("b", 2);
    clock.advance(50);
    list.addAll([2, 3]);
    expect(map.get("a")).toBe(1); // a's time-to-live restarts (OnReadAndWrite)
    clock.advance(50);
    expect(list.get()).toEqual([2, 3]);
    expect(map.contains("b")).toBe(false);
    expect(map.entries()).toEqual([["a", 1]]);
    clock.advance(100);
    expect(list.get()).toEqual([]);
    expect(map.isEmpty()).toBe(true);
    expect(b.size()).toBe(0);
  });

  it("reducing and aggregating state start afresh once expired", async () => {
    const b = await open();
    const r = b.getPartitionedState(new ReducingStateDescriptor<number>("r", (x, y) => x + y, { ttl: ttl() }));
    const a = b.getPartitionedState(new AggregatingStateDescriptor("a", average, { ttl: ttl() }));
    b.setCurrentKey("k");
    r.add(1);
    a.add(10);
    clock.advance(100);
    r.add(2);
    a.add(20);
    expect(r.get()).toBe(2);
    expect(a.get()).toBe(20);
  });

  it("expired entries count until accessed (without background cleanup); access removes them", async () => {
    const b = await open();
    const v = b.getPartitionedState(new ValueStateDescriptor<number>("v", { ttl: ttl() }));
    for (let k = 0; k < 10; k++) {
      b.setCurrentKey(k);
      v.update(k);
    }
    clock.advance(100);
    expect(b.size()).toBe(10);
    expect(await b.cleanupExpired!()).toBe(0); // not enabled for this state
    b.setCurrentKey(3);
    expect(v.value()).toBeUndefined();
    expect(b.size()).toBe(9);
    expect(b.getKeys("v")).not.toContain(3);
  });

  it("background cleanup: a few entries per access, and everything on cleanupExpired()", async () => {
    const b = await open({ cacheEntries: 8, flushThreshold: 4 });
    const bg = ttl((c) => c.cleanupInBackground());
    const v = b.getPartitionedState(new ValueStateDescriptor<number>("v", { ttl: bg }));
    const list = b.getPartitionedState(new ListStateDescriptor<number>("l", { ttl: bg }));
    const other = b.getPartitionedState(new ValueStateDescriptor<number>("keep"));
    for (let k = 0; k < 40; k++) {
      b.setCurrentKey(k);
      v.setCurrentNamespace(k % 3 === 0 ? "" : "w");
      v.update(k);
      list.add(k);
      other.update(k);
      await Promise.resolve();
    }
    clock.advance(50);
    b.setCurrentKey(0);
    list.add(100); // survives the first expiry
    clock.advance(60);
    b.setCurrentKey(1000);
    for (let i = 0; i < 10; i++) v.value(); // accesses sweep cached entries
    const afterSweep = b.size();
    expect(afterSweep).toBeLessThan(40 * 3);
    const removed = await b.cleanupExpired!();
    expect(b.size()).toBe(41);
    expect(afterSweep - removed).toBe(41);
    expect(b.getKeys("v")).toEqual([]);
    expect(b.getKeys("l")).toEqual([0]);
    b.setCurrentKey(0);
    expect(list.get()).toEqual([100]);
    clock.advance(100);
    expect(await b.cleanupExpired!()).toBe(1);
    expect(b.size()).toBe(40);
  });

  it("timestamps survive snapshot and restore", async () => {
    const b = await open();
    const d = new ValueStateDescriptor<string>("v", { ttl: ttl() });
    const v = b.getPartitionedState(d);
    b.setCurrentKey("k");
    v.update("x");
    clock.advance(60);
    const snap = await b.snapshot();
    const restored = await createBackend(kind, { clock: clock.fn });
    try {
      await restored.restore([snap]);
      const v2 = restored.getPartitionedState(d);
      restored.setCurrentKey("k");
      clock.advance(39);
      expect(v2.value()).toBe("x");
      clock.advance(1);
      expect(v2.value()).toBeUndefined();
    } finally {
      await restored.close();
    }
  });

  it("a TTL added or dropped between snapshot and restore: missing timestamps become the restore time", async () => {
    const b = await open();
    b.setCurrentKey("k");
    b.getPartitionedState(new ListStateDescriptor<number>("l")).addAll([1, 2]);
    const withTtl = await createBackend(kind, { clock: clock.fn });
    try {
      await withTtl.restore([await b.snapshot()]);
      clock.advance(50);
      const l = withTtl.getPartitionedState(new ListStateDescriptor<number>("l", { ttl: ttl() }));
      withTtl.setCurrentKey("k");
      clock.advance(49);
      expect(l.get()).toEqual([1, 2]);
      clock.advance(1);
      expect(l.get()).toEqual([]);
      l.add(3);
      const plain = await createBackend(kind, { clock: clock.fn });
      await plain.restore([await withTtl.snapshot()]);
      plain.setCurrentKey("k");
      clock.advance(1000);
      expect(plain.getPartitionedState(new ListStateDescriptor<number>("l")).get()).toEqual([3]);
      await plain.close();
    } finally {
      await withTtl.close();
    }
  });
});
