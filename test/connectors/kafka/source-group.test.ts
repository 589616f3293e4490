import pino from "pino";
import { afterAll, describe, expect, it } from "vitest";
import { KafkaSource, type KafkaSourceOptions } from "../../../src/connectors/kafka/source.js";
import { RestartStrategies, StreamExecutionEnvironment, WatermarkStrategy, type JobClient } from "../../../src/runtime/index.js";
import { FailureInjector, TxnSink } from "../../runtime/checkpoint/helpers.js";
import { committedOffsets, duplicatesAndMissing, uniqueName, waitFor, type Produced, useMockCluster } from "./source-helpers.js";

/*
 * Group assignment: two Vigil jobs (as two services would) share a topic through one consumer
 * group. The mock's group coordinator takes 3 s for a group's first join and sessionTimeoutMs - 1 s
 * for a rebalance, so the timeouts here are short.
 */

const fx = useMockCluster("vigil-kafka-source-group-");
const { clients, dirs } = fx;
const sources: Array<KafkaSource<Produced>> = [];
afterAll(async () => {
  for (const s of sources) await s.close();
});

interface Service {
  readonly sink: TxnSink<number>;
  readonly client: JobClient;
  readonly logs: Array<{ msg: string; revoked?: string[]; assigned?: string[]; generation?: number }>;
}

/** One "service": a job reading the topic in group mode with checkpoints every 100 ms into an exactly-once sink. */
async function service(topic: string, groupId: string, failures?: FailureInjector, parallelism = 1): Promise<Service> {
  const options: KafkaSourceOptions<Produced> = {
    brokers: fx.mock.brokers,
    topics: [topic],
    groupId,
    assignment: "group",
    sessionTimeoutMs: 4_000,
    heartbeatIntervalMs: 200,
    batchSize: 5,
  };
  const source = new KafkaSource<Produced>(options);
  sources.push(source);
  const sink = new TxnSink<number>();
  const logs: Service["logs"] = [];
  const env = new StreamExecutionEnvironment()
    .setParallelism(parallelism)
    .enableCheckpointing(100, { directory: dirs.tmp() })
    .setRestartStrategy(RestartStrategies.fixedDelay(5, 50))
    .setLogger(pino({ level: "info" }, { write: (s: string) => void logs.push(JSON.parse(s)) }));
  env
    .fromSource(source, WatermarkStrategy.noWatermarks<Produced>(), "kafka")
    .uid("kafka")
    .map((v) => {
      failures?.tick();
      return v.id;
    })
    .uid("ids")
    .sinkTo(sink)
    .uid("sink");
  const client = await env.executeAsync(`group-${clients.length}`);
  clients.push(client);
  return { sink, client, logs };
}

describe("KafkaSource (group assignment)", () => {
  it(
    "shares a topic between two jobs: when the second joins, partitions are handed over with no record lost or repeated",
    async () => {
      const t = uniqueName("vigil-src-group");
      await fx.mock.createTopic(t, 4);
      const group = uniqueName("vigil-src-grp");
      await fx.producer.sendRange(t, 0, 200, 4);
      const a = await service(t, group);
      await waitFor(() => a.sink.committed.length >= 200, "job A's first records", 20_000);

      // records keep coming while B joins and the partitions move
      let next = 200;
      let producing = true;
      const background = (async () => {
        while (producing) {
          await fx.producer.sendRange(t, next, next + 20, 4);
          next += 20;
          await new Promise((r) => setTimeout(r, 30));
        }
      })();
      const b = await service(t, group);
      await waitFor(() => b.sink.committed.length >= 40, "job B's first committed records", 25_000);
      producing = false;
      await background;
      const total = next;
      await waitFor(() => a.sink.committed.length + b.sink.committed.length >= total, `all ${total} records committed by A or B`, 20_000);
      await new Promise((r) => setTimeout(r, 300)); // a duplicate would be committed by a later checkpoint

      const all = [...a.sink.committed, ...b.sink.committed];
      expect(duplicatesAndMissing(all, total)).toEqual({ duplicates: [], missing: [] });
      expect(all.length).toBe(total);
      // the partitions moved through a hand-over: A revoked two, B waited for them
      const handedOver = a.logs.filter((l) => l.msg === "partition handed over");
      expect(handedOver.length).toBe(2);
      const bAssigned = b.logs.filter((l) => l.msg === "group assignment").at(-1)?.assigned ?? [];
      expect(bAssigned.length).toBe(2);
      // every partition's committed offset is the end of the topic once both have checkpointed
      await a.client.triggerCheckpoint();
      await b.client.triggerCheckpoint();
      const deadline = Date.now() + 10_000;
      let offsets: Record<string, number> = {};
      while (Date.now() < deadline && Object.values((offsets = await committedOffsets(fx.mock, group, t, 4))).reduce((x, y) => x + y, 0) !== total) await new Promise((r) => setTimeout(r, 50));
      expect(Object.values(offsets).reduce((x, y) => x + y, 0)).toBe(total);
    },
    55_000,
  );

  it(
    "at parallelism 2 each subtask is a member; a job restarted after a failure keeps its members, so the group does not rebalance",
    async () => {
      const t = uniqueName("vigil-src-group");
      await fx.mock.createTopic(t, 4);
      const group = uniqueName("vigil-src-grp");
      await fx.producer.sendRange(t, 0, 100, 4);
      const failures = new FailureInjector([150]);
      const a = await service(t, group, failures, 2);
      await waitFor(() => a.sink.committed.length >= 100, "the first 100 records", 20_000);
      await fx.producer.sendRange(t, 100, 300, 4);
      await waitFor(() => failures.failures === 1 && a.sink.committed.length >= 300, "all 300 records after the restart", 20_000);
      await new Promise((r) => setTimeout(r, 300));
      expect(duplicatesAndMissing(a.sink.committed, 300)).toEqual({ duplicates: [], missing: [] });
      expect(a.sink.committed.length).toBe(300);
      const assignments = a.logs.filter((l) => l.msg === "group assignment");
      // both members joined the same generation, and the restart made no new one
      expect(new Set(assignments.map((l) => l.generation)).size).toBe(1);
      expect(assignments.map((l) => l.assigned?.length).sort()).toEqual([2, 2]);
      expect(a.logs.some((l) => l.msg === "job failed; restarting")).toBe(true);
    },
    40_000,
  );
});
