import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { JetStreamSink, JetStreamSource } from "../../../src/connectors/nats/index.js";
import { RestartStrategies, StreamExecutionEnvironment, WatermarkStrategy } from "../../../src/runtime/index.js";
import { FailureInjector, TxnSink, tempDirs } from "../../runtime/checkpoint/helpers.js";
import { eventually, NatsFixture } from "./helpers.js";

const { tmp, cleanup } = tempDirs("vigil-nats-job-");
let fx: NatsFixture;
beforeAll(async () => {
  fx = await NatsFixture.open();
});
afterAll(async () => {
  await fx.cleanup();
  cleanup();
});

type Txn = { id: string; card: string; amount: number };
type Alert = { id: string; card: string; amount: number; large: boolean };

const txns = (from: number, to: number, card: (i: number) => string): string[] =>
  Array.from({ length: to - from + 1 }, (_, k) => JSON.stringify({ id: `t${from + k}`, card: card(from + k), amount: (from + k) % 97 }));

describe("JetStream in checkpointed jobs", () => {
  it("a job that fails once in the middle restarts from its checkpoint, and the output stream holds every alert exactly once", async () => {
    const input = await fx.stream("crash_in");
    const output = await fx.stream("crash_out");
    const n = 2000;
    const quarter = n / 4;
    await fx.publish(`${input}.a`, txns(1, quarter, () => "a"));
    await fx.publish(`${input}.b`, txns(quarter + 1, 2 * quarter, () => "b"));
    const injector = new FailureInjector([(3 * n) / 4]);
    let mapped = 0;
    const sink = new JetStreamSink<Alert>({ subject: `${output}.alerts`, stream: output, msgId: (a) => a.id, maxBatchSize: 100 });
    const env = new StreamExecutionEnvironment()
      .setParallelism(2)
      .enableCheckpointing(100, { directory: tmp() })
      .setRestartStrategy(RestartStrategies.fixedDelay(3, 100));
    env
      .fromSource(
        new JetStreamSource<Txn>({ stream: input, consumer: "crash", filterSubjects: [`${input}.a`, `${input}.b`], batchSize: 50, fetchBatch: 200 }),
        WatermarkStrategy.noWatermarks<Txn>(),
        "txns",
      )
      .uid("txns")
      .map((t): Alert => {
        injector.tick();
        mapped++;
        return { id: t.id, card: t.card, amount: t.amount, large: t.amount > 90 };
      })
      .sinkTo(sink)
      .uid("alerts");
    const client = await env.executeAsync("jetstream-crash");
    try {
      // the first half is through a checkpoint before the rest comes, so the restore starts mid-stream
      await eventually(async () => (await fx.jsm.streams.info(output)).state.messages >= n / 2, "the first half of the alerts");
      await client.triggerCheckpoint();
      await fx.publish(`${input}.a`, txns(2 * quarter + 1, 3 * quarter, () => "a"));
      await fx.publish(`${input}.b`, txns(3 * quarter + 1, n, () => "b"));
      await eventually(async () => (await fx.jsm.streams.info(output)).state.messages >= n, `${n} alerts in the output stream`, 40_000);
      await client.triggerCheckpoint(); // everything read is through a checkpoint; nothing more can come
      expect(client.getJobStatus()).toBe("RUNNING");
    } finally {
      await client.cancel();
    }
    expect(injector.failures).toBe(1);
    expect(mapped).toBeGreaterThanOrEqual(n); // the failed record and those after the restored checkpoint ran again
    const stored = await fx.read(output);
    expect(stored).toHaveLength(n);
    const ids = stored.map((m) => m.msgId);
    expect(new Set(ids).size).toBe(n);
    expect([...ids].sort()).toEqual(Array.from({ length: n }, (_, i) => `t${i + 1}`).sort());
    expect(stored.every((m) => JSON.parse(m.data).id === m.msgId)).toBe(true);
    // what the replay published again, the stream dropped (sink.duplicateCount counts those acks)
    expect(sink.storedCount).toBe(n);
  }, 60_000);

  it("a job stopped with a savepoint and restored from it reads on from the checkpointed sequence: nothing lost, nothing twice", async () => {
    const input = await fx.stream("savepoint_in");
    await fx.publish(`${input}.x`, txns(1, 500, (i) => `c${i % 7}`));
    const sink = new TxnSink<string>();
    const dir = tmp();
    const build = () => {
      const env = new StreamExecutionEnvironment().enableCheckpointing(50, { directory: dir });
      env
        .fromSource(new JetStreamSource<Txn>({ stream: input, consumer: "job", batchSize: 20 }), WatermarkStrategy.noWatermarks<Txn>(), "txns")
        .uid("txns")
        .map((t) => t.id)
        .sinkTo(sink)
        .uid("ids");
      return env;
    };
    const first = await build().executeAsync("jetstream-savepoint");
    await eventually(() => sink.committed.length >= 200, "200 committed records");
    const savepoint = await first.stopWithSavepoint(tmp());
    await first.getJobExecutionResult();
    const before = sink.committed.length;
    expect(before).toBeGreaterThanOrEqual(200);
    await fx.publish(`${input}.x`, txns(501, 1000, (i) => `c${i % 7}`));

    const second = await build().restoreFrom(savepoint).executeAsync("jetstream-savepoint");
    try {
      await eventually(() => sink.committed.length >= 1000, "1000 committed records");
      await second.triggerCheckpoint();
      // the completed checkpoint acked everything it covered
      await eventually(async () => (await fx.ackFloor(input, "job")) === 1000, "the ack floor at the last message");
    } finally {
      await second.cancel();
    }
    expect(sink.committed).toHaveLength(1000);
    expect([...sink.committed].sort()).toEqual(Array.from({ length: 1000 }, (_, i) => `t${i + 1}`).sort());
  }, 60_000);
});
