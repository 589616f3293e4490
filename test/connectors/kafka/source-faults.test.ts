import pino from "pino";
import { describe, expect, it } from "vitest";
import { KafkaSource } from "../../../src/connectors/kafka/source.js";
import { CollectSink, StreamExecutionEnvironment, WatermarkStrategy, type JobClient } from "../../../src/runtime/index.js";
import { committedOffsets, duplicatesAndMissing, uniqueName, waitFor, type Produced, useMockCluster } from "./source-helpers.js";

/*
 * Faults the mock cluster injects: a broker taken down and brought back, request errors on Fetch
 * (api key 1), ListOffsets (2) and OffsetCommit (8), and an error that is not retriable.
 */

const fx = useMockCluster("vigil-kafka-source-faults-");
const { clients, dirs } = fx;

/** A topic whose partition i is led by broker i mod 3 + 1. */
async function topic(partitions: number): Promise<string> {
  const name = uniqueName("vigil-src-fault");
  await fx.mock.createTopic(name, partitions);
  for (let p = 0; p < partitions; p++) await fx.mock.setLeader(name, p, (p % 3) + 1);
  return name;
}

async function start(source: KafkaSource<Produced>, logged?: string[], checkpointDir?: string): Promise<{ sink: CollectSink<Produced>; client: JobClient }> {
  const sink = new CollectSink<Produced>();
  const env = new StreamExecutionEnvironment();
  if (logged !== undefined) env.setLogger(pino({ level: "info" }, { write: (s: string) => logged.push(s) }));
  if (checkpointDir !== undefined) env.enableCheckpointing(0, { directory: checkpointDir });
  env.fromSource(source, WatermarkStrategy.noWatermarks<Produced>(), "kafka").sinkTo(sink);
  const client = await env.executeAsync("kafka-faults");
  clients.push(client);
  return { sink, client };
}

describe("KafkaSource under faults", () => {
  it(
    "goes on reading the other brokers' partitions while one broker is down, and catches up when it is back",
    async () => {
      const t = await topic(6); // broker 2 leads partitions 1 and 4
      const logged: string[] = [];
      const { sink, client } = await start(new KafkaSource<Produced>({ brokers: fx.mock.brokers, topics: [t], name: "down" }), logged);
      await fx.producer.sendRange(t, 0, 120, 6);
      await waitFor(() => sink.values.length >= 120, "the first 120 records");

      await fx.producer.sendTo(t, 120, 150, (id) => [1, 4][id % 2]); // on broker 2, maybe not fetched before it goes
      await fx.mock.brokerDown(2);
      const others = [0, 2, 3, 5];
      await fx.producer.sendTo(t, 150, 270, (id) => others[id % 4]);
      await waitFor(() => sink.values.filter((v) => v.id >= 150).length >= 120, "the records of brokers 1 and 3 while broker 2 is down");
      expect(sink.values.some((v) => v.id >= 150 && (v.p === 1 || v.p === 4))).toBe(false);

      await fx.mock.brokerUp(2);
      await fx.producer.sendRange(t, 270, 330, 6);
      await waitFor(() => sink.values.length >= 330, "every record after broker 2 is back", 30_000);
      await client.cancel();
      expect(duplicatesAndMissing(sink.values.map((v) => v.id), 330)).toEqual({ duplicates: [], missing: [] });
      const warned = logged.map((l) => JSON.parse(l) as { level: number; msg: string }).filter((l) => l.level === 40 && /^fetching from broker 127\.0\.0\.1:\d+ \(node 2\) failed/.test(l.msg));
      expect(warned.length).toBeGreaterThan(0);
    },
    45_000,
  );

  it(
    "rides out retriable errors injected into Fetch, ListOffsets and OffsetCommit requests",
    async () => {
      const t = await topic(3);
      const group = uniqueName("vigil-src-fault-group");
      await fx.producer.sendRange(t, 0, 90, 3);
      await fx.mock.injectErrors(2, 7, 2); // ListOffsets: REQUEST_TIMED_OUT, while the splits are made
      const { sink, client } = await start(new KafkaSource<Produced>({ brokers: fx.mock.brokers, topics: [t], groupId: group }), undefined, dirs.tmp());
      await waitFor(() => sink.values.length >= 90, "the first 90 records");
      await fx.mock.injectErrors(1, 6, 3); // Fetch: NOT_LEADER_FOR_PARTITION
      await fx.mock.injectErrors(1, 7, 3); // Fetch: REQUEST_TIMED_OUT
      await fx.producer.sendRange(t, 90, 180, 3);
      await waitFor(() => sink.values.length >= 180, "the records produced during the fetch errors", 30_000);
      await fx.mock.injectErrors(8, 7, 2); // OffsetCommit: REQUEST_TIMED_OUT
      await client.triggerCheckpoint();
      const deadline = Date.now() + 20_000;
      let committed: Record<string, number> = {};
      while (Date.now() < deadline && Object.values((committed = await committedOffsets(fx.mock, group, t, 3))).join() !== "60,60,60") await new Promise((r) => setTimeout(r, 50));
      expect(committed).toEqual({ [`${t}-0`]: 60, [`${t}-1`]: 60, [`${t}-2`]: 60 });
      await client.cancel();
      expect(duplicatesAndMissing(sink.values.map((v) => v.id), 180)).toEqual({ duplicates: [], missing: [] });
    },
    45_000,
  );

  it(
    "fails the job with an error naming the source, the partitions and the broker when an error is not retriable",
    async () => {
      const t = await topic(1);
      await fx.producer.sendRange(t, 0, 5, 1);
      const { sink, client } = await start(new KafkaSource<Produced>({ brokers: fx.mock.brokers, topics: [t], name: "audit" }));
      await waitFor(() => sink.values.length >= 5, "the first records");
      await fx.mock.injectErrors(1, 29, 1); // TOPIC_AUTHORIZATION_FAILED
      const error = await client.getJobExecutionResult().then(
        () => undefined,
        (e: unknown) => e as Error,
      );
      expect(error?.message).toBe(
        `job "kafka-faults" failed: kafka source "audit": fetching ${t}-0 from broker ${fx.mock.brokers[0]} (node 1) failed: TOPIC_AUTHORIZATION_FAILED: Not authorized to access topics: [Topic authorization failed]`,
      );
      expect((error?.cause as { code?: string } | undefined)?.code).toBe("KAFKA_FETCH_FAILED");
      expect(client.getJobStatus()).toBe("FAILED");
    },
    30_000,
  );
});
