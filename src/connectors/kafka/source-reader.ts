import { VigilError } from "../../errors.js";
import type { InputStatus, ReaderOutput, SourceReader, SourceReaderContext } from "../../runtime/index.js";
import { rawText, type DeadLetterHandler } from "../dead-letter.js";
import type { Deserializer, MessageMeta } from "../format.js";
import type { GroupReaderHooks, GroupMember } from "./group-member.js";
import { describe, isTransient, type Cluster, type RawMessage } from "./kafkajs-internals.js";
import { commitOffsets, listOffsets, resolveTopics, retrying, tpKey, type TopicPartition } from "./offsets.js";
import { PartitionFetcher, type FetchedChunk, type FetcherOptions } from "./partition-fetcher.js";
import { DISCOVERY_SPLIT_ID, type KafkaSplit } from "./splits.js";

/** What a reader needs of its source, resolved and validated. */
export interface ReaderConfig<T> {
  readonly name: string;
  /** `kafka source "name"`, for messages. */
  readonly where: string;
  readonly mode: "vigil" | "group";
  /** `stopAt` was given: the reader ends when every partition reached its end offset. */
  readonly bounded: boolean;
  readonly topics: readonly string[] | RegExp;
  /** Vigil mode: commit checkpointed offsets to this group. */
  readonly commitGroupId: string | undefined;
  readonly deserializer: Deserializer<T>;
  readonly deadLetters: DeadLetterHandler | undefined;
  readonly batchSize: number;
  readonly maxBufferedRecords: number;
  readonly fetch: FetcherOptions;
  readonly discoveryIntervalMs: number;
  readonly handoffTimeoutMs: number;
  readonly openCluster: (log: SourceReaderContext["log"]) => Cluster;
  /** Group mode: this subtask's member of the group. */
  readonly member: ((subtask: number) => GroupMember) | undefined;
  readonly countDeadLetter: () => void;
}

/** Dead letters logged one by one per partition; later ones are only counted. */
const LOGGED_PER_PARTITION = 10;
/** Checkpoint positions kept for commits; older ones are dropped (their checkpoints will not complete). */
const KEPT_SNAPSHOTS = 20;

interface PartState extends TopicPartition {
  readonly key: string;
  /** The split id records are emitted with ("topic-partition"): the runtime keeps a watermark per split. */
  readonly splitId: string;
  /** The next offset to emit. */
  position: number;
  readonly stopAt: number | undefined;
  finished: boolean;
  active: boolean;
  epoch: number;
  malformed: number;
}

interface Chunk extends FetchedChunk {
  index: number;
}

/**
 * Reads a Kafka source subtask's partitions, after Flink's `KafkaSourceReader`: fetched records
 * wait in a bounded buffer (fetching pauses while it is full) and `pollNext` emits a batch of them
 * without blocking, each with its partition as split (per-partition watermarks) and its Kafka
 * timestamp. A partition's position is the offset after the last record emitted; checkpoints store
 * it, and their completion commits it to the group. In group mode the partitions come and go with
 * the group's assignment (see `GroupMember`).
 */
export class KafkaSourceReader<T> implements SourceReader<T, KafkaSplit> {
  private readonly parts = new Map<string, PartState>();
  private readonly chunks: Chunk[] = [];
  private buffered = 0;
  private readonly toFinish: string[] = [];
  private error: unknown;
  private wakeAvailable: (() => void) | undefined;
  private availablePromise: Promise<void> | undefined;
  private readonly roomWaiters: Array<() => void> = [];
  private cluster: Cluster | undefined;
  private fetcher: PartitionFetcher | undefined;
  private discovery: { known: Record<string, number>; timer: NodeJS.Timeout | undefined } | undefined;
  private handoffTimer: NodeJS.Timeout | undefined;
  private readonly snapshots = new Map<number, Map<string, number>>();
  private lastSnapshotId = 0;
  private snapshotsTaken = 0;
  /** Group mode: partitions taken away, waiting for a checkpoint that covers their last position. */
  private readonly draining = new Map<string, { position: number; afterSnapshot: number; since: number }>();
  /** Group mode: positions from the restored checkpoint, for partitions this reader does not read now. */
  private readonly restored = new Map<string, number>();
  private member: GroupMember | undefined;
  private readonly hooks: GroupReaderHooks;
  private commitChain: Promise<void> = Promise.resolve();
  private committed = new Map<string, number>();
  private commitFailures = 0;
  private closed = false;
  private readonly log: SourceReaderContext["log"];

