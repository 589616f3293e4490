/**
 * `kafka-pipeline`: Kafka topic -> Vigil -> Kafka topic against a plain kafkajs consumer-producer
 * loop doing the same work, on librdkafka's mock cluster (3 brokers on 127.0.0.1, built from
 * tools/kafka-mock) unless `--brokers` names a real cluster.
 *
 * Both sides read the same input topic (4 partitions) from the earliest offset in a fresh consumer
 * group, decode each message with `Deserializers.json()`, key it by card, evaluate "a small
 * transaction (amount < 5) directly followed by a large one (amount > 500) on the same card" and
 * produce each alert, keyed by its id, to an output topic with acks from all replicas.
 *
 * - Vigil: `KafkaSource` ->
 *   `keyBy(card)` -> `CEP.pattern(...)` -> `KafkaSink` (at-least-once), parallelism 1,
 *   checkpoints every second (offsets committed to the group on each).
 * - Baseline: kafkajs `consumer.run({ eachBatch })`, a `Map` of each card's previous transaction,
 *   one `producer.send` of the batch's alerts awaited per fetched batch, offsets committed by
 *   kafkajs's auto-commit.
 *
 * Both are timed from their first record, so connecting, reading metadata and joining the group
 * are not counted, to the last alert acknowledged (for Vigil: the job's end).
 *
 * Runnable: `npm run build && node dist/bench/connectors/kafka.js [--messages 200000] [--cards 1000]
 * [--runs 3] [--brokers host:port,...]`; `runKafkaBench(opts)` for other scripts.
 */
import { rmSync } from "node:fs";
import { Kafka, Partitioners, logLevel, type Producer } from "kafkajs";
import { CEP, Pattern } from "../../src/cep/index.js";
import { Deserializers, Serializers } from "../../src/connectors/format.js";
import { KafkaSink } from "../../src/connectors/kafka/sink.js";
import { KafkaSource } from "../../src/connectors/kafka/source.js";
import { StreamExecutionEnvironment, WatermarkStrategy, type Sink } from "../../src/runtime/index.js";
import { KafkaMockCluster } from "../../tools/kafka-mock/index.js";
import {
  alertId,
  compareRuns,
  fmt,
  generateTxns,
  intArg,
  isLarge,
  isSmall,
  parseArgs,
  tempDir,
  waitFor,
  type BenchAlert,
  type BenchTxn,
  type ConnectorBenchResult,
  type Log,
} from "./common.js";

/** Options of {@link runKafkaBench}. */
export interface KafkaBenchOptions {
  /** Input messages (default 200 000). */
  readonly messages?: number;
  /** Distinct cards (default 1000). */
  readonly cards?: number;
  /** Timed runs per side, alternating (default 3; the median is reported). */
  readonly runs?: number;
  /** A real cluster; default: a mock cluster started for the run. */
  readonly brokers?: readonly string[];
  /** Where the `#` lines go (default stdout). */
  readonly log?: Log;
}

const PARTITIONS = 4;
const RUN_TIMEOUT_MS = 120_000;

