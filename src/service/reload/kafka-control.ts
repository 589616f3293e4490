import { hostname } from "node:os";
import { createKafkaClient } from "../../connectors/kafka/client.js";
import { describe, isTransient, openCluster, READ_COMMITTED, type Cluster, type RawMessage } from "../../connectors/kafka/kafkajs-internals.js";
import { listOffsets, resolveTopics, retrying, tpKey, type TopicPartition } from "../../connectors/kafka/offsets.js";
import { PartitionFetcher, type FetchedChunk } from "../../connectors/kafka/partition-fetcher.js";
import { VigilError } from "../../errors.js";
import type { KafkaControlConfig } from "../config/index.js";
import type { Logger } from "../log.js";
import { applyControlMessage, parseControlMessage, type ControlMessage, type ControlSubscription } from "./control-stream.js";
import type { Reloader } from "./reloader.js";

/** Tuning of the Kafka control stream (tests shorten it). */
export interface KafkaControlOptions {
  /** How long the start waits for the topic's backlog to be applied before going on without it (ms, default 30 s). */
  readonly catchUpTimeoutMs?: number;
  /** How long a fetch waits at a broker for new records (ms, default 500). */
  readonly fetchMaxWaitMs?: number;
}

/** Where a record came from, for the logs. */
interface Position {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
}

/**
 * The control stream on a Kafka topic, read the way Kafka Streams reads a global table: every
 * service reads every partition itself (assigned, no consumer group, nothing committed), from the
 * earliest offset, at each start. So every service of a fleet sees every change, and no group is
 * left behind per instance.
 *
 * At start the backlog (the records up to the end offsets of that moment) is reduced to the last
 * message per rule id, in partition order (key records by rule id so that a rule's changes share a
 * partition), and only that is applied: a rule whose last word is the version the folder already
 * has does nothing, and older versions are not replayed over newer ones. After the backlog each
 * record is applied as it arrives. Malformed records are logged with topic, partition and offset,
 * and skipped; tombstones (a null value: compaction's deletion markers) are skipped.
 */
