import { readdirSync, rmSync, mkdirSync, writeFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { tempDirs } from "./helpers.js";
import { afterAll, describe, expect, it } from "vitest";
import { LocalCheckpointStorage, findLatestCheckpoint, type CompletedSnapshot, type TaskSnapshot } from "../../../src/runtime/index.js";

const { tmp, cleanup } = tempDirs("vigil-storage-");
afterAll(cleanup);

const bytes = (s: string) => new TextEncoder().encode(s);
function op(id: number, keyGroups: Record<number, string[]>, unchanged?: number[]): CompletedSnapshot {
  const task: TaskSnapshot = {
    kind: "operator",
    operatorId: "counter",
    subtaskIndex: 0,
    keyed: {
      version: 1,
      maxParallelism: 8,
      keyGroups: Object.fromEntries(Object.entries(keyGroups).map(([kg, keys]) => [kg, keys.map((k) => ["count", bytes(k), "", bytes(`v${k}`)] as [string, Uint8Array, string, Uint8Array])])),
      unchanged,
    },
    timers: { event: [["a", "", 5]], processing: [] },
    operator: undefined,
    operatorState: {},
  };
  const source: TaskSnapshot = { kind: "source", operatorId: "src", subtaskIndex: 0, splits: [{ splitId: "s", position: id } as never] };
  return {
    jobName: "j",
    checkpointId: id,
    kind: "checkpoint",
    timestamp: id,
    operators: [
      { operatorId: "src", name: "src", kind: "source", parallelism: 1, maxParallelism: 8, subtasks: [source] },
      { operatorId: "counter", name: "counter", kind: "operator", parallelism: 1, maxParallelism: 8, subtasks: [task] },
    ],
  };
}
const keysOf = (s: CompletedSnapshot) => {
  const t = s.operators[1].subtasks[0];
  if (t.kind !== "operator") throw new Error("expected operator");
  return Object.fromEntries(Object.entries(t.keyed!.keyGroups).map(([kg, e]) => [kg, e.map((x) => new TextDecoder().decode(x[1]))]));
};

describe("local checkpoint storage", () => {
  it("round-trips a snapshot; an incremental one reuses the unchanged key groups' files", async () => {
    const dir = tmp();
    const st = new LocalCheckpointStorage(dir);
    expect(await st.init()).toBe(0);
    const first = await st.write(op(1, { 0: ["a", "b"], 3: ["c"] }));
    const second = await st.write(op(2, { 3: ["c", "d"] }, [0]));
    expect(second.bytesWritten).toBeLessThan(first.bytesWritten + 50);
    const loaded = await st.load(second.location);
    expect(keysOf(loaded)).toEqual({ 0: ["a", "b"], 3: ["c", "d"] });
    expect(loaded.operators[0].subtasks[0]).toEqual({ kind: "source", operatorId: "src", subtaskIndex: 0, splits: [{ splitId: "s", position: 2 }] });
    expect(await findLatestCheckpoint(dir)).toBe(second.location);
  });

  it("keeps the last N checkpoints and deletes files no kept checkpoint uses", async () => {
    const dir = tmp();
    const st = new LocalCheckpointStorage(dir);
    await st.init();
    await st.write(op(1, { 0: ["a"] }));
    await st.write(op(2, { 1: ["b"] }, [0])); // still uses checkpoint 1's file for key group 0
    await st.write(op(3, { 0: ["a2"], 1: ["b2"] }));
    await st.prune(1);
    expect(readdirSync(dir).filter((n) => n.startsWith("chk-"))).toEqual(["chk-3"]);
    expect(readdirSync(join(dir, "shared"))).toHaveLength(1);
    expect(keysOf(await st.load(join(dir, "chk-3")))).toEqual({ 0: ["a2"], 1: ["b2"] });
  });

  it("init removes what a crash left half-written and reports the highest id; the next checkpoint is full", async () => {
    const dir = tmp();
    const st = new LocalCheckpointStorage(dir);
    await st.init();
    await st.write(op(4, { 0: ["a"] }));
    mkdirSync(join(dir, "chk-5.inprogress-abcd"));
    mkdirSync(join(dir, "chk-6")); // no manifest: never completed
    writeFileSync(join(dir, "shared", "orphan.kg"), "x");
    const again = new LocalCheckpointStorage(dir);
    expect(await again.init()).toBe(4);
    expect(existsSync(join(dir, "chk-5.inprogress-abcd"))).toBe(false);
    expect(existsSync(join(dir, "chk-6"))).toBe(false);
    expect(existsSync(join(dir, "shared", "orphan.kg"))).toBe(false);
    await expect(again.write(op(5, {}, [0]))).rejects.toThrow(/incremental snapshot, but no earlier checkpoint/);
  });

  it("savepoints are self-contained and never pruned", async () => {
    const dir = tmp();
    const st = new LocalCheckpointStorage(dir);
    await st.init();
    const sp = await st.write({ ...op(1, { 2: ["k"] }), kind: "savepoint" }, { savepointDir: join(dir, "sp") });
    await st.write(op(2, { 2: ["k"] }));
    await st.write(op(3, { 2: ["k"] }));
    await st.prune(1);
    rmSync(join(dir, "shared"), { recursive: true });
    expect(keysOf(await st.load(sp.location))).toEqual({ 2: ["k"] });
  });

  it("a missing or foreign directory gets an error naming it", async () => {
    await expect(new LocalCheckpointStorage(tmp()).load("/nonexistent/chk-1")).rejects.toThrow(/cannot restore from \/nonexistent\/chk-1: no readable _metadata/);
  });
});
