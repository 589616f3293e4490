/**
 * The crash test: a child process runs the fraud job (keyed windows and a CEP pattern over 200k
 * transactions from a file, to the exactly-once file sink, checkpoints every 50 ms); it is killed
 * with SIGKILL at random moments 5 times and restarted from its latest checkpoint each time. The
 * committed output must equal a fault-free run's: nothing lost, nothing twice.
 */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readCommitted } from "../../../src/connectors/index.js";
import { runWithKills, seededRandom } from "../../../bench/checkpoint/crash-runner.js";
import { generateTransactions } from "../../../bench/checkpoint/fraud-job.js";

const root = mkdtempSync(join(tmpdir(), "vigil-crash-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const JOB = join(__dirname, "../../../bench/checkpoint/fraud-job.ts");
const node = (input: string, out: string, ckpt: string) => ({
  command: process.execPath,
  // 60k transactions/s: the job runs for about 3 s, so the kills land while it runs
  args: ["--import", "tsx", JOB, input, out, ckpt, "50", "heap", "60000"],
});

describe("crash test", () => {
  it("5 SIGKILLs at random moments: the committed output equals a fault-free run's, with no record lost or repeated", async () => {
    const input = join(root, "transactions.jsonl");
    writeFileSync(input, generateTransactions(200_000, 2_000).map((t) => JSON.stringify(t)).join("\n") + "\n");

    const reference = await runWithKills({ ...node(input, join(root, "reference"), join(root, "reference-ckpt")), kills: 0, minDelayMs: 0, maxDelayMs: 0, random: Math.random });
    expect(reference.starts).toBe(1);
    const expected = (await readCommitted<string>(join(root, "reference"), (l) => l)).sort();
    expect(expected.length).toBeGreaterThan(100_000);
    expect(expected.some((l) => l.includes('"alert"'))).toBe(true);

    const seed = Number(process.env.VIGIL_CRASH_SEED ?? Date.now() % 100_000);
    const run = await runWithKills({
      ...node(input, join(root, "out"), join(root, "ckpt")),
      kills: 5,
      minDelayMs: 250,
      maxDelayMs: 800,
      random: seededRandom(seed),
    });
    expect(run.kills, `seed ${seed}`).toBe(5);
    // after the first start, every start resumed from a checkpoint of an earlier one (or from scratch if none completed yet)
    expect(run.restoredFrom[0]).toBe("fresh");
    expect(run.restoredFrom.filter((r) => r.includes("chk-")).length, `restores: ${run.restoredFrom.join(", ")}`).toBeGreaterThanOrEqual(1);

    const actual = (await readCommitted<string>(join(root, "out"), (l) => l)).sort();
    const diff = { missing: 0, extra: 0 };
    const count = new Map<string, number>();
    for (const l of expected) count.set(l, (count.get(l) ?? 0) + 1);
    for (const l of actual) {
      const n = count.get(l) ?? 0;
      if (n === 0) diff.extra++;
      else count.set(l, n - 1);
    }
    for (const n of count.values()) diff.missing += n;
    expect({ seed, ...diff }).toEqual({ seed, missing: 0, extra: 0 });
    expect(actual.length).toBe(expected.length);
    // nothing half-written is visible, and no in-progress file survives the finished run
    expect(readdirSync(join(root, "out")).filter((n) => n.includes("inprogress"))).toEqual([]);
  }, 240_000);
});
