import type { Msg, Subscription } from "nats";
import { VigilError } from "../../errors.js";
import type { InputStatus, ReaderOutput, Source, SourceReader, SourceReaderContext, SourceSplit } from "../../runtime/index.js";
import type { Logger } from "../../runtime/logger.js";
import type { DeadLetterHandler } from "../dead-letter.js";
import { resolveDeserializer, type Deserializer } from "../format.js";
import { checkSubject, connectNats, type NatsConnectionOptions, type NatsHandle } from "./connection.js";
import { DEAD_LETTER, MessageDecoder } from "./decode.js";

/** Options of a {@link NatsSource}. */
export interface NatsSourceOptions<T> extends NatsConnectionOptions {
  /** Subjects to subscribe to; wildcards allowed (`orders.*`, `orders.>`). */
  readonly subjects: string | readonly string[];
  /**
   * A queue group: each message goes to one member of the group, so subtasks (and other
   * processes in the group) share the load. Without it the source has one subtask.
   */
  readonly queue?: string;
  /** "json" (default), "string", "bytes" or a `Deserializer` (`Deserializers.json({ schema })`, `Deserializers.of(...)`). */
  readonly deserializer?: Deserializer<T> | "json" | "string" | "bytes";
  /** Receives messages that do not decode (with subject and reason). */
  readonly deadLetters?: DeadLetterHandler;
  /** Names the source in dead letters, logs and errors (default "nats"). */
  readonly name?: string;
  /** Messages per `pollNext`, at most (default 4096). */
  readonly batchSize?: number;
  /**
   * Messages held while the job is busy (default 100 000). Core NATS cannot be paused: past this
   * the source drops messages, counts them and logs a warning, as the server would drop them for
   * a slow consumer.
   */
  readonly maxBuffered?: number;
}

/** A core NATS split: a subscription (one, or one per subtask in a queue group). It has no position. */
export interface NatsSplit extends SourceSplit {
  readonly kind: "nats";
}

/**
 * A continuous source of core NATS messages, **at-most-once**: core NATS keeps nothing, so there
 * is no position to checkpoint or restore. Messages published while the job is down or
 * restarting, and those received but not yet through a checkpoint when it fails, are lost. Use
 * {@link JetStreamSource} when messages must not be lost.
 *
 * Without `queue` the source has one subtask (several plain subscriptions would each get every
 * message); with `queue` every subtask joins the queue group.
 */
export class NatsSource<T = unknown> implements Source<T, NatsSplit> {
  readonly boundedness = "continuous" as const;
  readonly maxParallelism: number | undefined;
  readonly name: string;
  private readonly subjects: readonly string[];
  private readonly deserializer: Deserializer<T>;
  private dropped = 0;
  private malformed = 0;

  constructor(private readonly options: NatsSourceOptions<T>) {
    const name = options.name ?? "nats";
    const where = `NATS source "${name}"`;
    const subjects = typeof options.subjects === "string" ? [options.subjects] : options.subjects;
    if (!Array.isArray(subjects) || subjects.length === 0) {
      throw new VigilError(`${where}: subjects must name at least one subject`, { code: "CONNECTOR_CONFIG_INVALID" });
    }
    for (const s of subjects) checkSubject(s, where, true);
    if (options.queue !== undefined) checkSubject(options.queue, `${where} queue`, false);
    for (const key of ["batchSize", "maxBuffered"] as const) {
      const v = options[key];
      if (v !== undefined && !(Number.isInteger(v) && v > 0)) throw new VigilError(`${where}: ${key} must be a positive integer, got ${v}`, { code: "CONNECTOR_CONFIG_INVALID" });
    }
    this.name = name;
    this.subjects = subjects;
    this.deserializer = resolveDeserializer(options.deserializer, where);
    this.maxParallelism = options.queue === undefined ? 1 : undefined;
  }

  /** Messages dropped because the buffer was full, in this process. */
  get droppedCount(): number {
    return this.dropped;
  }

  /** Messages sent to the dead letters, in this process. */
  get deadLetterCount(): number {
    return this.malformed;
  }

  createSplits(ctx: { parallelism: number }): NatsSplit[] {
    const n = this.options.queue === undefined ? 1 : ctx.parallelism;
    return Array.from({ length: n }, (_, i) => ({ splitId: `${this.name}-${i}`, kind: "nats" as const }));
  }

