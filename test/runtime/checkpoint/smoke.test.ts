import { readdirSync } from "node:fs";
import { tempDirs } from "./helpers.js";
import { afterAll, describe, expect, it } from "vitest";
import { CollectSink, StreamExecutionEnvironment } from "../../../src/index.js";

const { tmp, cleanup } = tempDirs("vigil-ckpt-");
afterAll(cleanup);

describe("checkpoint smoke", () => {
  it("a bounded keyed job with checkpoints finishes with the right result and a final checkpoint", async () => {
    const dir = tmp();
    const env = new StreamExecutionEnvironment().setParallelism(2).enableCheckpointing(5, { directory: dir });
    const sink = new CollectSink<[number, number]>();
    env
      .fromSequence(1, 20000)
      .keyBy((x) => x % 7)
      .reduce((a, b) => a + b)
      .map((x) => [0, x] as [number, number])
      .sinkTo(sink);
    const client = await env.executeAsync("smoke");
    await client.getJobExecutionResult();
    expect(client.getCheckpoints().length).toBeGreaterThan(0);
    expect(readdirSync(dir).some((n) => n.startsWith("chk-"))).toBe(true);
    expect(sink.values.length).toBe(20000);
  });
});