  constructor(
    private readonly config: ReaderConfig<T>,
    private readonly ctx: SourceReaderContext,
  ) {
    this.log = ctx.log;
    this.hooks = {
      assigned: (starts) => this.assigned(starts),
      revoked: (keys) => this.revoked(keys),
      fenced: (e) => this.failWith(e),
      knownPosition: (key) => this.parts.get(key)?.position ?? this.restored.get(key),
    };
  }

  async addSplits(splits: KafkaSplit[]): Promise<void> {
    for (const s of splits) this.addSplit(s);
    if (this.cluster === undefined) {
      const cluster = this.config.openCluster(this.log);
      try {
        await retrying("connecting to Kafka", () => cluster.connect(), this.log, 4);
      } catch (e) {
        throw new VigilError(`${this.config.where}: cannot connect to Kafka: ${describe(e)}`, { code: "KAFKA_CONNECT_FAILED", retriable: isTransient(e), cause: e });
      }
      this.cluster = cluster;
      this.fetcher = new PartitionFetcher(cluster, this.config.fetch, {
        deliver: (c) => this.deliver(c),
        hasRoom: () => this.buffered < this.config.maxBufferedRecords && !this.closed,
        room: () => (this.closed || this.buffered < this.config.maxBufferedRecords ? Promise.resolve() : new Promise((r) => this.roomWaiters.push(r))),
        fail: (e) => this.failWith(e),
      }, this.log, this.config.where);
    }
    for (const p of this.parts.values()) if (p.active && !p.finished) p.epoch = this.fetcher!.assign(p, p.position, p.stopAt);
    // at once: partitions created while the job was down are found on restore
    if (this.discovery !== undefined && this.discovery.timer === undefined) this.discovery.timer = setTimeout(() => void this.discover(), 0);
    if (this.config.mode === "group" && this.member === undefined) {
      this.handoffTimer = setInterval(() => this.handOverWithoutCheckpoints(Date.now()), 1_000);
      this.handoffTimer.unref();
      this.member = this.config.member!(this.ctx.subtaskIndex);
      this.member.attach(this.hooks);
    }
  }

  private addSplit(s: KafkaSplit): void {
    const bad = () => new VigilError(`${this.config.where}: split ${JSON.stringify(s)} is not a Kafka split`, { code: "SOURCE_SPLIT_INVALID" });
    if (s.kind === "partition") {
      if (typeof s.topic !== "string" || !Number.isInteger(s.partition) || !/^\d+$/.test(s.offset) || (s.stopAt !== undefined && !/^\d+$/.test(s.stopAt))) throw bad();
      const position = Number(s.offset);
      if (this.config.mode === "group") {
        this.restored.set(tpKey(s.topic, s.partition), Math.max(position, this.restored.get(tpKey(s.topic, s.partition)) ?? -1));
        return;
      }
      const stopAt = s.stopAt === undefined ? undefined : Number(s.stopAt);
      this.parts.set(s.splitId, { topic: s.topic, partition: s.partition, key: tpKey(s.topic, s.partition), splitId: s.splitId, position, stopAt, finished: false, active: true, epoch: 0, malformed: 0 });
      return;
    }
    this.toFinish.push(s.splitId); // not a partition: it must not hold the watermark back
    if (s.kind === "discovery") {
      if (typeof s.partitions !== "object" || s.partitions === null) throw bad();
      if (this.config.mode === "vigil" && !this.config.bounded) this.discovery = { known: { ...s.partitions }, timer: undefined };
    } else if (s.kind === "group") {
      if (typeof s.offsets !== "object" || s.offsets === null) throw bad();
      if (this.config.mode === "vigil") {
        throw new VigilError(`${this.config.where}: the snapshot was taken with assignment "group"; restore it with assignment "group"`, { code: "SOURCE_SPLIT_INVALID" });
      }
      for (const [key, offset] of Object.entries(s.offsets)) this.restored.set(key, Math.max(Number(offset), this.restored.get(key) ?? -1));
    } else throw bad();
  }

