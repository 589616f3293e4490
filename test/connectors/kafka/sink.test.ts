import { Kafka, logLevel } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Serializers } from "../../../src/connectors/format.js";
import { KafkaSink } from "../../../src/connectors/kafka/sink.js";
import { RestartStrategies, StreamExecutionEnvironment, WatermarkStrategy, type SinkWriterContext } from "../../../src/runtime/index.js";
import { runtimeLogger } from "../../../src/runtime/logger.js";
import { KafkaMockCluster } from "../../../tools/kafka-mock/index.js";
import { FailureInjector, SlowListSource, tempDirs } from "../../runtime/checkpoint/helpers.js";

/*
 * The Kafka sink against librdkafka's mock cluster (3 brokers, the real Kafka protocol). The
 * mock serves produce, fetch and consumer groups; it keeps no transaction state (see the last
 * test and docs/kafka-sink.md), so exactly-once's guarantees are tested in sink-transactional.
 */

let mock: KafkaMockCluster;
const dirs = tempDirs("vigil-kafka-sink-");
const run = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
let topics = 0;

beforeAll(async () => {
  mock = await KafkaMockCluster.start(3);
});
afterAll(async () => {
  await mock?.stop();
  dirs.cleanup();
});

async function newTopic(partitions: number): Promise<string> {
  const name = `vigil-sink-${run}-${++topics}`;
  await mock.createTopic(name, partitions);
  return name;
}

function context(over: Partial<SinkWriterContext> = {}): SinkWriterContext {
  return { subtaskIndex: 0, parallelism: 1, log: runtimeLogger(), restoredState: [], attempt: "a", checkpointing: true, ...over };
}

interface Read {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly key: string | null;
  readonly value: string;
  readonly headers: Record<string, string>;
  readonly timestamp: string;
}

/** Polls until `cond` holds; fails after `ms`, naming `what` (the mock's group join alone takes about 3 s). */
async function waitFor(cond: () => boolean, what: string, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A plain kafkajs consumer of `topics`, from the beginning, in a group of its own. */
async function reader(...topicNames: string[]): Promise<{ messages: Read[]; until(n: number): Promise<void>; stop(): Promise<void> }> {
  const kafka = new Kafka({ brokers: mock.brokers, clientId: "vigil-test-reader", logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: `vigil-test-${run}-${Math.random().toString(36).slice(2)}`, maxWaitTimeInMs: 100 });
  const messages: Read[] = [];
  await consumer.connect();
  await consumer.subscribe({ topics: topicNames, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ topic, partition, message }) => {
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(message.headers ?? {})) headers[k] = String(v);
      messages.push({ topic, partition, offset: Number(message.offset), key: message.key?.toString() ?? null, value: String(message.value), headers, timestamp: message.timestamp });
    },
  });
  return {
    messages,
    until: (n) => waitFor(() => messages.length >= n, `${n} messages (have ${messages.length})`),
    stop: () => consumer.disconnect(),
  };
}

interface Alert {
  readonly id: number;
  readonly card: string;
}

