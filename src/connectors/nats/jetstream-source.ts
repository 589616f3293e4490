import { DeliverPolicy, type ConsumerInfo, type JetStreamManager } from "nats";
import { VigilError } from "../../errors.js";
import type { InputStatus, ReaderOutput, Source, SourceReader, SourceReaderContext } from "../../runtime/index.js";
import { runtimeLogger, type Logger } from "../../runtime/logger.js";
import type { DeadLetterHandler } from "../dead-letter.js";
import { resolveDeserializer, type Deserializer } from "../format.js";
import { checkName, checkSubject, connectNats, subjectsOverlap, type NatsConnectionOptions, type NatsHandle } from "./connection.js";
import { MessageDecoder } from "./decode.js";
import { SplitConsumer, type JetStreamSplit, type SplitConsumerSettings } from "./jetstream-consumer.js";

export type { JetStreamSplit } from "./jetstream-consumer.js";

/** Where a JetStream source starts when no checkpoint says (and no durable consumer exists yet). */
export type JetStreamStart = "all" | "new" | { readonly sequence: number } | { readonly time: number | Date };

/** Options of a {@link JetStreamSource}. */
export interface JetStreamSourceOptions<T> extends NatsConnectionOptions {
  /** The stream to read. */
  readonly stream: string;
  /**
   * A durable consumer's name, or absent for ephemeral consumers. A durable consumer that exists
   * when the job first starts (not restored) is resumed after its ack floor: from where the last
   * completed checkpoint of the previous run left off.
   */
  readonly consumer?: string;
  /**
   * Non-overlapping subjects of the stream, one split (and one consumer) each, so up to this many
   * subtasks read in parallel. Absent: the whole stream, one split.
   */
  readonly filterSubjects?: readonly string[];
  /** Default "all". Used only when neither a checkpoint nor an existing durable consumer gives the position. */
  readonly startFrom?: JetStreamStart;
  /** "json" (default), "string", "bytes" or a `Deserializer`. */
  readonly deserializer?: Deserializer<T> | "json" | "string" | "bytes";
  /** Receives messages that do not decode, with subject, stream sequence and reason. */
  readonly deadLetters?: DeadLetterHandler;
  /** Names the source in dead letters, logs and errors (default "jetstream"). */
  readonly name?: string;
  /** Messages per `pollNext`, at most (default 4096). */
  readonly batchSize?: number;
  /** Messages per pull request (default 1000); a new one is sent when half have arrived. */
  readonly fetchBatch?: number;
  /** Messages held per split before pulling stops (backpressure; default 10 000). */
  readonly maxBuffered?: number;
  /**
   * The consumer's ack wait (ms, default 300 000). Acks are sent when a checkpoint completes, so
   * make it longer than the checkpoint interval; messages redelivered after it are dropped, but
   * cost traffic.
   */
  readonly ackWaitMs?: number;
  /** The pull requests' idle heartbeat (ms, default 5000); two missed ones make the consumer be created again. */
  readonly heartbeatMs?: number;
  /** An ephemeral consumer's inactivity threshold (ms, default 60 000): the server deletes it after a longer cut. */
  readonly inactiveThresholdMs?: number;
}

/**
 * A continuous, replayable source of a JetStream stream, with exactly-once positions through
 * checkpoints. A split is the stream, or one filter subject of it (maxParallelism = number of
 * splits); its position is the stream sequence of the next message to read, and a restore reads
 * from exactly there. Each split reads through a pull consumer the source creates at that
 * sequence (see {@link SplitConsumer}); messages are acked (AckAll) only when a checkpoint that
 * covers them completes, so a durable consumer's ack floor is the last completed checkpoint.
 * Messages that do not decode go to `deadLetters` and never stop the job. The record timestamp is
 * the message's stream time.
 */
export class JetStreamSource<T = unknown> implements Source<T, JetStreamSplit> {
  readonly boundedness = "continuous" as const;
  readonly maxParallelism: number;
  readonly name: string;
  private readonly where: string;
  private readonly deserializer: Deserializer<T>;
  private readonly settings: SplitConsumerSettings;
  private readonly batchSize: number;
  private malformed = 0;
  private initialSplits: Promise<JetStreamSplit[]> | undefined;