/** Runs the benchmark and returns its result (also printed through `log`, with the JSON line). */
export async function runKafkaBench(opts: KafkaBenchOptions = {}): Promise<ConnectorBenchResult> {
  const messages = opts.messages ?? 200_000;
  const cards = opts.cards ?? 1000;
  const runs = opts.runs ?? 3;
  const log = opts.log ?? ((l: string) => console.log(l));
  const mock = opts.brokers === undefined ? await KafkaMockCluster.start(3) : undefined;
  const brokers = opts.brokers ?? mock!.brokers;
  const kafka = new Kafka({ brokers: [...brokers], clientId: "vigil-bench", logLevel: logLevel.NOTHING });
  const suffix = Math.random().toString(36).slice(2, 8);
  const input = `bench-in-${suffix}`;
  const createTopic = async (name: string) => {
    if (mock !== undefined) await mock.createTopic(name, PARTITIONS);
    else {
      const admin = kafka.admin();
      await admin.connect();
      await admin.createTopics({ topics: [{ topic: name, numPartitions: PARTITIONS }] });
      await admin.disconnect();
    }
  };
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, idempotent: false });
  await producer.connect();
  try {
    const t0 = performance.now();
    const { payloads, alerts } = generateTxns(messages, cards);
    await createTopic(input);
    await produceAll(producer, input, payloads);
    log(
      `# ${fmt(messages)} transactions over ${fmt(cards)} cards produced to ${input} (${PARTITIONS} partitions, ${mock ? "mock cluster" : brokers.join(",")}) in ${((performance.now() - t0) / 1000).toFixed(1)} s; ${fmt(alerts)} alerts expected`,
    );
    return await compareRuns({
      bench: "kafka-pipeline",
      baseline: "kafkajs loop",
      messages,
      runs,
      log,
      extra: { alerts, cards, cluster: mock ? "librdkafka mock, 3 brokers" : "real" },
      runOnce: async (run) => {
        const outB = `bench-out-b-${suffix}-${run}`;
        await createTopic(outB);
        const baselineMs = await baselineRun(kafka, input, outB, messages, alerts, `bench-b-${suffix}-${run}`);
        const outV = `bench-out-v-${suffix}-${run}`;
        await createTopic(outV);
        const vigilMs = await vigilRun(brokers, input, outV, `bench-v-${suffix}-${run}`, alerts);
        for (const [name, topic] of [["baseline", outB], ["vigil", outV]] as const) {
          const stored = await countMessages(kafka, topic, alerts);
          if (stored < alerts) throw new Error(`${name} run ${run}: ${stored} alerts in ${topic}, expected ${alerts}`);
        }
        return { vigilMs, baselineMs };
      },
    });
  } finally {
    await producer.disconnect().catch(() => {});
    await mock?.stop();
  }
}

/** The sink, counting the records of each completed flush into `counter.acked` (what Kafka acknowledged). */
function acknowledged<T>(sink: Sink<T>, counter: { acked: number }): Sink<T> {
  return {
    async createWriter(ctx) {
      const w = await sink.createWriter(ctx);
      let written = 0;
      return {
        write(value, timestamp) {
          written++;
          w.write(value, timestamp);
        },
        async flush(end) {
          const n = written;
          written = 0;
          await w.flush?.(end);
          counter.acked += n;
        },
        snapshotState: w.snapshotState?.bind(w),
        notifyCheckpointComplete: w.notifyCheckpointComplete?.bind(w),
        notifyCheckpointAborted: w.notifyCheckpointAborted?.bind(w),
        close: w.close?.bind(w),
      };
    },
  };
}

/** Keyed by card, so a card's transactions stay in order in one partition (the pattern depends on that order). */
async function produceAll(producer: Producer, topic: string, payloads: readonly Uint8Array[]): Promise<void> {
  const decoder = new TextDecoder();
  for (let i = 0; i < payloads.length; i += 5000) {
    const messages = payloads.slice(i, i + 5000).map((p) => ({ key: (JSON.parse(decoder.decode(p)) as BenchTxn).card, value: Buffer.from(p) }));
    await producer.send({ topic, acks: -1, messages });
  }
}

/** Messages in a topic, counted by reading it from the start until `expected` arrived (or 10 s of nothing new). */
async function countMessages(kafka: Kafka, topic: string, expected: number): Promise<number> {
  const consumer = kafka.consumer({ groupId: `bench-count-${Math.random().toString(36).slice(2)}` });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  let n = 0;
  let lastChange = performance.now();
  await consumer.run({
    eachBatch: async ({ batch }) => {
      n += batch.messages.length;
      lastChange = performance.now();
    },
  });
  await waitFor(() => n >= expected || performance.now() - lastChange > 10_000, `${expected} messages in ${topic}`, 60_000, 20).catch(() => {});
  await consumer.disconnect();
  return n;
}

/**
 * The Vigil job; resolves to its wall time (ms) from its first record (connecting and reading
 * metadata are not counted, as for the baseline) until the sink's flushes have acknowledged every
 * expected alert.
 */