export async function subscribeKafkaControl(config: KafkaControlConfig, reloader: Reloader, log: Logger, options: KafkaControlOptions = {}): Promise<ControlSubscription> {
  const where = `control stream (Kafka topic ${config.topic})`;
  const clog = log.child({ control: "kafka", topic: config.topic });
  const kafka = createKafkaClient(
    { ...(config.brokers !== undefined && { brokers: config.brokers }), clientId: `vigil-control-${hostname()}-${process.pid}` },
    where,
    clog,
  );
  const cluster: Cluster = openCluster(kafka, READ_COMMITTED, where);
  let tps: TopicPartition[];
  let ends: Map<string, number>;
  let starts: Map<string, number>;
  try {
    await retrying("connecting to Kafka", () => cluster.connect(), clog, 4);
    const counts = await resolveTopics(cluster, [config.topic], where);
    tps = Array.from({ length: counts.get(config.topic) ?? 0 }, (_, partition) => ({ topic: config.topic, partition }));
    starts = await retrying("listing start offsets", () => listOffsets(cluster, tps, "earliest"), clog);
    ends = await retrying("listing end offsets", () => listOffsets(cluster, tps, "latest"), clog);
  } catch (e) {
    await cluster.disconnect().catch(() => undefined);
    if (e instanceof VigilError) throw e;
    throw new VigilError(`${where}: cannot connect to Kafka and read the topic's partitions: ${describe(e)}`, { code: "KAFKA_CONNECT_FAILED", retriable: isTransient(e), cause: e });
  }

  let closed = false;
  /** Partitions still in the backlog, with the offset that ends it. */
  const behind = new Map<string, number>();
  for (const tp of tps) {
    const key = tpKey(tp.topic, tp.partition);
    const end = ends.get(key) ?? 0;
    if (end > (starts.get(key) ?? 0)) behind.set(key, end);
  }
  /** The backlog's last message per rule id (insertion order kept: the first seen goes first). */
  const backlog = new Map<string, { message: ControlMessage; at: Position }>();
  let caughtUp!: () => void;
  const backlogDone = new Promise<void>((resolve) => (caughtUp = resolve));
  let replaying = true;

  const chunks: FetchedChunk[] = [];
  let wakeWorker: (() => void) | undefined;
  let roomWaiters: Array<() => void> = [];
  let failure: VigilError | undefined;
  const wake = () => {
    const w = wakeWorker;
    wakeWorker = undefined;
    w?.();
  };
  const MAX_CHUNKS = 16;
  const fetcher = new PartitionFetcher(
    cluster,
    { isolationLevel: READ_COMMITTED, maxWaitMs: options.fetchMaxWaitMs ?? 500, maxBytes: 10 << 20, maxPartitionBytes: 1 << 20 },
    {
      deliver: (chunk) => {
        chunks.push(chunk);
        wake();
      },
      hasRoom: () => closed || chunks.length < MAX_CHUNKS,
      room: () => (closed || chunks.length < MAX_CHUNKS ? Promise.resolve() : new Promise((r) => roomWaiters.push(r))),
      fail: (e) => {
        failure = e;
        wake();
      },
    },
    clog,
    where,
  );
  for (const tp of tps) fetcher.assign(tp, starts.get(tpKey(tp.topic, tp.partition)) ?? 0);

  const parse = (m: RawMessage, at: Position): ControlMessage | undefined => {
    if (m.value === null) {
      clog.debug({ ...at }, "control stream: tombstone skipped");
      return undefined;
    }
    const parsed = parseControlMessage(m.value.toString("utf8"));
    if ("error" in parsed) {
      clog.error({ ...at, reason: parsed.error }, `control message skipped (${at.topic}-${at.partition} offset ${at.offset}): ${parsed.error}`);
      return undefined;
    }
    const key = m.key?.toString("utf8");
    const id = parsed.op === "put" ? parsed.document.id : parsed.id;
    if (key !== undefined && key !== "" && key !== id) clog.warn({ ...at, key, rule: id }, "control message's key is not its rule id: compaction keeps the last record per key, so key records by rule id");
    return parsed;
  };

  const apply = async (message: ControlMessage, at: Position, quietMissing: boolean): Promise<void> => {
    const reply = await applyControlMessage(message, reloader, log, quietMissing);
    if (!reply.ok && message.op === "put") clog.error({ ...at, rule: message.document.id, errors: reply.errors }, "control message rejected: the running version (if any) keeps running");
  };

  const finishBacklog = async (): Promise<void> => {
    replaying = false;
    const n = backlog.size;
    for (const { message, at } of backlog.values()) await apply(message, at, true);
    backlog.clear();
    clog.info({ rules: n }, "control stream caught up: the topic's last change of each rule is applied; listening for more");
    caughtUp();
  };

  const worker = (async () => {
    if (behind.size === 0) await finishBacklog();
    while (!closed) {
      if (failure !== undefined) throw failure;
      const chunk = chunks.shift();
      if (chunk === undefined) {
        await new Promise<void>((resolve) => (wakeWorker = resolve));
        continue;
      }
      const waiting = roomWaiters;
      roomWaiters = [];
      for (const r of waiting) r();
      const [topic, partition] = [config.topic, Number(chunk.key.slice(config.topic.length + 1))];
      for (const m of chunk.messages) {
        if (closed) return;
        const at: Position = { topic, partition, offset: m.offset };
        const parsed = parse(m, at);
        if (parsed === undefined) continue;
        if (replaying) {
          const id = parsed.op === "put" ? parsed.document.id : parsed.id;
          backlog.delete(id); // the last word goes last
          backlog.set(id, { message: parsed, at });
        } else await apply(parsed, at, false);
      }
      if (replaying) {
        const end = behind.get(chunk.key);
        if (end !== undefined && chunk.next >= end) behind.delete(chunk.key);
        if (behind.size === 0) await finishBacklog();
      }
    }
  })().catch((err: unknown) => {
    if (!closed) clog.error({ err }, "control stream failed: rule changes on the topic are no longer applied");
    caughtUp();
  });

  clog.info({ partitions: tps.length, backlog: Object.fromEntries(behind) }, "reading rule changes from the control stream (from the earliest offset, no consumer group)");
  const timeoutMs = options.catchUpTimeoutMs ?? 30_000;
  let timer: NodeJS.Timeout | undefined;
  const timedOut = await Promise.race([
    backlogDone.then(() => false),
    new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(true), timeoutMs);
    }),
  ]);
  clearTimeout(timer);
  if (timedOut) clog.warn({ afterMs: timeoutMs, partitionsBehind: [...behind.keys()] }, "the control stream's backlog is not read yet; starting with the folder's rules, the topic's changes follow when read");

  return {
    async close() {
      if (closed) return;
      closed = true;
      wake();
      for (const r of roomWaiters.splice(0)) r();
      await fetcher.close();
      await worker;
      await cluster.disconnect().catch(() => undefined);
    },
  };
}
