import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ClassicLevel } from "classic-level";
import { afterAll, describe, expect, it } from "vitest";
import { storeName } from "../../src/state/backend-factories.js";
import { levelDbBackend, ListStateDescriptor, MapStateDescriptor, StateError, ValueStateDescriptor } from "../../src/state/index.js";
import { cleanupDirs, createBackend, HEAP, LEVELDB } from "./backends.js";

afterAll(cleanupDirs);

const base = { maxParallelism: 128, keyGroupRange: { start: 0, end: 127 } };

describe("the LevelDB backend", () => {
  it("keeps each subtask's store in <directory>/<operatorId>-<subtaskIndex>, wiped when created; close() flushes", async () => {
    const dir = await mkdtemp(join(tmpdir(), "vigil-leveldb-"));
    try {
      const store = join(dir, "window-agg-2");
      await mkdir(store);
      await writeFile(join(store, "stale"), "x");
      const b = await levelDbBackend({ directory: dir }).create({ ...base, operatorId: "window-agg", subtaskIndex: 2 });
      expect(existsSync(join(store, "stale"))).toBe(false);
      expect(await readdir(store)).toContain("CURRENT");
      const v = b.getPartitionedState(new ValueStateDescriptor<number>("v"));
      for (let k = 0; k < 100; k++) {
        b.setCurrentKey(k);
        v.update(k);
      }
      await b.close();
      const db = new ClassicLevel(store, { keyEncoding: "view", valueEncoding: "view" });
      expect((await db.keys().all()).length).toBe(100);
      await db.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("names stores after the operator id, percent-encoding what is not file-name safe", async () => {
    expect(storeName("window-agg.v2_x", 3)).toBe("window-agg.v2_x-3");
    expect(storeName("../rules/velocity v2", 0)).toBe("..%2Frules%2Fvelocity%20v2-0");
    expect(storeName("%2F", 0)).toBe("%252F-0");
    expect(storeName("é", 1)).toBe("%C3%A9-1");
    const dir = await mkdtemp(join(tmpdir(), "vigil-leveldb-"));
    try {
      const b = await levelDbBackend({ directory: join(dir, "state") }).create({ ...base, operatorId: "../escape", subtaskIndex: 0 });
      await b.close();
      expect(await readdir(dir)).toEqual(["state"]);
      expect(await readdir(join(dir, "state"))).toEqual(["..%2Fescape-0"]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("refuses bad options", async () => {
    expect(() => levelDbBackend({ directory: "" })).toThrow(StateError);
    const f = levelDbBackend({ directory: join(tmpdir(), "vigil-never-created") });
    await expect(f.create({ ...base, operatorId: 7 as never, subtaskIndex: 0 })).rejects.toThrow(StateError);
    await expect(f.create({ ...base, operatorId: "ok", subtaskIndex: -1 })).rejects.toThrow(StateError);
    await expect(createBackend(LEVELDB, { cache: { cacheEntries: 0 } })).rejects.toThrow(StateError);
  });

  it("with a tiny cache, every read after eviction and every write through flushes gives back the right state", async () => {
    const b = await createBackend(LEVELDB, { cache: { cacheEntries: 10, flushThreshold: 3 } });
    const v = b.getPartitionedState(new ValueStateDescriptor<number>("v"));
    const l = b.getPartitionedState(new ListStateDescriptor<number>("l"));
    const m = b.getPartitionedState(new MapStateDescriptor<number, string>("m"));
    for (let round = 0; round < 3; round++) {
      for (let k = 0; k < 300; k++) {
        b.setCurrentKey(`k${k}`);
        v.setCurrentNamespace(`w${k % 4}`);
        v.update((v.value() ?? 0) + k);
        l.add(round);
        m.put(round, `${k}`);
        if (k % 50 === 0) await new Promise(setImmediate);
      }
    }
    const bad: string[] = [];
    for (let k = 0; k < 300; k++) {
      b.setCurrentKey(`k${k}`);
      v.setCurrentNamespace(`w${k % 4}`);
      if (v.value() !== 3 * k || l.get().join() !== "0,1,2" || m.values().join() !== `${k},${k},${k}`) bad.push(`k${k}`);
    }
    expect(bad).toEqual([]);
    expect(b.size()).toBe(900);
    expect(b.getKeys("v").length).toBe(300);
    await b.close();
  });

  it("entries being flushed stay visible while the cache evicts around them", async () => {
    const b = await createBackend(LEVELDB, { cache: { cacheEntries: 4, flushThreshold: 2 } });
    const v = b.getPartitionedState(new ValueStateDescriptor<string>("v"));
    const wrong: number[] = [];
    for (let round = 0; round < 3; round++) {
      const keys = Array.from({ length: 40 }, (_, i) => round * 100 + i);
      for (const k of keys) {
        b.setCurrentKey(k);
        v.update(`v-${k}`);
      }
      const flushed = b.flush(); // serialised now, written later: until then only the cache has them
      for (const k of keys) {
        b.setCurrentKey(k + 50); // new entries: eviction passes over the ones being flushed
        v.update(`v-${k + 50}`);
      }
      for (const k of keys) {
        b.setCurrentKey(k);
        if (v.value() !== `v-${k}`) wrong.push(k);
      }
      await flushed;
    }
    expect(wrong).toEqual([]);
    await b.close();
  });

  it("an unserialisable value fails the flush loudly (and, on the heap, the snapshot)", async () => {
    const b = await createBackend(LEVELDB, { cache: { flushThreshold: 1000 } });
    const v = b.getPartitionedState(new ValueStateDescriptor<unknown>("v"));
    b.setCurrentKey("k");
    v.update(() => 1);
    await expect(b.flush()).rejects.toThrow(/cannot serialise/);
    expect(() => v.update(2)).toThrow(StateError);
    await expect(b.snapshot()).rejects.toThrow(StateError);
    await b.close().catch(() => undefined);
    const h = await createBackend(HEAP);
    h.setCurrentKey("k");
    h.getPartitionedState(new ValueStateDescriptor<unknown>("v")).update(() => 1);
    await expect(h.snapshot()).rejects.toThrow(expect.objectContaining({ code: "STATE_SERIALIZATION" }));
    await h.close();
  });
});