async function vigilRun(brokers: readonly string[], input: string, output: string, groupId: string, alerts: number): Promise<number> {
  const dir = tempDir("kafka");
  const counter = { acked: 0 };
  try {
    let start = 0;
    const env = new StreamExecutionEnvironment().enableCheckpointing(1000, { directory: dir });
    const txns = env
      .fromSource(
        new KafkaSource<BenchTxn>({ brokers, topics: [input], groupId, startFrom: "earliest", stopAt: "latest", batchSize: 4096, maxBufferedRecords: 50_000, deserializer: Deserializers.json() }),
        WatermarkStrategy.noWatermarks<BenchTxn>(),
        "txns",
      )
      .uid("txns")
      .map((t) => {
        if (start === 0) start = performance.now();
        return t;
      });
    const pattern = Pattern.begin<BenchTxn>("small").where(isSmall).next("large").where(isLarge);
    CEP.pattern(
      txns.keyBy((t) => t.card),
      pattern,
    )
      .inProcessingTime()
      .select((m): BenchAlert => ({ card: m.small[0].card, small: m.small[0].id, large: m.large[0].id }))
      .sinkTo(acknowledged(new KafkaSink<BenchAlert>({ name: "alerts", brokers, topic: output, key: alertId, serializer: Serializers.json() }), counter))
      .uid("alerts");
    const client = await env.executeAsync("kafka-bench");
    try {
      await waitFor(() => counter.acked >= alerts, "the Vigil job's alerts", RUN_TIMEOUT_MS, 1);
      return performance.now() - start;
    } finally {
      await client.cancel();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 }); // a cancelled checkpoint may still be writing
  }
}

/**
 * The plain kafkajs loop; resolves to its wall time (ms) from its first batch (joining the consumer
 * group is not counted, in the baseline's favour) until every message is consumed and every alert
 * acknowledged.
 */
async function baselineRun(kafka: Kafka, input: string, output: string, messages: number, alerts: number, groupId: string): Promise<number> {
  const decoder = Deserializers.json<BenchTxn>();
  const serializer = Serializers.json<BenchAlert>();
  let start = 0;
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, idempotent: false });
  const consumer = kafka.consumer({ groupId });
  await Promise.all([producer.connect(), consumer.connect()]);
  await consumer.subscribe({ topics: [input], fromBeginning: true });
  const last = new Map<string, BenchTxn>();
  let n = 0;
  let published = 0;
  await consumer.run({
    eachBatch: async ({ batch }) => {
      if (start === 0) start = performance.now();
      const out: Array<{ key: string; value: Buffer }> = [];
      for (const m of batch.messages) {
        const t = decoder.deserialize(m.value!, { channel: batch.topic });
        const prev = last.get(t.card);
        last.set(t.card, t);
        if (prev !== undefined && isSmall(prev) && isLarge(t)) {
          const a: BenchAlert = { card: t.card, small: prev.id, large: t.id };
          out.push({ key: alertId(a), value: Buffer.from(serializer.serialize(a)) });
        }
      }
      if (out.length > 0) await producer.send({ topic: output, acks: -1, messages: out });
      published += out.length;
      n += batch.messages.length;
    },
  });
  await waitFor(() => n >= messages, "the kafkajs loop to consume every message", RUN_TIMEOUT_MS, 1);
  const ms = performance.now() - start;
  await Promise.all([consumer.disconnect(), producer.disconnect()]);
  // partitions interleave differently from run to run, but a card's transactions stay in order within its partition
  if (published !== alerts) throw new Error(`baseline published ${published} alerts, expected ${alerts}`);
  return ms;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  await runKafkaBench({
    messages: intArg(args, "messages", 200_000),
    cards: intArg(args, "cards", 1000),
    runs: intArg(args, "runs", 3),
    ...(args.has("brokers") ? { brokers: args.get("brokers")!.split(",") } : process.env.KAFKA_BROKERS ? { brokers: process.env.KAFKA_BROKERS.split(",") } : {}),
  });
}

if (process.argv[1] !== undefined && /kafka\.(ts|js)$/.test(process.argv[1])) {
  main().catch((e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  });
}