  pollNext(output: ReaderOutput<T>): InputStatus {
    if (this.error !== undefined) throw this.error;
    for (const id of this.toFinish.splice(0)) output.splitFinished(id);
    let emitted = 0;
    while (emitted < this.config.batchSize && this.chunks.length > 0) {
      const c = this.chunks[0];
      const p = this.parts.get(c.key);
      if (p === undefined || !p.active || p.epoch !== c.epoch) {
        this.buffered -= c.messages.length - c.index;
        this.chunks.shift();
        continue;
      }
      while (c.index < c.messages.length && emitted < this.config.batchSize) {
        const m = c.messages[c.index++];
        this.buffered--;
        const offset = Number(m.offset);
        if (offset < p.position) continue;
        p.position = offset + 1;
        this.emit(p, m, offset, output);
        emitted++;
      }
      if (c.index < c.messages.length) break;
      if (c.next > p.position || c.reset === true) p.position = c.next;
      this.chunks.shift();
    }
    if (this.buffered < this.config.maxBufferedRecords / 2) for (const r of this.roomWaiters.splice(0)) r();
    let unfinished = 0;
    for (const p of this.parts.values()) {
      if (p.stopAt !== undefined && !p.finished && p.position >= p.stopAt) {
        p.finished = true;
        this.fetcher?.unassign(p.key);
        output.splitFinished(p.splitId);
      }
      if (!p.finished) unfinished++;
    }
    if (this.chunks.length > 0) return "more";
    return this.config.bounded && unfinished === 0 ? "end" : "waiting";
  }

  available(): Promise<void> {
    if (this.chunks.length > 0 || this.error !== undefined || this.toFinish.length > 0) return Promise.resolve();
    this.availablePromise ??= new Promise<void>((resolve) => (this.wakeAvailable = resolve));
    return this.availablePromise;
  }

  snapshotState(checkpointId: number): KafkaSplit[] {
    this.lastSnapshotId = checkpointId;
    this.snapshotsTaken++;
    const positions = new Map<string, number>();
    for (const p of this.parts.values()) if (this.config.mode === "vigil" || p.active || this.draining.has(p.key)) positions.set(p.key, p.position);
    this.snapshots.set(checkpointId, positions);
    for (const id of this.snapshots.keys()) if (this.snapshots.size > KEPT_SNAPSHOTS) this.snapshots.delete(id);
    if (this.config.mode === "group") {
      const offsets: Record<string, string> = {};
      for (const [key, offset] of this.restored) offsets[key] = String(offset);
      for (const p of this.parts.values()) offsets[p.key] = String(p.position);
      return [{ splitId: `group-${String(this.ctx.subtaskIndex).padStart(4, "0")}`, kind: "group", offsets }];
    }
    const splits: KafkaSplit[] = [...this.parts.values()].map((p) => ({
      splitId: p.key,
      kind: "partition",
      topic: p.topic,
      partition: p.partition,
      offset: String(p.position),
      ...(p.stopAt === undefined ? {} : { stopAt: String(p.stopAt) }),
    }));
    if (this.discovery !== undefined) splits.push({ splitId: DISCOVERY_SPLIT_ID, kind: "discovery", partitions: { ...this.discovery.known } });
    return splits;
  }

