import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { StreamExecutionEnvironment } from "../../../src/runtime/index.js";
import { WorkerExecutor } from "../../../src/runtime/executor/worker-executor.js";
import build from "../jobs/keyed-sum-job.js";

const dir = mkdtempSync(join(tmpdir(), "vigil-worker-metrics-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it("the worker-thread executor reports checkpoint statistics, not the subtasks (they live in the workers)", async () => {
  const env = new StreamExecutionEnvironment().enableCheckpointing(0, { directory: dir });
  build(env, 2);
  env.setExecutor(new WorkerExecutor({ jobModule: new URL("../jobs/keyed-sum-job.ts", import.meta.url), threads: 2 }));
  const client = await env.executeAsync("on threads");
  await client.getJobExecutionResult();
  const m = client.getMetrics();
  expect(m.status).toBe("FINISHED");
  expect(m.subtasksReported).toBe(false);
  expect(m.subtasks).toEqual([]);
  // the final checkpoint of the bounded job, taken by the main thread's coordinator
  expect(m.checkpoints.completed).toBeGreaterThanOrEqual(1);
  expect(m.checkpoints.lastCompleted?.sizeBytes).toBeGreaterThan(0);
});
