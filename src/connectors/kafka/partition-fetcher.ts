import { VigilError } from "../../errors.js";
import type { Logger } from "../../runtime/logger.js";
import { brokerAddress, describe, isTransient, KafkaBatch, type Cluster, type FetchRequest, type KafkaJsError, type RawMessage } from "./kafkajs-internals.js";
import { backoffMs, listOffsets, sleep, tpKey, type TopicPartition } from "./offsets.js";

/** Records of one partition from one fetch, in offset order; `next` is where the partition's next fetch starts. */
export interface FetchedChunk {
  readonly key: string;
  /** The assignment this chunk belongs to (a partition unassigned and assigned again gets a new epoch). */
  readonly epoch: number;
  readonly messages: RawMessage[];
  /** The offset after the last record fetched (control records and aborted transactions included). */
  readonly next: number;
  /** No records: the partition moved to `next` (its offset was out of range). */
  readonly reset?: boolean;
}

/** Where fetched records go: the reader's buffer. */
export interface ChunkSink {
  deliver(chunk: FetchedChunk): void;
  /** Whether the buffer takes more; while it does not, fetching pauses. */
  hasRoom(): boolean;
  /** Resolves when the buffer has room again (or the reader closes). */
  room(): Promise<void>;
  /** A fatal fetch error: the job fails with it. */
  fail(error: VigilError): void;
}

export interface FetcherOptions {
  readonly isolationLevel: number;
  readonly maxWaitMs: number;
  readonly maxBytes: number;
  readonly maxPartitionBytes: number;
}

interface Assigned extends TopicPartition {
  readonly key: string;
  /** The next offset to fetch. */
  offset: number;
  readonly epoch: number;
  /** Fetch below this offset only (bounded reads). */
  readonly stopAt: number | undefined;
}

/**
 * Fetches assigned partitions from their leaders: one loop per leader broker, so a broker that is
 * down or slow holds back only its own partitions. A loop fetches while the sink has room. Errors
 * that pass by themselves (a broker away, a moved leader, a timeout, an injected retriable error)
 * refresh the metadata and retry with backoff, for as long as they last; an offset out of range
 * moves the partition to the nearest offset that exists; any other error fails the job.
 */
export class PartitionFetcher {
  private readonly parts = new Map<string, Assigned>();
  private readonly loops = new Map<number, Promise<void>>();
  private readonly knownTopics = new Set<string>();
  private running = true;
  private stale = false;
  private epochs = 0;
  private wakeSupervisor: (() => void) | undefined;
  /** A wake-up came while the supervisor was busy: it looks again before it waits. */
  private woken = false;
  private readonly supervisor: Promise<void>;
  /** Since when each kind of request ("metadata", "node 2", "offsets t-0") has been failing: logged at warn once per outage. */
  private readonly failingSince = new Map<string, number>();

  constructor(
    private readonly cluster: Cluster,
    private readonly options: FetcherOptions,
    private readonly sink: ChunkSink,
    private readonly log: Logger,
    private readonly where: string,
  ) {
    this.supervisor = this.supervise();
  }

  /** Starts (or restarts) fetching a partition at `offset`; returns the assignment's epoch. */
  assign(tp: TopicPartition, offset: number, stopAt?: number): number {
    const key = tpKey(tp.topic, tp.partition);
    const epoch = ++this.epochs;
    this.parts.set(key, { topic: tp.topic, partition: tp.partition, key, offset, epoch, stopAt });
    this.wake();
    return epoch;
  }

  /** Stops fetching a partition; what is in flight for it is dropped. */
  unassign(key: string): void {
    this.parts.delete(key);
  }

  /** Stops every loop; resolves when none is left (at most one fetch wait later). */
  async close(): Promise<void> {
    this.running = false;
    this.wake();
    await this.supervisor;
    await Promise.all(this.loops.values());
  }

  private wake(): void {
    this.woken = true;
    this.wakeSupervisor?.();
  }

