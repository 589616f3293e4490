import { describe, expect, test } from "vitest";
import { CASES, DEFAULT_OPTIONS, type CaseId, type CheckpointBenchOptions, type CheckpointResult } from "../../bench/checkpoint/cases.js";
import { compareMultisets } from "../../bench/checkpoint/soak.js";

/**
 * bench:checkpoint at toy sizes: every case runs its check (the same output with and without
 * checkpoints; the probed sums after a restore) and one round of timing on both backends, so the
 * bench code keeps working. No timing assertions.
 */
const tiny: CheckpointBenchOptions = {
  ...DEFAULT_OPTIONS,
  events: 30_000,
  leveldbEvents: 10_000,
  reduceEvents: 20_000,
  keys: 500,
  eventsPerMs: 0.1,
  intervalMs: 50,
  stateKeys: 5_000,
  changedKeys: 50,
  repeats: 1,
  rounds: 1,
  budgetScale: 0,
};

async function run(id: CaseId): Promise<{ results: CheckpointResult[]; log: string[] }> {
  const log: string[] = [];
  const results = await CASES[id](tiny, (line) => log.push(line));
  return { results, log };
}

describe("bench:checkpoint cases at toy sizes", () => {
  test("throughput", async () => {
    const { results, log } = await run("throughput");
    expect(results.map((r) => `${r.job} ${r.backend}`)).toEqual(["window heap", "reduce heap", "window leveldb"]);
    for (const r of results) {
      expect(r.bench).toBe("checkpoint-throughput");
      expect(r.eventsPerSec).toBeGreaterThan(0);
      expect(r.baselineEventsPerSec).toBeGreaterThan(0);
      expect(r.ratio).toBeGreaterThan(0);
      expect(r.checkpoints).toBeGreaterThanOrEqual(1); // at least the final one
    }
    expect(log.filter((l) => l.startsWith("# check ")).length).toBe(3);
    expect(log.join("\n")).not.toMatch(/DIFFERENT/);
  }, 20_000);

  test("state-size", async () => {
    const { results, log } = await run("state-size");
    expect(results.map((r) => `${r.backend} ${r.bench}`)).toEqual([
      "heap checkpoint-full",
      "heap checkpoint-incremental",
      "heap checkpoint-incremental",
      "heap checkpoint-restore",
      "leveldb checkpoint-full",
      "leveldb checkpoint-incremental",
      "leveldb checkpoint-incremental",
      "leveldb checkpoint-restore",
    ]);
    const full = results.find((r) => r.backend === "leveldb" && r.bench === "checkpoint-full")!;
    const hot = results.find((r) => r.backend === "leveldb" && r.spread === "4-key-groups")!;
    expect(full.size).toBeGreaterThan(0);
    expect(Number(full.diskBytes)).toBeGreaterThanOrEqual(Number(full.size));
    // LevelDB's incremental checkpoint writes only the changed key groups
    expect(Number(hot.bytesWritten)).toBeLessThan(Number(full.bytesWritten) / 4);
    expect(log.join("\n")).toMatch(/every sum as before/);
  }, 20_000);
});

describe("bench:checkpoint heap-snapshot at a toy size", () => {
  test("times packed and listed heap snapshots of both shapes; packed is the smaller", async () => {
    const { results, log } = await run("heap-snapshot");
    expect(results.map((r) => `${r.shape} ${r.form}`)).toEqual(["reduce packed", "reduce listed", "window packed", "window listed"]);
    for (const r of results) {
      expect(r.entries).toBe(500);
      expect(Number(r.bytes)).toBeGreaterThan(0);
    }
    for (const shape of ["reduce", "window"]) {
      const [packed, listed] = results.filter((r) => r.shape === shape);
      expect(Number(packed.bytes)).toBeLessThan(Number(listed.bytes));
    }
    expect(log.filter((l) => l.startsWith("# heap-snapshot")).length).toBe(4);
  });
});

describe("the soak's comparison", () => {
  test("counts missing, repeated and unexpected lines as multisets", () => {
    expect(compareMultisets(["a", "b", "b", "c"], ["b", "a", "c", "b"])).toMatchObject({ missing: 0, duplicated: 0, unexpected: 0 });
    expect(compareMultisets(["a", "b", "b", "c"], ["a", "b", "c", "c", "d"])).toMatchObject({ missing: 1, duplicated: 1, unexpected: 1 });
  });
});
