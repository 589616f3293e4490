import { describe, expect, it } from "vitest";
import { KafkaSource } from "../../../src/connectors/kafka/source.js";
import { RestartStrategies, StreamExecutionEnvironment, WatermarkStrategy } from "../../../src/runtime/index.js";
import { FailureInjector, TxnSink } from "../../runtime/checkpoint/helpers.js";
import { committedOffsets, duplicatesAndMissing, uniqueName, waitFor, type Produced, useMockCluster } from "./source-helpers.js";

/*
 * Checkpoints with the Kafka source: partition offsets are split positions, a restore resumes from
 * them, and only a completed checkpoint commits them to the consumer group. The sink is the
 * in-memory exactly-once sink of the checkpoint tests (it commits a transaction per checkpoint).
 */

const fx = useMockCluster("vigil-kafka-source-");
const { clients, dirs } = fx;

async function topic(partitions: number): Promise<string> {
  const name = uniqueName("vigil-src-chk");
  await fx.mock.createTopic(name, partitions);
  return name;
}

/** Polls an async condition (a read from the fx.mock) until it holds. */
async function eventually(cond: () => Promise<boolean>, what: string, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function job(source: KafkaSource<Produced>, sink: TxnSink<number>, dir: string, restoreFrom?: string): StreamExecutionEnvironment {
  const env = new StreamExecutionEnvironment().enableCheckpointing(0, { directory: dir });
  if (restoreFrom !== undefined) env.restoreFrom(restoreFrom);
  env
    .fromSource(source, WatermarkStrategy.noWatermarks<Produced>(), "kafka")
    .uid("kafka")
    .map((v) => v.id)
    .uid("ids")
    .sinkTo(sink)
    .uid("sink");
  return env;
}

describe("KafkaSource checkpoints", () => {
  it(
    "resumes from a checkpoint with nothing lost or repeated, and commits offsets to the group only when a checkpoint completes",
    async () => {
      const t = await topic(4);
      const group = uniqueName("vigil-src-chk-group");
      const dir = dirs.tmp();
      const sink = new TxnSink<number>();
      const options = { brokers: fx.mock.brokers, topics: [t], groupId: group, batchSize: 16 };
      await fx.producer.sendRange(t, 0, 200, 4);

      const first = await job(new KafkaSource<Produced>(options), sink, dir).executeAsync("kafka-checkpoint");
      clients.push(first);
      await waitFor(() => sink.received.length >= 200, "the first 200 records");
      expect(await committedOffsets(fx.mock, group, t, 4)).toEqual({}); // read, but no checkpoint yet
      await fx.producer.sendRange(t, 200, 300, 4);
      await waitFor(() => sink.received.length >= 300, "300 records");
      const checkpoint = await first.triggerCheckpoint();
      expect([...sink.committed].sort((a, b) => a - b)).toEqual(Array.from({ length: 300 }, (_, i) => i));
      const at = { [`${t}-0`]: 75, [`${t}-1`]: 75, [`${t}-2`]: 75, [`${t}-3`]: 75 };
      await eventually(async () => JSON.stringify(await committedOffsets(fx.mock, group, t, 4)) === JSON.stringify(at), "the checkpoint's offsets in the group");

      // read after the checkpoint, then the job is gone: those records were never committed
      await fx.producer.sendRange(t, 300, 400, 4);
      await waitFor(() => sink.received.length >= 400, "400 records");
      await first.cancel();
      expect(sink.committed.length).toBe(300);
      expect(await committedOffsets(fx.mock, group, t, 4)).toEqual(at);

      const second = await job(new KafkaSource<Produced>(options), sink, dir, checkpoint.location).executeAsync("kafka-checkpoint");
      clients.push(second);
      await fx.producer.sendRange(t, 400, 500, 4);
      await waitFor(() => sink.received.length >= 600, "the replayed and the new records"); // 300..399 again, 400..499
      await second.triggerCheckpoint();
      await second.cancel();
      expect(duplicatesAndMissing(sink.committed, 500)).toEqual({ duplicates: [], missing: [] });
      expect(sink.committed.length).toBe(500);
      await eventually(async () => Object.values(await committedOffsets(fx.mock, group, t, 4)).every((o) => o === 125), "the second checkpoint's offsets");
    },
    40_000,
  );

  it(
    "restarts after failures from its last checkpoint, with nothing lost or repeated",
    async () => {
      const t = await topic(3);
      const sink = new TxnSink<number>();
      const failures = new FailureInjector([120, 330]);
      const env = new StreamExecutionEnvironment().enableCheckpointing(100, { directory: dirs.tmp() }).setRestartStrategy(RestartStrategies.fixedDelay(5, 50));
      env
        .fromSource(new KafkaSource<Produced>({ brokers: fx.mock.brokers, topics: [t], batchSize: 10 }), WatermarkStrategy.noWatermarks<Produced>(), "kafka")
        .uid("kafka")
        .map((v) => {
          failures.tick();
          return v.id;
        })
        .uid("ids")
        .sinkTo(sink)
        .uid("sink");
      await fx.producer.sendRange(t, 0, 250, 3);
      const client = await env.executeAsync("kafka-restarts");
      clients.push(client);
      await waitFor(() => sink.committed.length >= 250, "the first 250 records, committed");
      await fx.producer.sendRange(t, 250, 500, 3);
      await waitFor(() => sink.committed.length >= 500, "all 500 records, committed");
      await new Promise((r) => setTimeout(r, 300)); // a duplicate would be committed by a later checkpoint
      await client.cancel();
      expect(failures.failures).toBe(2);
      expect(duplicatesAndMissing(sink.committed, 500)).toEqual({ duplicates: [], missing: [] });
      expect(sink.committed.length).toBe(500);
    },
    40_000,
  );
});
