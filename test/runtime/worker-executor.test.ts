import { describe, expect, it } from "vitest";
import { StreamExecutionEnvironment } from "../../src/runtime/index.js";
import { WorkerExecutor } from "../../src/runtime/executor/worker-executor.js";
import build, { buildWithCodec } from "./jobs/keyed-sum-job.js";
import { multiset } from "./helpers.js";

const jobModule = new URL("./jobs/keyed-sum-job.ts", import.meta.url);

async function runLocal(parallelism: number): Promise<string[]> {
  const env = new StreamExecutionEnvironment();
  const sink = build(env, parallelism);
  await env.execute();
  return sink.values;
}

describe("worker-thread executor", () => {
  it("gives the same results as the local executor at parallelism 1", async () => {
    const expected = await runLocal(1);
    expect(expected.length).toBeGreaterThan(1000);
    const env = new StreamExecutionEnvironment();
    const sink = build(env, 2);
    env.setExecutor(new WorkerExecutor({ jobModule, threads: 2 }));
    const result = await env.execute("on threads");
    expect(result.kind).toBe("finished");
    expect(multiset(sink.values)).toEqual(multiset(expected));
    // both workers produced output (keys are spread over both)
    expect(new Set(sink.records.map((r) => r.subtask)).size).toBe(2);
  });

  it("records cross threads through a declared record codec with the same results", async () => {
    const expected = await runLocal(1);
    const env = new StreamExecutionEnvironment();
    const sink = buildWithCodec(env);
    env.setExecutor(new WorkerExecutor({ jobModule, exportName: "buildWithCodec", threads: 2 }));
    await env.execute("codec");
    expect(multiset(sink.values)).toEqual(multiset(expected));
  });

  it("reports a job module without the export", async () => {
    const env = new StreamExecutionEnvironment();
    build(env, 2);
    env.setExecutor(new WorkerExecutor({ jobModule, exportName: "nope", threads: 2 }));
    await expect(env.execute()).rejects.toThrow(/no function export "nope"/);
  });
});