  constructor(private readonly options: JetStreamSourceOptions<T>) {
    this.name = options.name ?? "jetstream";
    this.where = `JetStream source "${this.name}"`;
    const fail = (what: string) => new VigilError(`${this.where}: ${what}`, { code: "CONNECTOR_CONFIG_INVALID" });
    checkName(options.stream, "stream", this.where);
    if (options.consumer !== undefined) checkName(options.consumer, "consumer", this.where);
    const filters = options.filterSubjects ?? [];
    if (!Array.isArray(filters)) throw fail("filterSubjects must be a list of subjects");
    filters.forEach((f, i) => {
      checkSubject(f, this.where, true);
      for (const g of filters.slice(0, i)) if (subjectsOverlap(f, g)) throw fail(`filter subjects "${g}" and "${f}" overlap: a message would be read twice`);
    });
    const start = options.startFrom ?? "all";
    if (!isStart(start)) throw fail(`startFrom must be "all", "new", { sequence } (a positive integer) or { time }, got ${JSON.stringify(start)}`);
    const positive = (key: keyof JetStreamSourceOptions<T>, dflt: number, min = 1): number => {
      const v = (options[key] as number | undefined) ?? dflt;
      if (!(Number.isInteger(v) && v >= min)) throw fail(`${key} must be an integer of at least ${min}, got ${v}`);
      return v;
    };
    this.batchSize = positive("batchSize", 4096);
    this.settings = {
      fetchBatch: positive("fetchBatch", 1000),
      maxBuffered: positive("maxBuffered", 10_000),
      ackWaitMs: positive("ackWaitMs", 300_000, 1000),
      heartbeatMs: positive("heartbeatMs", 5000, 500),
      pullExpiresMs: 30_000,
      inactiveThresholdMs: positive("inactiveThresholdMs", 60_000, 1000),
    };
    this.deserializer = resolveDeserializer(options.deserializer, this.where);
    this.maxParallelism = Math.max(1, filters.length);
  }

  /** Messages sent to the dead letters by readers in this process. */
  get deadLetterCount(): number {
    return this.malformed;
  }

  /**
   * One split per filter subject (or one for the stream), at the position `startFrom` or an
   * existing durable consumer gives. Resolved once per source object, so a restart before the
   * first checkpoint starts where the first attempt did (`"new"` is not resolved again).
   */
  createSplits(): Promise<JetStreamSplit[]> {
    this.initialSplits ??= this.resolveSplits();
    this.initialSplits.catch(() => (this.initialSplits = undefined)); // a failure is retried by the next attempt
    return this.initialSplits.then((splits) => splits.map((s) => ({ ...s })));
  }

  private async resolveSplits(): Promise<JetStreamSplit[]> {
    const conn = await connectNats(this.options, this.where, runtimeLogger());
    try {
      const jsm = await conn.nc.jetstreamManager();
      const stream = this.options.stream;
      const info = await jsm.streams.info(stream).catch((e: unknown) => {
        throw new VigilError(`${this.where}: cannot read stream "${stream}": ${(e as Error).message}`, {
          code: /not found/i.test((e as Error).message) ? "SOURCE_NOT_FOUND" : "SOURCE_READ_FAILED",
          retriable: true,
          cause: e,
        });
      });
      const filters: Array<string | undefined> = this.options.filterSubjects?.length ? [...this.options.filterSubjects] : [undefined];
      const splits: JetStreamSplit[] = [];
      for (const [i, filter] of filters.entries()) {
        const base = this.options.consumer;
        const durable = base === undefined ? undefined : filters.length > 1 ? `${base}-${i}` : base;
        const existing = durable === undefined ? undefined : await consumerInfo(jsm, stream, durable);
        const start = existing === undefined ? undefined : resumePosition(existing);
        const position = start ?? this.startPosition(info.state.last_seq);
        splits.push({
          splitId: filter === undefined ? stream : `${stream}:${filter}`,
          stream,
          ...(filter === undefined ? {} : { filterSubject: filter }),
          ...(durable === undefined ? {} : { durable }),
          ...position,
        });
      }
      return splits;
    } finally {
      await conn.close();
    }
  }

  private startPosition(lastSeq: number): { sequence: number } | { startTimeMs: number } {
    const s = this.options.startFrom ?? "all";
    if (s === "all") return { sequence: 1 };
    if (s === "new") return { sequence: lastSeq + 1 };
    if ("sequence" in s) return { sequence: s.sequence };
    return { startTimeMs: s.time instanceof Date ? s.time.getTime() : s.time };
  }

  createReader(ctx: SourceReaderContext): SourceReader<T, JetStreamSplit> {
    const decoder = new MessageDecoder(this.name, this.deserializer, this.options.deadLetters, ctx.log, () => this.malformed++);
    return new JetStreamSourceReader(this.where, this.options, this.settings, this.batchSize, decoder, ctx.log);
  }
}

