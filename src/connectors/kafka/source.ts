import { VigilError } from "../../errors.js";
import type { Source, SourceReader, SourceReaderContext } from "../../runtime/index.js";
import { runtimeLogger } from "../../runtime/logger.js";
import type { DeadLetterHandler } from "../dead-letter.js";
import { resolveDeserializer, type Deserializer } from "../format.js";
import { createKafkaClient, type KafkaConnectionOptions } from "./client.js";
import { GroupMember } from "./group-member.js";
import { describe, isTransient, openCluster, READ_COMMITTED, READ_UNCOMMITTED, type Cluster } from "./kafkajs-internals.js";
import { fetchCommitted, listOffsets, resolveTopics, retrying, tpKey, type TopicPartition } from "./offsets.js";
import { KafkaSourceReader, type ReaderConfig } from "./source-reader.js";
import { DISCOVERY_SPLIT_ID, type KafkaPartitionSplit, type KafkaSplit } from "./splits.js";

export type { KafkaDiscoverySplit, KafkaGroupSplit, KafkaPartitionSplit, KafkaSplit } from "./splits.js";

/** Where partitions start: the first offset, the end, the group's committed offsets, or the first record at or after a time (ms). */
export type KafkaStartFrom = "earliest" | "latest" | "committed" | { readonly timestamp: number };

/** Options of a {@link KafkaSource}. Connection options (brokers, TLS, SASL) as the Kafka client's. */
export interface KafkaSourceOptions<T> extends KafkaConnectionOptions {
  /** Topics to read: a list, or a pattern matched against the cluster's topics (internal ones excluded). */
  readonly topics: readonly string[] | RegExp;
  /**
   * The consumer group. Group mode: required, the group the members share. Vigil mode: optional;
   * checkpointed offsets are committed to it when a checkpoint completes (so tools see the lag),
   * and `startFrom: "committed"` reads it.
   */
  readonly groupId?: string;
  /**
   * "vigil" (default): partitions are splits that the runtime deals to the subtasks; exactly-once
   * with checkpoints. "group": Kafka's group protocol deals partitions to the members, so several
   * Vigil jobs (or processes) share the topics; exactly-once across rebalances with checkpoints.
   */
  readonly assignment?: "vigil" | "group";
  /** Where partitions start when there is no checkpoint (group mode: no committed offset either). Default "earliest". */
  readonly startFrom?: KafkaStartFrom;
  /** With `startFrom: "committed"`: where a partition the group has no offset for starts. Default "earliest". */
  readonly offsetReset?: "earliest" | "latest";
  /** "latest": a bounded source that reads up to the end offsets seen when the job started (vigil mode only). */
  readonly stopAt?: "latest";
  /** How values become records: "json" (default), "string", "bytes" or a Deserializer (e.g. `Deserializers.json({ schema })`). */
  readonly deserializer?: Deserializer<T> | "json" | "string" | "bytes";
  /** Receives records that do not deserialize (and tombstones), with topic, partition and offset. */
  readonly deadLetters?: DeadLetterHandler;
  /** Names the source in dead letters, logs and errors (default "kafka"). */
  readonly name?: string;
  /** Default "read_committed": records of aborted transactions are skipped, open ones are waited for. */
  readonly isolationLevel?: "read_committed" | "read_uncommitted";
  /** How often to look for new partitions and topics (ms; 0: only when a job starts). Default 300000. */
  readonly partitionDiscoveryIntervalMs?: number;
  /** Records emitted per poll, at most (default 2000). */
  readonly batchSize?: number;
  /** Records fetched ahead per subtask; fetching pauses above it (default 10000). */
  readonly maxBufferedRecords?: number;
  /** How long a fetch waits at a broker for new records (ms, default 500). */
  readonly fetchMaxWaitMs?: number;
  /** Bytes per fetch response (default 10 MiB) and per partition in it (default 1 MiB). */
  readonly fetchMaxBytes?: number;
  readonly maxBytesPerPartition?: number;
  /** Group mode: the member's session timeout (default 30000) and heartbeat interval (default 3000), in ms. */
  readonly sessionTimeoutMs?: number;
  readonly heartbeatIntervalMs?: number;
  /** Group mode: how long members may take to rejoin a rebalance (ms, default 60000). */
  readonly rebalanceTimeoutMs?: number;
  /** Group mode: how long a member stays in the group after its reader closed, for a restarted job to take it over (ms, default 30000). */
  readonly memberLingerMs?: number;
  /** Group mode, jobs without checkpoints: how long a revoked partition waits for a checkpoint before it is handed over anyway (ms, default 120000). */
  readonly handoffTimeoutMs?: number;
}

const DEFAULTS = {
  batchSize: 2000,
  maxBufferedRecords: 10_000,
  fetchMaxWaitMs: 500,
  fetchMaxBytes: 10 << 20,
  maxBytesPerPartition: 1 << 20,
  partitionDiscoveryIntervalMs: 300_000,
  sessionTimeoutMs: 30_000,
  heartbeatIntervalMs: 3_000,
  rebalanceTimeoutMs: 60_000,
  memberLingerMs: 30_000,
  handoffTimeoutMs: 120_000,
} as const;

