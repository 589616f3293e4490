import { Kafka, logLevel, Partitioners, type Producer } from "kafkajs";
import { openCluster, READ_COMMITTED } from "../../../src/connectors/kafka/kafkajs-internals.js";
import { commitOffsets, fetchCommitted } from "../../../src/connectors/kafka/offsets.js";
import { afterAll, beforeAll } from "vitest";
import type { JobClient } from "../../../src/runtime/index.js";
import { KafkaMockCluster } from "../../../tools/kafka-mock/index.js";
import { tempDirs } from "../../runtime/checkpoint/helpers.js";

/** A name no other test run uses (topics, groups). */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}

/** Polls until `cond` holds; fails after `ms` naming `what` (group joins on the mock take seconds). */
export async function waitFor(cond: () => boolean, what: string, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A record the tests produce: JSON `{ id, p }` into partition `p`, with a timestamp. */
export interface Produced {
  readonly id: number;
  readonly p: number;
}

/** A plain kafkajs producer (not idempotent: the mock has no controller), logging nothing. */
export class TestProducer {
  private constructor(private readonly producer: Producer) {}

  static async connect(mock: KafkaMockCluster): Promise<TestProducer> {
    const kafka = new Kafka({ brokers: mock.brokers, clientId: "vigil-source-test", logLevel: logLevel.NOTHING });
    const producer = kafka.producer({ idempotent: false, allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    return new TestProducer(producer);
  }

  /** Sends `{ id, p }` for ids from..to-1, id i into partition i mod partitions, timestamp `ts(i)`. */
  async sendRange(topic: string, from: number, to: number, partitions: number, ts: (i: number) => number = (i) => 1_700_000_000_000 + i): Promise<void> {
    await this.sendTo(topic, from, to, (id) => id % partitions, ts);
  }

  /** Sends `{ id, p }` for ids from..to-1, id i into partition `partitionOf(i)`. */
  async sendTo(topic: string, from: number, to: number, partitionOf: (id: number) => number, ts: (i: number) => number = (i) => 1_700_000_000_000 + i): Promise<void> {
    const messages = [];
    for (let id = from; id < to; id++) messages.push({ partition: partitionOf(id), value: JSON.stringify({ id, p: partitionOf(id) }), timestamp: String(ts(id)) });
    for (let i = 0; i < messages.length; i += 500) await this.producer.send({ topic, messages: messages.slice(i, i + 500) });
  }

  /** Sends raw values (null: a tombstone) into one partition. */
  async sendRaw(topic: string, partition: number, values: Array<string | null>): Promise<void> {
    await this.producer.send({ topic, messages: values.map((value) => ({ partition, value })) });
  }

  async close(): Promise<void> {
    await this.producer.disconnect();
  }
}

/** The group's committed offsets ("topic-partition" to offset), read as any client would. */
export async function committedOffsets(mock: KafkaMockCluster, groupId: string, topic: string, partitions: number): Promise<Record<string, number>> {
  const cluster = openCluster(new Kafka({ brokers: mock.brokers, logLevel: logLevel.NOTHING }), READ_COMMITTED, "test");
  try {
    await cluster.connect();
    const tps = Array.from({ length: partitions }, (_, partition) => ({ topic, partition }));
    const got = await fetchCommitted(await cluster.findGroupCoordinator({ groupId }), groupId, tps);
    return Object.fromEntries([...got].map(([k, v]) => [k, v.offset]));
  } finally {
    await cluster.disconnect();
  }
}

/** Commits offsets to a group from outside it, as a tool would. */
export async function commitFromOutside(mock: KafkaMockCluster, groupId: string, topic: string, offsets: Record<number, number>): Promise<void> {
  const cluster = openCluster(new Kafka({ brokers: mock.brokers, logLevel: logLevel.NOTHING }), READ_COMMITTED, "test");
  try {
    await cluster.connect();
    const list = Object.entries(offsets).map(([partition, offset]) => ({ topic, partition: Number(partition), offset }));
    await commitOffsets(await cluster.findGroupCoordinator({ groupId }), groupId, -1, "", list);
  } finally {
    await cluster.disconnect();
  }
}

/** Ids that occur more than once, and ids of 0..n-1 that are missing. */
export function duplicatesAndMissing(ids: readonly number[], n: number): { duplicates: number[]; missing: number[] } {
  const seen = new Map<number, number>();
  for (const id of ids) seen.set(id, (seen.get(id) ?? 0) + 1);
  const duplicates = [...seen].filter(([, c]) => c > 1).map(([id]) => id);
  const missing: number[] = [];
  for (let i = 0; i < n; i++) if (!seen.has(i)) missing.push(i);
  return { duplicates, missing };
}

/** The mock cluster, a producer, jobs to cancel and temporary directories of one test file (started in beforeAll, stopped in afterAll). */
export interface MockClusterFixture {
  readonly mock: KafkaMockCluster;
  readonly producer: TestProducer;
  readonly clients: JobClient[];
  readonly dirs: { tmp: () => string; cleanup: () => void };
}

export function useMockCluster(dirPrefix: string): MockClusterFixture {
  const fx = { clients: [] as JobClient[], dirs: tempDirs(dirPrefix) } as { mock: KafkaMockCluster; producer: TestProducer; clients: JobClient[]; dirs: MockClusterFixture["dirs"] };
  beforeAll(async () => {
    fx.mock = await KafkaMockCluster.start(3);
    fx.producer = await TestProducer.connect(fx.mock);
  });
  afterAll(async () => {
    for (const c of fx.clients) await c.cancel().catch(() => {});
    await fx.producer?.close();
    await fx.mock?.stop();
    fx.dirs.cleanup();
  });
  return fx;
}
