import { VigilError } from "../../errors.js";
import type { Logger } from "../../runtime/logger.js";
import { describe, errorType, isTransient, type Broker, type Cluster } from "./kafkajs-internals.js";

/** A partition of a topic. */
export interface TopicPartition {
  readonly topic: string;
  readonly partition: number;
}

/** "topic-partition", as Flink names a Kafka split. Unique: a partition number has no "-". */
export function tpKey(topic: string, partition: number): string {
  return `${topic}-${partition}`;
}

/** Where a partition without a position starts. */
export type OffsetSpec = "earliest" | "latest" | { readonly timestamp: number };

/** A committed offset and the metadata string stored with it. */
export interface CommittedOffset {
  readonly offset: number;
  readonly metadata: string | null;
}

/** Every topic the subscription names (a list, or a pattern over the cluster's topics), with its partition count. */
export async function resolveTopics(cluster: Cluster, topics: readonly string[] | RegExp, where: string): Promise<Map<string, number>> {
  let names: string[];
  if (topics instanceof RegExp) {
    const pattern = new RegExp(topics.source, topics.flags.replace(/[gy]/g, ""));
    const md = await cluster.metadata();
    names = md.topicMetadata.filter((t) => t.isInternal !== true && !t.topic.startsWith("__") && pattern.test(t.topic)).map((t) => t.topic);
    if (names.length === 0) return new Map();
  } else names = [...topics];
  try {
    await cluster.addMultipleTargetTopics(names);
    // a topic created after the cluster last looked: the metadata above may be older
    if (names.some((t) => cluster.findTopicPartitionMetadata(t).length === 0)) await cluster.refreshMetadata();
  } catch (e) {
    throw new VigilError(`${where}: cannot read the metadata of topics ${names.join(", ")}: ${describe(e)}`, {
      code: errorType(e) === "UNKNOWN_TOPIC_OR_PARTITION" ? "KAFKA_TOPIC_NOT_FOUND" : "KAFKA_METADATA_FAILED",
      retriable: isTransient(e),
      cause: e,
    });
  }
  const out = new Map<string, number>();
  for (const t of names.sort()) {
    const n = cluster.findTopicPartitionMetadata(t).length;
    if (n === 0) throw new VigilError(`${where}: topic "${t}" does not exist or has no partitions`, { code: "KAFKA_TOPIC_NOT_FOUND" });
    out.set(t, n);
  }
  return out;
}

/**
 * The offset `spec` names for each partition (ListOffsets): the first, the end (the next offset to
 * be written), or the first record whose timestamp is at or after `timestamp`, and the end where
 * no record is that recent (Kafka answers -1 then).
 */
export async function listOffsets(cluster: Cluster, tps: readonly TopicPartition[], spec: OffsetSpec): Promise<Map<string, number>> {
  const byTopic = new Map<string, Array<{ partition: number }>>();
  for (const tp of tps) {
    let list = byTopic.get(tp.topic);
    if (list === undefined) byTopic.set(tp.topic, (list = []));
    list.push({ partition: tp.partition });
  }
  if (byTopic.size === 0) return new Map();
  await cluster.addMultipleTargetTopics([...byTopic.keys()]);
  const request = [...byTopic].map(([topic, partitions]) =>
    typeof spec === "object" ? { topic, partitions, fromTimestamp: spec.timestamp } : { topic, partitions, fromBeginning: spec === "earliest" },
  );
  const out = new Map<string, number>();
  const missing: TopicPartition[] = [];
  for (const { topic, partitions } of await cluster.fetchTopicsOffset(request)) {
    for (const { partition, offset } of partitions) {
      const n = Number(offset);
      if (n >= 0) out.set(tpKey(topic, partition), n);
      else missing.push({ topic, partition });
    }
  }
  if (missing.length > 0 && typeof spec === "object") for (const [k, v] of await listOffsets(cluster, missing, "latest")) out.set(k, v);
  return out;
}

/** The group's committed offsets of these partitions, asked of the group's coordinator; partitions without one are absent. */
export async function fetchCommitted(coordinator: Broker, groupId: string, tps: readonly TopicPartition[]): Promise<Map<string, CommittedOffset>> {
  const byTopic = new Map<string, Array<{ partition: number }>>();
  for (const tp of tps) {
    let list = byTopic.get(tp.topic);
    if (list === undefined) byTopic.set(tp.topic, (list = []));
    list.push({ partition: tp.partition });
  }
  const out = new Map<string, CommittedOffset>();
  if (byTopic.size === 0) return out;
  const { responses } = await coordinator.offsetFetch({ groupId, topics: [...byTopic].map(([topic, partitions]) => ({ topic, partitions })) });
  for (const { topic, partitions } of responses) {
    for (const p of partitions) {
      const n = Number(p.offset);
      if (n >= 0) out.set(tpKey(topic, p.partition), { offset: n, metadata: p.metadata });
    }
  }
  return out;
}

/** An offset to commit: the next offset the group should read. */
export interface OffsetToCommit extends TopicPartition {
  readonly offset: number;
  readonly metadata?: string;
}

/**
 * Commits offsets to the group: as a member (`generation`, `memberId`), or, with generation -1 and
 * an empty member id, as a client outside the group (accepted only while the group has no members).
 */
export async function commitOffsets(coordinator: Broker, groupId: string, generation: number, memberId: string, offsets: readonly OffsetToCommit[]): Promise<void> {
  if (offsets.length === 0) return;
  const byTopic = new Map<string, Array<{ partition: number; offset: string; metadata: string | null }>>();
  for (const o of offsets) {
    let list = byTopic.get(o.topic);
    if (list === undefined) byTopic.set(o.topic, (list = []));
    list.push({ partition: o.partition, offset: String(o.offset), metadata: o.metadata ?? null });
  }
  await coordinator.offsetCommit({ groupId, groupGenerationId: generation, memberId, topics: [...byTopic].map(([topic, partitions]) => ({ topic, partitions })) });
}

/** Delay before retry `attempt` (0-based): 100 ms doubling to `maxMs`, with ±20% jitter. */
export function backoffMs(attempt: number, maxMs = 5_000): number {
  const base = Math.min(maxMs, 100 * 2 ** Math.min(attempt, 16));
  return Math.round(base * (0.8 + Math.random() * 0.4));
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs `fn` until it succeeds, repeating it after transient errors (with backoff) up to `attempts`
 * times; a non-transient error, or the last transient one, is thrown. Failures are logged at debug.
 */
export async function retrying<T>(what: string, fn: () => Promise<T>, log: Logger, attempts = 8): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (e) {
      if (!isTransient(e) || attempt + 1 >= attempts) throw e;
      log.debug({ err: describe(e), attempt }, `${what} failed; retrying`);
      await sleep(backoffMs(attempt, 2_000));
    }
  }
}