type NumericOption = keyof typeof DEFAULTS;

/**
 * A Kafka source, after Flink's `KafkaSource`. In the default "vigil" assignment each partition
 * is a split: the partitions found at the start are dealt round-robin to the subtasks, each reads
 * its own from its own positions, checkpoints store the positions and a restore resumes from
 * them; completed checkpoints commit them to `groupId`. One subtask also holds the discovery
 * split and reads partitions created later. Records carry their partition as split (per-partition
 * watermarks) and their Kafka timestamp. With `assignment: "group"` a consumer group assigns the
 * partitions instead (see `GroupMember`). A record that does not deserialize goes to `deadLetters`;
 * it never stops the job.
 *
 * A source object belongs to one job: it keeps the partitions and start offsets it resolved first,
 * so that a job restarted before its first checkpoint starts from the same offsets.
 */
export class KafkaSource<T = unknown> implements Source<T, KafkaSplit> {
  readonly boundedness: "bounded" | "continuous";
  private readonly name: string;
  private readonly where: string;
  private readonly mode: "vigil" | "group";
  private readonly deserializer: Deserializer<T>;
  private readonly startFrom: KafkaStartFrom;
  private readonly numbers: Record<NumericOption, number>;
  private splits: KafkaSplit[] | undefined;
  private readonly members = new Map<number, GroupMember>();
  private deadLetters = 0;

  constructor(private readonly options: KafkaSourceOptions<T>) {
    this.name = options.name ?? "kafka";
    this.where = `kafka source "${this.name}"`;
    const fail = (what: string) => new VigilError(`${this.where}: ${what}`, { code: "SOURCE_CONFIG_INVALID" });
    const topics = options.topics;
    if (!(topics instanceof RegExp) && !(Array.isArray(topics) && topics.length > 0 && topics.every((t) => typeof t === "string" && /^[A-Za-z0-9._-]+$/.test(t)))) {
      throw fail("topics must be a non-empty list of topic names or a RegExp");
    }
    this.mode = options.assignment ?? "vigil";
    if (this.mode !== "vigil" && this.mode !== "group") throw fail(`assignment must be "vigil" or "group", got ${String(options.assignment)}`);
    if (options.groupId !== undefined && (typeof options.groupId !== "string" || options.groupId === "")) throw fail("groupId must be a non-empty string");
    if (this.mode === "group" && options.groupId === undefined) throw fail('assignment "group" needs a groupId');
    this.startFrom = options.startFrom ?? "earliest";
    const s = this.startFrom;
    if (!(s === "earliest" || s === "latest" || s === "committed" || (typeof s === "object" && s !== null && Number.isFinite(s.timestamp) && s.timestamp >= 0))) {
      throw fail('startFrom must be "earliest", "latest", "committed" or { timestamp: ms }');
    }
    if (s === "committed" && options.groupId === undefined) throw fail('startFrom "committed" needs a groupId');
    if (options.offsetReset !== undefined && options.offsetReset !== "earliest" && options.offsetReset !== "latest") throw fail('offsetReset must be "earliest" or "latest"');
    if (options.stopAt !== undefined && options.stopAt !== "latest") throw fail('stopAt must be "latest"');
    if (options.stopAt !== undefined && this.mode === "group") throw fail('stopAt works with assignment "vigil" only');
    if (options.isolationLevel !== undefined && options.isolationLevel !== "read_committed" && options.isolationLevel !== "read_uncommitted") {
      throw fail('isolationLevel must be "read_committed" or "read_uncommitted"');
    }
    this.numbers = { ...DEFAULTS };
    for (const key of Object.keys(DEFAULTS) as NumericOption[]) {
      const v = options[key];
      if (v === undefined) continue;
      const min = key === "partitionDiscoveryIntervalMs" ? 0 : 1;
      if (!(Number.isInteger(v) && v >= min)) throw fail(`${key} must be an integer >= ${min}, got ${v}`);
      this.numbers[key] = v;
    }
    if (this.numbers.heartbeatIntervalMs >= this.numbers.sessionTimeoutMs) throw fail("heartbeatIntervalMs must be below sessionTimeoutMs");
    this.deserializer = resolveDeserializer(options.deserializer, this.where);
    this.boundedness = options.stopAt === undefined ? "continuous" : "bounded";
  }

  /** Records that did not deserialize, seen by the readers in this process. */
  get deadLetterCount(): number {
    return this.deadLetters;
  }

