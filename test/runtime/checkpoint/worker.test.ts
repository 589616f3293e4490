/**
 * Checkpoints on the worker-thread executor: barriers cross threads with the records, each
 * worker's subtasks acknowledge with their snapshots, a failure restarts every worker from the
 * latest checkpoint, and savepoints move state between parallelisms. The committed output of the
 * exactly-once file sink must equal a fault-free local run's.
 */
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { generateTransactions } from "../../../bench/checkpoint/fraud-job.js";
import { readCommitted } from "../../../src/connectors/index.js";
import { WorkerExecutor } from "../../../src/runtime/executor/worker-executor.js";
import { RestartStrategies, StreamExecutionEnvironment } from "../../../src/runtime/index.js";
import build from "../jobs/checkpointed-worker-job.js";
import { tempDirs, until } from "./helpers.js";

const { tmp, cleanup } = tempDirs("vigil-worker-ckpt-");
afterAll(cleanup);
const jobModule = new URL("../jobs/checkpointed-worker-job.ts", import.meta.url);
const VARS = ["VIGIL_TEST_INPUT", "VIGIL_TEST_OUTPUT", "VIGIL_TEST_FAIL_MARKER", "VIGIL_TEST_FAIL_AT", "VIGIL_TEST_PARALLELISM", "VIGIL_TEST_RATE"];
afterEach(() => VARS.forEach((v) => delete process.env[v]));

function input(n: number): string {
  const path = join(tmp(), "transactions.jsonl");
  writeFileSync(path, generateTransactions(n, 300).map((t) => JSON.stringify(t)).join("\n") + "\n");
  return path;
}

/** The committed output of a fault-free run on the local executor. */
async function reference(path: string): Promise<string[]> {
  process.env.VIGIL_TEST_INPUT = path;
  process.env.VIGIL_TEST_OUTPUT = tmp();
  const env = new StreamExecutionEnvironment().enableCheckpointing(1000, { directory: tmp() });
  build(env);
  await env.execute("reference");
  const out = (await readCommitted<string>(process.env.VIGIL_TEST_OUTPUT, (l) => l)).sort();
  expect(out.length).toBeGreaterThan(1000);
  return out;
}

describe("checkpoints on the worker-thread executor", () => {
  it("restarts every worker from the latest checkpoint after a failure; the committed output equals a fault-free run's", async () => {
    const path = input(30_000);
    const expected = await reference(path);

    const output = tmp();
    Object.assign(process.env, {
      VIGIL_TEST_INPUT: path,
      VIGIL_TEST_OUTPUT: output,
      VIGIL_TEST_FAIL_MARKER: join(tmp(), "failed"),
      VIGIL_TEST_FAIL_AT: "9000",
      VIGIL_TEST_RATE: "30000",
    });
    const env = new StreamExecutionEnvironment()
      .enableCheckpointing(100, { directory: tmp() })
      .setRestartStrategy(RestartStrategies.fixedDelay(5, 50));
    build(env);
    env.setExecutor(new WorkerExecutor({ jobModule, threads: 2 }));
    const client = await env.executeAsync("workers with a failure");
    await client.getJobExecutionResult();
    const checkpoints = client.getCheckpoints();
    expect(checkpoints.length).toBeGreaterThan(1);
    // the injected failure happened (in whichever worker's map saw its 9000th record first)
    expect(existsSync(process.env.VIGIL_TEST_FAIL_MARKER!)).toBe(true);
    const got = (await readCommitted<string>(output, (l) => l)).sort();
    expect(got.length).toBe(expected.length);
    expect(got).toEqual(expected);
  }, 120_000);

  it("stops with a savepoint at parallelism 2 and resumes it on three workers at parallelism 3", async () => {
    const path = input(30_000);
    const expected = await reference(path);

    const output = tmp();
    const checkpoints = tmp();
    Object.assign(process.env, { VIGIL_TEST_INPUT: path, VIGIL_TEST_OUTPUT: output, VIGIL_TEST_RATE: "15000" });
    const first = new StreamExecutionEnvironment().enableCheckpointing(100, { directory: checkpoints });
    build(first);
    first.setExecutor(new WorkerExecutor({ jobModule, threads: 2 }));
    const client = await first.executeAsync("first");
    await until(() => client.getCheckpoints().length >= 2, "two checkpoints");
    const savepoint = await client.stopWithSavepoint(join(checkpoints, "savepoints"));
    await client.getJobExecutionResult();
    const before = await readCommitted<string>(output, (l) => l);
    expect(before.length).toBeGreaterThan(0);
    expect(before.length).toBeLessThan(expected.length);

    process.env.VIGIL_TEST_PARALLELISM = "3";
    delete process.env.VIGIL_TEST_RATE;
    const second = new StreamExecutionEnvironment().enableCheckpointing(100, { directory: checkpoints }).restoreFrom(savepoint);
    build(second);
    second.setExecutor(new WorkerExecutor({ jobModule, threads: 3 }));
    await (await second.executeAsync("second")).getJobExecutionResult();
    const got = (await readCommitted<string>(output, (l) => l)).sort();
    expect(got).toEqual(expected);
  }, 120_000);

  it("takes a savepoint of a running worker job on request", async () => {
    const path = input(20_000);
    Object.assign(process.env, { VIGIL_TEST_INPUT: path, VIGIL_TEST_OUTPUT: tmp(), VIGIL_TEST_RATE: "10000" });
    const env = new StreamExecutionEnvironment();
    build(env);
    env.setExecutor(new WorkerExecutor({ jobModule, threads: 2 }));
    const client = await env.executeAsync("savepoint on request");
    const location = await client.triggerSavepoint(tmp());
    expect(location).toMatch(/savepoint-/);
    await expect(client.triggerCheckpoint()).rejects.toThrow(/no checkpointing enabled/);
    await client.cancel();
    expect(client.getJobStatus()).toBe("CANCELED");
  }, 60_000);
});