  /** Keeps one loop running per leader that has assigned partitions, refreshing metadata when asked. */
  private async supervise(): Promise<void> {
    let attempt = 0;
    while (this.running) {
      let retryIn: number | undefined;
      try {
        const topics = [...new Set([...this.parts.values()].map((p) => p.topic))];
        if (topics.some((t) => !this.knownTopics.has(t))) {
          await this.cluster.addMultipleTargetTopics(topics);
          for (const t of topics) this.knownTopics.add(t);
        } else if (this.stale) await this.cluster.refreshMetadata();
        else if (topics.length > 0) await this.cluster.refreshMetadataIfNecessary();
        this.stale = false;
        this.recovered("metadata");
        attempt = 0;
        for (const [node, hasLeader] of this.leaders()) {
          if (!hasLeader) retryIn = backoffMs(attempt++);
          else if (!this.loops.has(node)) {
            this.loops.set(
              node,
              this.fetchLoop(node).finally(() => {
                this.loops.delete(node);
                this.wake();
              }),
            );
          }
        }
      } catch (e) {
        if (!this.running) return;
        if (!isTransient(e)) {
          this.sink.fail(new VigilError(`${this.where}: cannot read the metadata of the source's topics: ${describe(e)}`, { code: "KAFKA_METADATA_FAILED", cause: e }));
          return;
        }
        this.transient(e, "metadata", "reading metadata");
        retryIn = backoffMs(attempt++);
      }
      if (!this.running) return;
      if (this.woken) {
        this.woken = false;
        if (retryIn === undefined) continue;
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, retryIn ?? 60_000);
        this.wakeSupervisor = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wakeSupervisor = undefined;
      this.woken = false;
    }
  }

  /** Leader node of each partition still to fetch; node -1 (false) stands for partitions without a leader now. */
  private leaders(): Map<number, boolean> {
    const out = new Map<number, boolean>();
    for (const p of this.parts.values()) {
      if (p.stopAt !== undefined && p.offset >= p.stopAt) continue;
      const leader = this.leaderOf(p);
      if (leader === undefined) {
        this.stale = true;
        out.set(-1, false);
      } else out.set(leader, true);
    }
    return out;
  }

  private leaderOf(p: Assigned): number | undefined {
    try {
      const m = this.cluster.findTopicPartitionMetadata(p.topic).find((x) => x.partitionId === p.partition);
      return m === undefined || m.leader === null || m.leader < 0 ? undefined : m.leader;
    } catch {
      return undefined; // metadata not loaded (yet, or again after a disconnect)
    }
  }