  /**
   * Vigil mode: a split per partition with its start offset (and end offset when bounded), in
   * (partition, topic) order so that every topic spreads over the subtasks, then the discovery
   * split. Group mode: none (the group assigns partitions).
   */
  async createSplits(): Promise<KafkaSplit[]> {
    if (this.mode === "group") return [];
    if (this.splits !== undefined) return structuredClone(this.splits);
    const log = runtimeLogger().child({ source: this.name });
    const cluster = this.openCluster(log);
    try {
      await cluster.connect();
      const counts = await resolveTopics(cluster, this.options.topics, this.where);
      const tps: TopicPartition[] = [...counts].flatMap(([topic, n]) => Array.from({ length: n }, (_, partition) => ({ topic, partition })));
      tps.sort((a, b) => a.partition - b.partition || (a.topic < b.topic ? -1 : 1));
      const starts = await retrying("listing start offsets", () => this.startOffsets(cluster, tps), log);
      const ends = this.options.stopAt === "latest" ? await retrying("listing end offsets", () => listOffsets(cluster, tps, "latest"), log) : undefined;
      const splits: KafkaSplit[] = tps.map((tp): KafkaPartitionSplit => {
        const key = tpKey(tp.topic, tp.partition);
        const offset = starts.get(key) ?? 0;
        const end = ends?.get(key);
        return { splitId: key, kind: "partition", ...tp, offset: String(offset), ...(end === undefined ? {} : { stopAt: String(Math.max(end, offset)) }) };
      });
      if (this.boundedness === "continuous") splits.push({ splitId: DISCOVERY_SPLIT_ID, kind: "discovery", partitions: Object.fromEntries(counts) });
      log.info({ topics: [...counts.keys()], partitions: tps.length, startFrom: this.startFrom, bounded: ends !== undefined }, "kafka source splits");
      this.splits = splits;
      return structuredClone(splits);
    } catch (e) {
      if (e instanceof VigilError) throw e;
      throw new VigilError(`${this.where}: cannot list the partitions and offsets of ${String(this.options.topics)}: ${describe(e)}`, {
        code: "KAFKA_METADATA_FAILED",
        retriable: isTransient(e),
        cause: e,
      });
    } finally {
      await cluster.disconnect().catch(() => {});
    }
  }

  createReader(ctx: SourceReaderContext): SourceReader<T, KafkaSplit> {
    const config: ReaderConfig<T> = {
      name: this.name,
      where: this.where,
      mode: this.mode,
      bounded: this.boundedness === "bounded",
      topics: this.options.topics,
      commitGroupId: this.mode === "vigil" ? this.options.groupId : undefined,
      deserializer: this.deserializer,
      deadLetters: this.options.deadLetters,
      batchSize: this.numbers.batchSize,
      maxBufferedRecords: this.numbers.maxBufferedRecords,
      fetch: { isolationLevel: this.isolation(), maxWaitMs: this.numbers.fetchMaxWaitMs, maxBytes: this.numbers.fetchMaxBytes, maxPartitionBytes: this.numbers.maxBytesPerPartition },
      discoveryIntervalMs: this.numbers.partitionDiscoveryIntervalMs,
      handoffTimeoutMs: this.numbers.handoffTimeoutMs,
      openCluster: (log) => this.openCluster(log),
      member: this.mode === "group" ? (subtask) => this.memberFor(subtask, ctx.log) : undefined,
      countDeadLetter: () => void this.deadLetters++,
    };
    return new KafkaSourceReader(config, ctx);
  }

  /**
   * Group mode: leaves the group now. Members otherwise stay `memberLingerMs` after their job
   * ended (a restarting job takes them over). Call it after cancelling a group-mode job.
   */
  async close(): Promise<void> {
    await Promise.all([...this.members.values()].map((m) => m.close()));
  }

  private memberFor(subtask: number, log: SourceReaderContext["log"]): GroupMember {
    let member = this.members.get(subtask);
    if (member === undefined) {
      const n = this.numbers;
      const created: GroupMember = new GroupMember(
        this.openCluster(log),
        {
          groupId: this.options.groupId!,
          topics: this.options.topics,
          startFrom: this.startFrom,
          offsetReset: this.options.offsetReset ?? "earliest",
          sessionTimeoutMs: n.sessionTimeoutMs,
          rebalanceTimeoutMs: n.rebalanceTimeoutMs,
          heartbeatIntervalMs: n.heartbeatIntervalMs,
          lingerMs: n.memberLingerMs,
          discoveryIntervalMs: n.partitionDiscoveryIntervalMs,
          where: this.where,
        },
        log.child({ member: subtask }),
        () => {
          if (this.members.get(subtask) === created) this.members.delete(subtask);
        },
      );
      this.members.set(subtask, (member = created));
    }
    return member;
  }

  private isolation(): number {
    return this.options.isolationLevel === "read_uncommitted" ? READ_UNCOMMITTED : READ_COMMITTED;
  }

  private openCluster(log: SourceReaderContext["log"]): Cluster {
    return openCluster(createKafkaClient(this.options, this.where, log), this.isolation(), this.where);
  }

  /** Vigil mode: the first offset of each partition, from `startFrom`. */
  private async startOffsets(cluster: Cluster, tps: TopicPartition[]): Promise<Map<string, number>> {
    if (this.startFrom !== "committed") return listOffsets(cluster, tps, this.startFrom);
    const groupId = this.options.groupId!;
    const committed = await fetchCommitted(await cluster.findGroupCoordinator({ groupId }), groupId, tps);
    const missing = tps.filter((tp) => !committed.has(tpKey(tp.topic, tp.partition)));
    const out = await listOffsets(cluster, missing, this.options.offsetReset ?? "earliest");
    for (const [k, c] of committed) out.set(k, c.offset);
    return out;
  }
}