/** Where an existing durable consumer left off: after its ack floor, else its own start. */
function resumePosition(c: ConsumerInfo): { sequence: number } | { startTimeMs: number } | undefined {
  if (c.ack_floor.stream_seq > 0) return { sequence: c.ack_floor.stream_seq + 1 };
  const cfg = c.config;
  if (cfg.deliver_policy === DeliverPolicy.StartSequence && cfg.opt_start_seq !== undefined) return { sequence: cfg.opt_start_seq };
  if (cfg.deliver_policy === DeliverPolicy.StartTime && cfg.opt_start_time !== undefined) return { startTimeMs: Date.parse(cfg.opt_start_time) };
  if (cfg.deliver_policy === DeliverPolicy.All) return { sequence: 1 };
  return undefined;
}

async function consumerInfo(jsm: JetStreamManager, stream: string, name: string): Promise<ConsumerInfo | undefined> {
  try {
    return await jsm.consumers.info(stream, name);
  } catch (e) {
    if (/consumer not found/i.test((e as Error).message)) return undefined;
    throw e;
  }
}

function isStart(s: unknown): s is JetStreamStart {
  if (s === "all" || s === "new") return true;
  if (typeof s !== "object" || s === null) return false;
  if ("sequence" in s) return Number.isSafeInteger(s.sequence) && (s.sequence as number) > 0;
  if ("time" in s) return s.time instanceof Date ? !Number.isNaN(s.time.getTime()) : Number.isFinite(s.time);
  return false;
}

/** One subtask's reader: a connection and a {@link SplitConsumer} per split, emitted round-robin. */
class JetStreamSourceReader<T> implements SourceReader<T, JetStreamSplit> {
  private conn: NatsHandle | undefined;
  private jsm: JetStreamManager | undefined;
  private readonly consumers: Array<SplitConsumer<T>> = [];
  private next = 0;
  private wake: (() => void) | undefined;

  constructor(
    private readonly where: string,
    private readonly options: JetStreamSourceOptions<T>,
    private readonly settings: SplitConsumerSettings,
    private readonly batchSize: number,
    private readonly decoder: MessageDecoder<T>,
    private readonly log: Logger,
  ) {}

  async addSplits(splits: JetStreamSplit[]): Promise<void> {
    for (const s of splits) {
      if (typeof s.stream !== "string" || (s.sequence !== undefined && !(Number.isSafeInteger(s.sequence) && s.sequence > 0))) {
        throw new VigilError(`${this.where}: split ${JSON.stringify(s)} is not a JetStream split ({ stream, sequence })`, { code: "SOURCE_SPLIT_INVALID" });
      }
    }
    if (splits.length === 0) return;
    if (this.conn === undefined) {
      this.conn = await connectNats(this.options, this.where, this.log);
      this.jsm = await this.conn.nc.jetstreamManager();
      // deliveries in flight when the connection dropped are lost: read again from the last checkpoint
      this.conn.onReconnect(() => {
        for (const c of this.consumers) c.reset("reconnected");
      });
    }
    for (const s of splits) {
      const c = new SplitConsumer(s, this.conn, this.jsm!, this.decoder, this.settings, this.log, () => this.signal(), this.options.name ?? "jetstream");
      this.consumers.push(c);
      await c.start();
      this.log.info({ split: s.splitId, durable: s.durable, sequence: s.sequence, startTimeMs: s.startTimeMs }, "JetStream split reading");
    }
  }

  pollNext(output: ReaderOutput<T>): InputStatus {
    const n = this.consumers.length;
    let budget = this.batchSize;
    for (let k = 0; k < n && budget > 0; k++) {
      const c = this.consumers[(this.next + k) % n];
      if (c.error !== undefined) throw c.error;
      if (c.buffered > 0) budget -= c.poll(output, budget);
    }
    if (n > 0) this.next = (this.next + 1) % n;
    return budget < this.batchSize ? "more" : "waiting";
  }

  available(): Promise<void> {
    if (this.consumers.some((c) => c.buffered > 0 || c.error !== undefined)) return Promise.resolve();
    return new Promise<void>((resolve) => (this.wake = resolve));
  }

  private signal(): void {
    const w = this.wake;
    if (w !== undefined) {
      this.wake = undefined;
      w();
    }
  }

  snapshotState(checkpointId: number): JetStreamSplit[] {
    return this.consumers.map((c) => c.snapshot(checkpointId));
  }

  notifyCheckpointComplete(checkpointId: number): void {
    for (const c of this.consumers) c.checkpointComplete(checkpointId);
  }

  async close(): Promise<void> {
    await Promise.all(this.consumers.map((c) => c.close()));
    await this.conn?.close();
    this.signal();
  }
}
