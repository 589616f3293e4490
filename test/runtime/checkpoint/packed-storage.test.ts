import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { LocalCheckpointStorage, type CompletedSnapshot, type TaskSnapshot } from "../../../src/runtime/index.js";
import { heapBackend, keyGroupFor, ValueStateDescriptor, type KeyedStateSnapshot } from "../../../src/state/index.js";
import { tempDirs } from "./helpers.js";

const { tmp, cleanup } = tempDirs("vigil-packed-storage-");
afterAll(cleanup);

const MAX = 8;
const counts = new ValueStateDescriptor<{ n: number }>("count");

/** A heap backend with a count for each of `keys`, and its packed snapshot. */
async function heapSnapshot(keys: number[], n: number): Promise<KeyedStateSnapshot> {
  const b = await heapBackend().create({ maxParallelism: MAX, keyGroupRange: { start: 0, end: MAX - 1 }, operatorId: "counter", subtaskIndex: 0 });
  const s = b.getPartitionedState(counts);
  for (const k of keys) {
    b.setCurrentKey(k);
    s.update({ n: k * n });
  }
  const snap = await b.snapshot(undefined, { packed: true });
  await b.close();
  return snap;
}

function checkpoint(id: number, keyed: KeyedStateSnapshot): CompletedSnapshot {
  const task: TaskSnapshot = { kind: "operator", operatorId: "counter", subtaskIndex: 0, keyed, timers: { event: [], processing: [] }, operator: undefined, operatorState: {} };
  return {
    jobName: "j",
    checkpointId: id,
    kind: "checkpoint",
    timestamp: id,
    operators: [{ operatorId: "counter", name: "counter", kind: "operator", parallelism: 1, maxParallelism: MAX, subtasks: [task] }],
  };
}

/** The counts a loaded snapshot restores to. */
async function countsOf(loaded: CompletedSnapshot, keys: number[]): Promise<Array<number | undefined>> {
  const task = loaded.operators[0].subtasks[0];
  if (task.kind !== "operator") throw new Error("expected an operator");
  const b = await heapBackend().create({ maxParallelism: MAX, keyGroupRange: { start: 0, end: MAX - 1 }, operatorId: "counter", subtaskIndex: 0 });
  await b.restore([task.keyed!]);
  const s = b.getPartitionedState(counts);
  const out = keys.map((k) => {
    b.setCurrentKey(k);
    return s.value()?.n;
  });
  await b.close();
  return out;
}

const KEYS = Array.from({ length: 40 }, (_, i) => i);

describe("local checkpoint storage with packed key groups", () => {
  it("stores packed key groups as they are and loads them back", async () => {
    const dir = tmp();
    const st = new LocalCheckpointStorage(dir);
    await st.init();
    const snap = await heapSnapshot(KEYS, 2);
    const stored = await st.write(checkpoint(1, snap));
    const packedBytes = Object.values(snap.packed!).reduce((n, b) => n + b.length, 0);
    expect(stored.size).toBeGreaterThanOrEqual(packedBytes);
    const loaded = await st.load(stored.location);
    const task = loaded.operators[0].subtasks[0] as { keyed: KeyedStateSnapshot };
    expect(Object.keys(task.keyed.packed!).sort()).toEqual(Object.keys(snap.packed!).sort());
    for (const [kg, bytes] of Object.entries(snap.packed!)) expect(Buffer.from(task.keyed.packed![Number(kg)])).toEqual(Buffer.from(bytes));
    expect(await countsOf(loaded, KEYS)).toEqual(KEYS.map((k) => k * 2));
  });

  it("an incremental checkpoint reuses a packed key group's slice, still packed", async () => {
    const dir = tmp();
    const st = new LocalCheckpointStorage(dir);
    await st.init();
    const full = await heapSnapshot(KEYS, 2);
    await st.write(checkpoint(1, full));
    const groups = Object.keys(full.packed!).map(Number);
    const [kept, ...rest] = groups;
    // the next snapshot lists the other key groups entry by entry and reports one unchanged
    const b = await heapBackend().create({ maxParallelism: MAX, keyGroupRange: { start: 0, end: MAX - 1 }, operatorId: "counter", subtaskIndex: 0 });
    await b.restore([full]);
    const s = b.getPartitionedState(counts);
    for (const k of KEYS) {
      b.setCurrentKey(k);
      s.update({ n: k * 3 });
    }
    const listed = await b.snapshot();
    await b.close();
    const next: KeyedStateSnapshot = {
      version: 1,
      maxParallelism: MAX,
      keyGroups: Object.fromEntries(rest.map((kg) => [kg, listed.keyGroups[kg]])),
      unchanged: [kept],
    };
    const stored = await st.write(checkpoint(2, next));
    const loaded = await st.load(stored.location);
    const task = loaded.operators[0].subtasks[0] as { keyed: KeyedStateSnapshot };
    expect(Object.keys(task.keyed.packed!)).toEqual([String(kept)]);
    // keys of the unchanged key group keep checkpoint 1's counts, the others have checkpoint 2's
    const inKept = KEYS.filter((k) => keyGroupFor(k, MAX) === kept);
    expect(inKept.length).toBeGreaterThan(0);
    expect(await countsOf(loaded, KEYS)).toEqual(KEYS.map((k) => (keyGroupFor(k, MAX) === kept ? k * 2 : k * 3)));
  });

  it("reads checkpoints of format 2, and refuses a newer format with CHECKPOINT_VERSION", async () => {
    const dir = tmp();
    const st = new LocalCheckpointStorage(dir);
    await st.init();
    const listed: KeyedStateSnapshot = { version: 1, maxParallelism: MAX, keyGroups: {} };
    const stored = await st.write(checkpoint(1, listed));
    const manifest = join(stored.location, "_metadata");
    const meta = JSON.parse(readFileSync(manifest, "utf8")) as { version: number };
    expect(meta.version).toBe(3);
    writeFileSync(manifest, JSON.stringify({ ...meta, version: 2 }));
    await expect(st.load(stored.location)).resolves.toMatchObject({ checkpointId: 1 });
    writeFileSync(manifest, JSON.stringify({ ...meta, version: 4 }));
    await expect(st.load(stored.location)).rejects.toMatchObject({ code: "CHECKPOINT_VERSION", message: expect.stringContaining("format version 4") });
  });
});