  notifyCheckpointComplete(checkpointId: number): void {
    const positions = this.snapshots.get(checkpointId);
    for (const id of this.snapshots.keys()) if (id <= checkpointId) this.snapshots.delete(id);
    if (this.config.mode === "group") {
      if (positions !== undefined) this.member?.commit(positions);
      for (const [key, d] of this.draining) {
        if (checkpointId <= d.afterSnapshot) continue;
        this.draining.delete(key);
        this.member?.release(key, d.position);
      }
      return;
    }
    if (positions === undefined || this.config.commitGroupId === undefined || this.cluster === undefined) return;
    const changed = [...positions].filter(([key, offset]) => this.committed.get(key) !== offset);
    if (changed.length === 0) return;
    const groupId = this.config.commitGroupId;
    const cluster = this.cluster;
    const offsets = changed.map(([key, offset]) => ({ topic: this.parts.get(key)!.topic, partition: this.parts.get(key)!.partition, offset }));
    // committed in the background, one commit after another: the checkpoint does not wait for Kafka
    this.commitChain = this.commitChain.then(async () => {
      try {
        await retrying("committing offsets", async () => commitOffsets(await cluster.findGroupCoordinator({ groupId }), groupId, -1, "", offsets), this.log, 5);
        for (const [key, offset] of changed) this.committed.set(key, offset);
        this.log.debug({ checkpointId, groupId, partitions: changed.length }, "offsets committed to the group");
      } catch (e) {
        // the checkpoint holds the offsets; the group only shows the lag, and the next checkpoint commits again
        if (this.commitFailures++ === 0) this.log.warn({ checkpointId, groupId, err: describe(e) }, "committing checkpointed offsets to the group failed");
        else this.log.debug({ checkpointId, groupId, err: describe(e) }, "committing checkpointed offsets to the group failed");
      }
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.discovery?.timer !== undefined) clearTimeout(this.discovery.timer);
    if (this.handoffTimer !== undefined) clearInterval(this.handoffTimer);
    for (const r of this.roomWaiters.splice(0)) r();
    this.wake();
    if (this.member !== undefined) this.member.detach(this.hooks);
    await this.fetcher?.close();
    await Promise.race([this.commitChain, new Promise((r) => setTimeout(r, 5_000).unref())]);
    await this.cluster?.disconnect().catch(() => {});
  }

  private emit(p: PartState, m: RawMessage, offset: number, output: ReaderOutput<T>): void {
    if (m.value === null) {
      this.deadLetter(p, offset, m, "the record has no value (a tombstone)");
      return;
    }
    let value: T;
    try {
      value = this.config.deserializer.deserialize(m.value, metaOf(m, p.topic));
    } catch (e) {
      this.deadLetter(p, offset, m, `${this.config.deserializer.name}: ${e instanceof Error ? e.message : String(e)}`);
      return;
    }
    const ts = Number(m.timestamp);
    output.collect(value, p.splitId, ts >= 0 ? ts : undefined);
  }

  private deadLetter(p: PartState, offset: number, m: RawMessage, reason: string): void {
    p.malformed++;
    this.config.countDeadLetter();
    const raw = rawText(m.value);
    if (p.malformed <= LOGGED_PER_PARTITION) {
      this.log.warn({ topic: p.topic, partition: p.partition, offset, reason, raw: raw.length > 200 ? `${raw.slice(0, 200)}...` : raw }, "malformed record sent to dead letters");
      if (p.malformed === LOGGED_PER_PARTITION) this.log.warn({ topic: p.topic, partition: p.partition }, "further malformed records of this partition are only counted");
    }
    this.config.deadLetters?.({ source: this.config.name, topic: p.topic, partition: p.partition, offset: String(offset), reason, raw });
  }

  private deliver(chunk: FetchedChunk): void {
    const p = this.parts.get(chunk.key);
    if (this.closed || p === undefined || !p.active || p.epoch !== chunk.epoch) return;
    this.chunks.push({ ...chunk, index: 0 });
    this.buffered += chunk.messages.length;
    this.wake();
  }

  private wake(): void {
    const w = this.wakeAvailable;
    this.wakeAvailable = undefined;
    this.availablePromise = undefined;
    w?.();
  }

  private failWith(e: unknown): void {
    this.error ??= e;
    for (const p of this.parts.values()) if (p.active) this.fetcher?.unassign(p.key);
    this.wake();
  }

  /** Group mode: start reading these partitions at these offsets. */
  private assigned(starts: ReadonlyArray<{ tp: TopicPartition; offset: number }>): void {
    for (const { tp, offset } of starts) {
      const key = tpKey(tp.topic, tp.partition);
      this.draining.delete(key);
      let p = this.parts.get(key);
      if (p === undefined) {
        p = { ...tp, key, splitId: key, position: offset, stopAt: undefined, finished: false, active: true, epoch: 0, malformed: 0 };
        this.parts.set(key, p);
      } else {
        // back after a hand-over: the runtime forgot its finished split, so its watermark starts over
        p.position = offset;
        p.active = true;
      }
      p.epoch = this.fetcher!.assign(tp, offset);
    }
    this.wake();
  }

  /** Group mode: stop reading these partitions; each is handed over once a checkpoint covers its last position. */
  private revoked(keys: readonly string[]): void {
    for (const key of keys) {
      const p = this.parts.get(key);
      if (p === undefined || !p.active) continue;
      p.active = false;
      this.fetcher?.unassign(key);
      this.toFinish.push(p.splitId);
      this.draining.set(key, { position: p.position, afterSnapshot: this.lastSnapshotId, since: Date.now() });
    }
    this.wake();
  }

  /** A job without checkpoints never completes one: after `handoffTimeoutMs` hand over at the emitted position. */
  private handOverWithoutCheckpoints(now: number): void {
    if (this.snapshotsTaken > 0 || this.draining.size === 0) return;
    for (const [key, d] of this.draining) {
      if (now - d.since < this.config.handoffTimeoutMs) continue;
      this.draining.delete(key);
      this.log.warn({ partition: key, offset: d.position }, "no checkpoint was taken: handing the partition over at the last emitted offset");
      this.member?.release(key, d.position);
    }
  }

  /** Vigil mode, the reader with the discovery split: reads partitions created since the known ones, from their start. */
  private async discover(): Promise<void> {
    const d = this.discovery!;
    try {
      if (this.cluster === undefined || this.closed) return;
      const counts = await resolveTopics(this.cluster, this.config.topics, this.config.where);
      const added: TopicPartition[] = [];
      for (const [topic, n] of counts) for (let partition = d.known[topic] ?? 0; partition < n; partition++) added.push({ topic, partition });
      if (added.length > 0) {
        const earliest = await listOffsets(this.cluster, added, "earliest");
        for (const tp of added) {
          const key = tpKey(tp.topic, tp.partition);
          const position = earliest.get(key) ?? 0;
          const p: PartState = { ...tp, key, splitId: key, position, stopAt: undefined, finished: false, active: true, epoch: 0, malformed: 0 };
          this.parts.set(key, p);
          p.epoch = this.fetcher!.assign(tp, position);
        }
        this.log.info({ partitions: added.map((tp) => tpKey(tp.topic, tp.partition)) }, "new partitions discovered; reading them from their start");
      }
      for (const [topic, n] of counts) d.known[topic] = Math.max(n, d.known[topic] ?? 0);
    } catch (e) {
      this.log.warn({ err: describe(e) }, "partition discovery failed; trying again at the next interval");
    } finally {
      if (!this.closed && this.config.discoveryIntervalMs > 0) d.timer = setTimeout(() => void this.discover(), this.config.discoveryIntervalMs);
    }
  }
}

/** The deserializer's view of a record; headers are decoded only when asked for. */
function metaOf(m: RawMessage, topic: string): MessageMeta {
  return {
    key: m.key,
    channel: topic,
    get headers() {
      const out: Record<string, string> = {};
      for (const [k, v] of Object.entries(m.headers ?? {})) {
        if (v === undefined) continue;
        const last = Array.isArray(v) ? v[v.length - 1] : v;
        if (last !== undefined) out[k] = typeof last === "string" ? last : last.toString("utf8");
      }
      return out;
    },
  };
}
