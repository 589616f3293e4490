import { afterAll, describe, expect, it } from "vitest";
import { LocalCheckpointStorage, RestartStrategies, StreamExecutionEnvironment, WatermarkStrategy, type CheckpointStorage } from "../../../src/index.js";
import { SlowListSource, TxnSink, tempDirs } from "./helpers.js";

const { tmp, cleanup } = tempDirs("vigil-failover-");
afterAll(cleanup);

const numbers = (n: number) => [Array.from({ length: n }, (_, i) => i)];

describe("failover", () => {
  it("gives up when the restart strategy does, with the last failure as the cause", async () => {
    let attempts = 0;
    const env = new StreamExecutionEnvironment().enableCheckpointing(5, { directory: tmp() }).setRestartStrategy(RestartStrategies.fixedDelay(2, 0));
    env
      .fromSource(new SlowListSource(numbers(50)), WatermarkStrategy.noWatermarks<number>(), "n")
      .map((x) => {
        if (x === 10) {
          attempts++;
          throw new Error("bad record 10");
        }
        return x;
      })
      .sinkTo(new TxnSink<number>());
    const client = await env.executeAsync("gives-up");
    await expect(client.getJobExecutionResult()).rejects.toThrow(/failed: .*bad record 10/);
    expect(attempts).toBe(3);
    expect(client.getJobStatus()).toBe("FAILED");
  });

  it("is RESTARTING while it waits, and cancel during the wait ends it", async () => {
    const env = new StreamExecutionEnvironment().enableCheckpointing(5, { directory: tmp() }).setRestartStrategy(RestartStrategies.fixedDelay(5, 60_000));
    env
      .fromSource(new SlowListSource(numbers(50)), WatermarkStrategy.noWatermarks<number>(), "n")
      .map((x) => {
        if (x === 10) throw new Error("boom");
        return x;
      })
      .sinkTo(new TxnSink<number>());
    const client = await env.executeAsync("restarting");
    const deadline = Date.now() + 5000;
    while (client.getJobStatus() !== "RESTARTING" && Date.now() < deadline) await new Promise((r) => setTimeout(r, 2));
    expect(client.getJobStatus()).toBe("RESTARTING");
    await client.cancel();
    expect(client.getJobStatus()).toBe("CANCELED");
    await expect(client.getJobExecutionResult()).rejects.toThrow(/cancelled/);
  });

  it("a checkpoint the storage cannot write fails the job over once it exceeds the tolerance; the restart recovers", async () => {
    const dir = tmp();
    const real = new LocalCheckpointStorage(dir);
    let failures = 0;
    const flaky: CheckpointStorage = {
      init: () => real.init(),
      load: (l) => real.load(l),
      latest: () => real.latest(),
      prune: (n) => real.prune(n),
      resetIncremental: () => real.resetIncremental(),
      write: async (s, o) => {
        if (s.checkpointId === 2 || s.checkpointId === 3) {
          failures++;
          throw new Error("disk full");
        }
        return real.write(s, o);
      },
    };
    const sink = new TxnSink<number>();
    const env = new StreamExecutionEnvironment()
      .enableCheckpointing(1, { storage: flaky, tolerableFailures: 1 })
      .setRestartStrategy(RestartStrategies.fixedDelay(3, 0));
    env.fromSource(new SlowListSource(numbers(3000), 5), WatermarkStrategy.noWatermarks<number>(), "n").sinkTo(sink);
    const client = await env.executeAsync("flaky");
    await client.getJobExecutionResult();
    expect(failures).toBe(2);
    expect(sink.committed.sort((a, b) => a - b)).toEqual(numbers(3000)[0]);
  });
});
