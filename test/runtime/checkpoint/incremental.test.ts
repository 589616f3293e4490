import { tempDirs, until } from "./helpers.js";
import { afterAll, describe, expect, it } from "vitest";
import { CollectSink, InMemorySource, StreamExecutionEnvironment, WatermarkStrategy, findLatestCheckpoint, levelDbBackend } from "../../../src/index.js";

const { tmp, cleanup } = tempDirs("vigil-incr-");
afterAll(cleanup);


function job(source: InMemorySource<number>, sink: CollectSink<string>, ckpt: string, restore?: string) {
  const env = new StreamExecutionEnvironment().setParallelism(2).setStateBackend(levelDbBackend({ directory: tmp(), cacheEntries: 100 }));
  env.enableCheckpointing(0, { directory: ckpt });
  if (restore !== undefined) env.restoreFrom(restore);
  env
    .fromSource(source, WatermarkStrategy.noWatermarks<number>(), "keys")
    .uid("keys")
    .keyBy((k) => k)
    .reduce((a, b) => a + b)
    .uid("sums")
    .map((v) => String(v))
    .sinkTo(sink);
  return env;
}

describe("incremental checkpoints on LevelDB", () => {
  it("the second checkpoint writes only the key groups that changed, and restores the whole state", async () => {
    const ckpt = tmp();
    const source = new InMemorySource<number>();
    const sink = new CollectSink<string>();
    for (let k = 0; k < 5000; k++) source.push(k);
    const client = await job(source, sink, ckpt).executeAsync("incr");
    await until(() => sink.values.length >= 5000);
    const first = await client.triggerCheckpoint();
    source.push(7, 7, 7); // one key: one key group changes
    await until(() => sink.values.length >= 5003);
    const second = await client.triggerCheckpoint();
    expect(second.bytesWritten).toBeLessThan(first.bytesWritten / 10);
    expect(second.size).toBeGreaterThan(first.size * 0.9);
    await client.cancel();

    // restore the incremental checkpoint: every key's sum, the changed one included
    const latest = await findLatestCheckpoint(ckpt);
    expect(latest).toBe(second.location);
    source.push(7, 4999);
    source.end();
    const sink2 = new CollectSink<string>();
    await (await job(source, sink2, tmp(), latest).executeAsync("incr")).getJobExecutionResult();
    expect(sink2.values.sort()).toEqual([String(7 * 5), String(4999 * 2)].sort());
  });
});