describe("KafkaSink (mock cluster)", () => {
  it("writes keyed messages with headers: one key, one partition, in order, read back by a plain consumer", async () => {
    const topic = await newTopic(6);
    const r = await reader(topic);
    const alerts: Alert[] = Array.from({ length: 60 }, (_, i) => ({ id: i, card: `card-${i % 5}` }));
    const env = new StreamExecutionEnvironment().setParallelism(1);
    env.fromElements(...alerts).sinkTo(
      new KafkaSink<Alert>({
        name: "alerts",
        brokers: mock.brokers,
        topic,
        key: (a) => a.card,
        headers: (a) => ({ card: a.card, kind: "alert" }),
        serializer: "json",
      }),
    );
    await env.execute("kafka-keyed");
    await r.until(60);
    await r.stop();
    expect(r.messages.map((m) => JSON.parse(m.value) as Alert).sort((a, b) => a.id - b.id)).toEqual(alerts);
    const partitionsOf = new Map<string, Set<number>>();
    for (const m of r.messages) {
      expect(m.headers).toEqual({ card: m.key, kind: "alert" });
      expect(JSON.parse(m.value).card).toBe(m.key);
      partitionsOf.set(m.key!, (partitionsOf.get(m.key!) ?? new Set()).add(m.partition));
    }
    expect([...partitionsOf.values()].map((s) => s.size)).toEqual([1, 1, 1, 1, 1]);
    expect(new Set([...partitionsOf.values()].map((s) => [...s][0])).size).toBeGreaterThan(1); // keys spread
    for (const card of partitionsOf.keys()) {
      const ids = r.messages.filter((m) => m.key === card).sort((a, b) => a.offset - b.offset).map((m) => JSON.parse(m.value).id as number);
      expect(ids).toEqual([...ids].sort((a, b) => a - b));
    }
  });

  it("routes by a topic function with a user serializer and byte keys; a checkpoint resolves only once Kafka has the records", async () => {
    const [even, odd] = [await newTopic(2), await newTopic(2)];
    const r = await reader(even, odd);
    const sink = new KafkaSink<Alert>({
      name: "routed",
      brokers: mock.brokers,
      topic: (a) => (a.id % 2 === 0 ? even : odd),
      key: (a) => new TextEncoder().encode(a.card),
      serializer: Serializers.of<Alert>("semicolons", (a) => new TextEncoder().encode(`${a.id};${a.card}`)),
    });
    const w = await sink.createWriter(context());
    for (let i = 0; i < 20; i++) w.write({ id: i, card: `c${i % 3}` }, 1_700_000_000_000 + i);
    await w.snapshotState!(1); // no flush before: the checkpoint sends and waits
    await r.until(20); // all there, though nothing was flushed
    await w.close!();
    await r.stop();
    for (const m of r.messages) {
      const [id, card] = m.value.split(";");
      expect(m.topic).toBe(Number(id) % 2 === 0 ? even : odd);
      expect(m.key).toBe(card);
      expect(m.timestamp).toBe(String(1_700_000_000_000 + Number(id)));
    }
    expect(r.messages.map((m) => Number(m.value.split(";")[0])).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it("with guarantee none, a checkpoint does not wait for Kafka", async () => {
    const topic = await newTopic(1);
    const w = await new KafkaSink<string>({ name: "fire-and-forget", brokers: mock.brokers, topic, serializer: "string", guarantee: "none" }).createWriter(context());
    w.write("x", 0);
    expect(w.snapshotState!(1)).toBeUndefined();
    await w.flush!(true);
    await w.close!();
  });

  it("a job with checkpoints and a failure writes every record at least once", async () => {
    const topic = await newTopic(4);
    const r = await reader(topic);
    const n = 600;
    const failures = new FailureInjector([350]);
    const env = new StreamExecutionEnvironment()
      .setParallelism(2)
      .enableCheckpointing(20, { directory: dirs.tmp() })
      .setRestartStrategy(RestartStrategies.fixedDelay(1, 0));
    const splits = [0, 1].map((s) => Array.from({ length: n / 2 }, (_, i) => String(s * (n / 2) + i)));
    env
      .fromSource(new SlowListSource(splits, 10), WatermarkStrategy.noWatermarks(), "numbers")
      .map((v) => (failures.tick(), v))
      .sinkTo(new KafkaSink<string>({ name: "numbers", brokers: mock.brokers, topic, key: (v) => v, serializer: "string" }));
    await env.execute("kafka-at-least-once");
    expect(failures.failures).toBe(1);
    await waitFor(() => new Set(r.messages.map((m) => m.value)).size >= n, `${n} distinct values`);
    await r.stop();
    expect([...new Set(r.messages.map((m) => Number(m.value)))].sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i));
  });

  it("loses nothing when a partition leader goes down and comes back while writing", async () => {
    const topic = await newTopic(6);
    await mock.setLeader(topic, 0, 2);
    const w = await new KafkaSink<string>({ name: "resilient", brokers: mock.brokers, topic, key: (v) => v, serializer: "string" }).createWriter(context());
    let n = 0;
    let back: Promise<void> | undefined;
    try {
      for (let batch = 0; batch < 30; batch++) {
        for (let k = 0; k < 20; k++) w.write(String(n++), 0);
        if (batch === 5) {
          await mock.brokerDown(2);
          back = new Promise((r) => setTimeout(r, 1_000)).then(() => mock.brokerUp(2));
        }
        await w.flush!(false); // waits through kafkajs's retries while broker 2 is down
      }
      await w.snapshotState!(1);
    } finally {
      await back;
    }
    await w.close!();
    const r = await reader(topic);
    await waitFor(() => new Set(r.messages.map((m) => m.value)).size >= n, `${n} distinct values`);
    await r.stop();
    expect([...new Set(r.messages.map((m) => Number(m.value)))].sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i));
  });

  it("retries produce requests that fail with retriable errors (NOT_LEADER_FOR_PARTITION, REQUEST_TIMED_OUT)", async () => {
    const topic = await newTopic(3);
    const w = await new KafkaSink<string>({ name: "retrying", brokers: mock.brokers, topic, key: (v) => v, serializer: "string" }).createWriter(context());
    await mock.injectErrors(0, 6, 3);
    await mock.injectErrors(0, 7, 2);
    for (let i = 0; i < 50; i++) w.write(String(i), 0);
    await w.flush!(false);
    for (let i = 50; i < 100; i++) w.write(String(i), 0);
    await w.snapshotState!(1);
    await w.close!();
    const r = await reader(topic);
    await r.until(100);
    await r.stop();
    expect([...new Set(r.messages.map((m) => Number(m.value)))].sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i));
  });

  it("fails the job with a clear error on a non-retriable produce error", async () => {
    const topic = await newTopic(1);
    await mock.injectErrors(0, 10, 1); // MESSAGE_TOO_LARGE
    const env = new StreamExecutionEnvironment().setParallelism(1);
    env.fromElements("a", "b", "c").sinkTo(new KafkaSink<string>({ name: "alerts-out", brokers: mock.brokers, topic, serializer: "string" }));
    await expect(env.execute("kafka-fails")).rejects.toThrow(
      new RegExp(`sink "alerts-out" subtask 0: sending 3 records to topic "${topic}" via broker 127\\.0\\.0\\.1:\\d+.* failed: MESSAGE_TOO_LARGE: .*lower maxBatchSize`),
    );
  });

  it("fails at once, naming the record's fault, when a record cannot become a message", async () => {
    const topic = await newTopic(1);
    const w = await new KafkaSink<{ v: number }>({ name: "strict", brokers: mock.brokers, topic, serializer: "json", headers: (r) => ({ v: r.v as unknown as string }) }).createWriter(
      context(),
    );
    expect(() => w.write({ v: 1 }, 0)).toThrow(/sink "strict": header "v" is number 1; header values are strings/);
    const j = await new KafkaSink<unknown>({ name: "strict", brokers: mock.brokers, topic, serializer: "json" }).createWriter(context());
    expect(() => j.write(1n, 0)).toThrow(/sink "strict": serializer "json" threw for a record/);
    await Promise.all([w.close!(), j.close!()]);
  });

  it("exactly-once runs its transactional requests against the mock, in a writer and in a job that restarts (the mock neither isolates nor fences: only the wiring is shown)", async () => {
    const topic = await newTopic(3);
    const r = await reader(topic);
    const sink = (prefix: string) =>
      new KafkaSink<string>({ name: "eo", brokers: mock.brokers, topic, key: (v) => v, serializer: "string", guarantee: "exactly-once", transactionalIdPrefix: `vigil-${run}-${prefix}` });
    // a writer: InitProducerId, AddPartitionsToTxn, transactional Produce, EndTxn; then a restore resumes checkpoint 2's transaction
    const w = await sink("w").createWriter(context());
    for (let i = 0; i < 10; i++) w.write(String(i), 0);
    await w.snapshotState!(1);
    await w.notifyCheckpointComplete!(1);
    w.write("10", 0);
    const s2 = structuredClone(await w.snapshotState!(2));
    const restored = await sink("w").createWriter(context({ restoredState: [s2], attempt: "b" }));
    restored.write("11", 0);
    await restored.snapshotState!(1);
    await restored.notifyCheckpointComplete!(1);
    await restored.close!();
    await w.close!();
    // a job that fails once and restores from its latest checkpoint
    const failures = new FailureInjector([450]); // late, so that a restore usually finds checkpoints with pending transactions
    const env = new StreamExecutionEnvironment()
      .setParallelism(2)
      .enableCheckpointing(20, { directory: dirs.tmp() })
      .setRestartStrategy(RestartStrategies.fixedDelay(1, 0));
    const splits = [0, 1].map((s) => Array.from({ length: 300 }, (_, i) => String(100 + s * 300 + i)));
    env
      .fromSource(new SlowListSource(splits, 10), WatermarkStrategy.noWatermarks(), "numbers")
      .map((v) => (failures.tick(), v))
      .sinkTo(sink("job"));
    await env.execute("kafka-exactly-once-on-mock");
    expect(failures.failures).toBe(1);
    const expected = [...Array.from({ length: 12 }, (_, i) => i), ...Array.from({ length: 600 }, (_, i) => 100 + i)];
    await waitFor(() => new Set(r.messages.map((m) => m.value)).size >= expected.length, `${expected.length} distinct values`);
    await r.stop();
    expect([...new Set(r.messages.map((m) => Number(m.value)))].sort((a, b) => a - b)).toEqual(expected);
  });
});