  private async fetchLoop(node: number): Promise<void> {
    let attempt = 0;
    while (this.running) {
      if (!this.sink.hasRoom()) {
        await this.sink.room();
        continue;
      }
      const mine = [...this.parts.values()].filter((p) => (p.stopAt === undefined || p.offset < p.stopAt) && this.leaderOf(p) === node);
      if (mine.length === 0) return;
      const byTopic = new Map<string, Array<{ partition: number; fetchOffset: string; maxBytes: number }>>();
      for (const p of mine) {
        let list = byTopic.get(p.topic);
        if (list === undefined) byTopic.set(p.topic, (list = []));
        list.push({ partition: p.partition, fetchOffset: String(p.offset), maxBytes: this.options.maxPartitionBytes });
      }
      const sent = new Map(mine.map((p) => [p.key, { epoch: p.epoch, offset: p.offset }]));
      const request: FetchRequest = {
        isolationLevel: this.options.isolationLevel,
        maxWaitTime: this.options.maxWaitMs,
        minBytes: 1,
        maxBytes: this.options.maxBytes,
        topics: [...byTopic].map(([topic, partitions]) => ({ topic, partitions })),
      };
      const started = Date.now();
      let responses;
      try {
        const broker = await this.cluster.findBroker({ nodeId: node });
        ({ responses } = await broker.fetch(request));
      } catch (e) {
        if (!this.running) return;
        const err = e as KafkaJsError;
        if (err.name === "KafkaJSOffsetOutOfRange" && err.topic !== undefined && err.partition !== undefined) {
          await this.outOfRange(err.topic, err.partition, sent.get(tpKey(err.topic, err.partition)));
          continue;
        }
        if (!isTransient(e)) {
          const partitions = mine.map((p) => p.key).join(", ");
          this.sink.fail(
            new VigilError(`${this.where}: fetching ${partitions} from broker ${brokerAddress(this.cluster, node)} failed: ${describe(e)}`, { code: "KAFKA_FETCH_FAILED", cause: e }),
          );
          return;
        }
        this.transient(e, `node ${node}`, `fetching from broker ${brokerAddress(this.cluster, node)}`);
        this.stale = true;
        await sleep(backoffMs(attempt++, 2_000));
        return; // the supervisor refreshes the metadata and starts loops for the (maybe new) leaders
      }
      attempt = 0;
      this.recovered(`node ${node}`);
      let records = 0;
      for (const { topicName, partitions } of responses) {
        for (const data of partitions) {
          const key = tpKey(topicName, data.partition);
          const p = this.parts.get(key);
          const asked = sent.get(key);
          // reassigned (or moved by a reset) while the fetch was in flight: not ours to deliver
          if (p === undefined || asked === undefined || p.epoch !== asked.epoch || p.offset !== asked.offset || data.messages.length === 0) continue;
          const batch = new KafkaBatch(topicName, String(asked.offset), data);
          const within = batch.messagesWithinOffset;
          if (within.length === 0) continue;
          let next = Number(within[within.length - 1].offset) + 1;
          let messages = batch.messages;
          if (p.stopAt !== undefined && next > p.stopAt) {
            const stop = p.stopAt;
            messages = messages.filter((m) => Number(m.offset) < stop);
            next = stop;
          }
          p.offset = next;
          records += messages.length;
          this.sink.deliver({ key, epoch: p.epoch, messages, next });
        }
      }
      // a broker that answers an empty fetch at once (not waiting maxWait) must not make this spin
      if (records === 0 && Date.now() - started < this.options.maxWaitMs / 4) await sleep(Math.min(100, this.options.maxWaitMs));
    }
  }

  /** The fetch offset no longer exists (retention, a recreated topic): go to the nearest one that does, and say so. */
  private async outOfRange(topic: string, partition: number, asked: { epoch: number; offset: number } | undefined): Promise<void> {
    const key = tpKey(topic, partition);
    const p = this.parts.get(key);
    if (p === undefined || asked === undefined || p.epoch !== asked.epoch || p.offset !== asked.offset) return;
    try {
      const tp = [{ topic, partition }];
      const [earliest, latest] = [(await listOffsets(this.cluster, tp, "earliest")).get(key), (await listOffsets(this.cluster, tp, "latest")).get(key)];
      this.recovered(`offsets ${key}`);
      if (earliest === undefined || latest === undefined || this.parts.get(key) !== p) return;
      const to = p.offset < earliest ? earliest : p.offset > latest ? latest : undefined;
      if (to === undefined) return; // in range again (a leader change): fetch again
      this.log.warn(
        { topic, partition, from: p.offset, to, earliest, latest },
        p.offset < earliest ? "offset out of range (records were deleted): skipping to the earliest offset" : "offset out of range (beyond the end): moving to the end",
      );
      p.offset = to;
      this.sink.deliver({ key, epoch: p.epoch, messages: [], next: to, reset: true });
    } catch (e) {
      if (!isTransient(e)) {
        this.sink.fail(new VigilError(`${this.where}: ${key}: offset ${p.offset} is out of range and the valid range cannot be read: ${describe(e)}`, { code: "KAFKA_FETCH_FAILED", cause: e }));
        return;
      }
      this.transient(e, `offsets ${key}`, `listing the offsets of ${key}`);
      await sleep(backoffMs(1));
    }
  }

  private transient(e: unknown, what: string, doing: string): void {
    const since = this.failingSince.get(what);
    if (since === undefined) {
      this.failingSince.set(what, Date.now());
      this.log.warn({ err: describe(e) }, `${doing} failed; retrying until it works`);
    } else this.log.debug({ err: describe(e), failingForMs: Date.now() - since }, `${doing} failed again; retrying`);
  }

  private recovered(what: string): void {
    const since = this.failingSince.get(what);
    if (since === undefined) return;
    this.failingSince.delete(what);
    this.log.info({ afterMs: Date.now() - since }, `${what} works again`);
  }
}