  createReader(ctx: SourceReaderContext): SourceReader<T, NatsSplit> {
    const decoder = new MessageDecoder(this.name, this.deserializer, this.options.deadLetters, ctx.log, () => this.malformed++);
    return new NatsSourceReader(this.name, this.subjects, this.options, decoder, ctx.log, () => this.dropped++);
  }
}

class NatsSourceReader<T> implements SourceReader<T, NatsSplit> {
  private readonly where: string;
  private splits: NatsSplit[] = [];
  private conn: NatsHandle | undefined;
  private readonly subs: Subscription[] = [];
  private buffer: Msg[] = [];
  private head = 0;
  private wake: (() => void) | undefined;
  private droppedSinceLog = 0;
  private lastDropLog = 0;
  private readonly batchSize: number;
  private readonly maxBuffered: number;

  constructor(
    private readonly name: string,
    private readonly subjects: readonly string[],
    private readonly options: NatsSourceOptions<T>,
    private readonly decoder: MessageDecoder<T>,
    private readonly log: Logger,
    private readonly countDropped: () => void,
  ) {
    this.where = `NATS source "${name}"`;
    this.batchSize = options.batchSize ?? 4096;
    this.maxBuffered = options.maxBuffered ?? 100_000;
  }

  async addSplits(splits: NatsSplit[]): Promise<void> {
    this.splits.push(...splits);
    // one subscription per reader, however many splits (a restore at a lower parallelism)
    if (this.conn !== undefined || this.splits.length === 0) return;
    this.conn = await connectNats(this.options, this.where, this.log);
    for (const subject of this.subjects) {
      this.subs.push(
        this.conn.nc.subscribe(subject, {
          ...(this.options.queue === undefined ? {} : { queue: this.options.queue }),
          callback: (err, msg) => {
            if (err) this.log.error({ source: this.name, subject, err }, "NATS subscription error");
            else this.receive(msg);
          },
        }),
      );
    }
    // the subscriptions are registered at the server before the job goes on
    await this.conn.nc.flush();
    this.log.info({ source: this.name, subjects: this.subjects, queue: this.options.queue }, "NATS source subscribed");
  }

  private receive(msg: Msg): void {
    if (this.buffer.length - this.head >= this.maxBuffered) {
      this.countDropped();
      this.droppedSinceLog++;
      const now = Date.now();
      if (now - this.lastDropLog > 5000) {
        this.log.warn({ source: this.name, dropped: this.droppedSinceLog, maxBuffered: this.maxBuffered }, "NATS source buffer full: messages dropped");
        this.lastDropLog = now;
        this.droppedSinceLog = 0;
      }
      return;
    }
    this.buffer.push(msg);
    const w = this.wake;
    if (w !== undefined) {
      this.wake = undefined;
      w();
    }
  }

  pollNext(output: ReaderOutput<T>): InputStatus {
    const split = this.splits[0]?.splitId;
    if (split === undefined) return "waiting";
    const end = Math.min(this.buffer.length, this.head + this.batchSize);
    for (let i = this.head; i < end; i++) {
      const msg = this.buffer[i];
      const value = this.decoder.decode(msg.data, msg.subject, msg.headers);
      if (value !== DEAD_LETTER) output.collect(value, split);
    }
    this.head = end;
    if (this.head === this.buffer.length) {
      this.buffer = [];
      this.head = 0;
      return end > 0 ? "more" : "waiting";
    }
    if (this.head > 65_536) {
      this.buffer = this.buffer.slice(this.head);
      this.head = 0;
    }
    return "more";
  }

  available(): Promise<void> {
    if (this.buffer.length > this.head) return Promise.resolve();
    return new Promise<void>((resolve) => (this.wake = resolve));
  }

  snapshotState(): NatsSplit[] {
    return this.splits.map((s) => ({ splitId: s.splitId, kind: s.kind }));
  }

  async close(): Promise<void> {
    for (const s of this.subs) s.unsubscribe();
    const left = this.buffer.length - this.head;
    if (left > 0) this.log.info({ source: this.name, messages: left }, "NATS source closed with messages not emitted (at-most-once: they are lost)");
    this.buffer = [];
    this.head = 0;
    await this.conn?.close();
    this.wake?.();
  }
}
