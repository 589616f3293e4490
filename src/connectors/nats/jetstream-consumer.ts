import { AckPolicy, DeliverPolicy, ReplayPolicy, nanos, type ConsumerConfig, type JetStreamManager, type Msg, type Subscription } from "nats";
import { VigilError } from "../../errors.js";
import type { ReaderOutput } from "../../runtime/index.js";
import type { Logger } from "../../runtime/logger.js";
import type { NatsHandle } from "./connection.js";
import { DEAD_LETTER, type MessageDecoder } from "./decode.js";
import { parseReply } from "./jetstream-reply.js";

/**
 * One JetStream split: a stream, or the part of it one filter subject selects, with its
 * position. Plain data: checkpoints store it.
 */
export interface JetStreamSplit {
  readonly splitId: string;
  readonly stream: string;
  /** The split's filter subject; absent: the whole stream. */
  readonly filterSubject?: string;
  /** The stream sequence of the next message to read (a message at or after it, with a filter). */
  readonly sequence?: number;
  /** Until a first message is read with `startFrom: { time }`: read from this time (ms since the epoch). */
  readonly startTimeMs?: number;
  /** The durable consumer's name; absent for an ephemeral consumer. */
  readonly durable?: string;
}

/** The consumer tuning a {@link SplitConsumer} uses. */
export interface SplitConsumerSettings {
  readonly fetchBatch: number;
  readonly maxBuffered: number;
  readonly ackWaitMs: number;
  readonly heartbeatMs: number;
  readonly pullExpiresMs: number;
  readonly inactiveThresholdMs: number;
}

/** A message received and not yet emitted. */
interface Received {
  readonly msg: Msg;
  readonly sseq: number;
  readonly ts: number | undefined;
}

/** What a checkpoint covered of this split, to ack when it completes. */
interface PendingAck {
  readonly checkpointId: number;
  readonly position: number;
  readonly generation: number;
  readonly reply: string | undefined;
}

/**
 * Reads one split through a pull consumer that this class owns: `AckAll`, created at the split's
 * stream sequence (a durable one is deleted and created again there), so reading starts exactly
 * at the checkpointed position whatever was acked before. Messages come in stream order; the
 * consumer sequence of each delivery is checked, and a gap (a delivery lost with a cut
 * connection), a reconnect, missed heartbeats or a deleted consumer make the consumer be created
 * again (a "reset") at the position of the last completed checkpoint. Messages below the next
 * position to emit (redeliveries after the ack wait, re-reads after a reset) are dropped, so
 * nothing is emitted twice within a run. When a checkpoint completes, the last message it covered
 * is acked, which acks everything before it.
 */
export class SplitConsumer<T> {
  /** Stream sequence of the next message to emit; undefined before the first with a start time. */
  private nextSeq: number | undefined;
  /** The position the last completed checkpoint covered: where a reset reads from. */
  private ackedSeq: number | undefined;
  private generation = 0;
  private consumerName: string | undefined;
  private sub: Subscription | undefined;
  private inbox = "";
  private buffer: Received[] = [];
  private head = 0;
  /** Messages asked for and not yet received. */
  private pendingPull = 0;
  private lastDelivery = 0;
  private lastActivity = performance.now();
  /** The highest-sequence message of this generation handled so far: what an ack names. */
  private ackCandidate: Received | undefined;
  private readonly pendingAcks: PendingAck[] = [];
  private resetting: Promise<void> | undefined;
  private failure: VigilError | undefined;
  private closed = false;
  private lastCreate = -Infinity;
  private readonly watchdog: NodeJS.Timeout;
  private readonly where: string;

  constructor(
    readonly split: JetStreamSplit,
    private readonly conn: NatsHandle,
    private readonly jsm: JetStreamManager,
    private readonly decoder: MessageDecoder<T>,
    private readonly settings: SplitConsumerSettings,
    private readonly log: Logger,
    private readonly signal: () => void,
    source: string,
  ) {
    this.where = `JetStream source "${source}" split ${split.splitId}`;
    this.nextSeq = split.sequence;
    this.ackedSeq = split.sequence;
    this.watchdog = setInterval(() => this.checkHeartbeats(), settings.heartbeatMs);
    this.watchdog.unref();
  }

  /** Creates the consumer and starts pulling; fails if the stream is missing. */
  async start(): Promise<void> {
    await this.recreate();
    if (this.failure !== undefined) throw this.failure;
  }

  get buffered(): number {
    return this.buffer.length - this.head;
  }

  get error(): VigilError | undefined {
    return this.failure;
  }

  /** Emits up to `max` buffered messages; returns how many it handled (emitted, dead or dropped). */
  poll(output: ReaderOutput<T>, max: number): number {
    const end = Math.min(this.buffer.length, this.head + max);
    const id = this.split.splitId;
    for (let i = this.head; i < end; i++) {
      const r = this.buffer[i];
      if (this.ackCandidate === undefined || r.sseq > this.ackCandidate.sseq) this.ackCandidate = r;
      if (this.nextSeq !== undefined && r.sseq < this.nextSeq) continue; // emitted already this run
      this.nextSeq = r.sseq + 1;
      const value = this.decoder.decode(r.msg.data, r.msg.subject, r.msg.headers, r.sseq);
      if (value !== DEAD_LETTER) output.collect(value, id, r.ts);
    }
    const handled = end - this.head;
    this.head = end;
    if (this.head === this.buffer.length) {
      this.buffer = [];
      this.head = 0;
    } else if (this.head > 16_384) {
      this.buffer = this.buffer.slice(this.head);
      this.head = 0;
    }
    this.maybePull();
    return handled;
  }

  /** The split at its current position, and the ack to send when checkpoint `checkpointId` completes. */
  snapshot(checkpointId: number): JetStreamSplit {
    const s = this.split;
    if (this.nextSeq === undefined) return { ...s };
    this.pendingAcks.push({ checkpointId, position: this.nextSeq, generation: this.generation, reply: this.ackCandidate?.msg.reply });
    if (this.pendingAcks.length > 100) this.pendingAcks.shift(); // checkpoints that never completed
    const { startTimeMs: _, ...rest } = s;
    return { ...rest, sequence: this.nextSeq };
  }

  /** Acks (AckAll) the last message that checkpoint `checkpointId` covered; a later reset reads from its position. */
  checkpointComplete(checkpointId: number): void {
    let done: PendingAck | undefined;
    while (this.pendingAcks.length > 0 && this.pendingAcks[0].checkpointId <= checkpointId) done = this.pendingAcks.shift();
    if (done === undefined) return;
    this.ackedSeq = Math.max(this.ackedSeq ?? 0, done.position);
    // an ack of an earlier generation would name another consumer's sequence; the next checkpoint acks instead
    if (done.reply === undefined || done.generation !== this.generation || this.closed) return;
    try {
      this.conn.nc.publish(done.reply, "+ACK");
    } catch (e) {
      this.log.warn({ split: this.split.splitId, checkpointId, err: e }, "JetStream ack not sent; the next checkpoint acks instead");
    }
  }

  /** Creates the consumer again at the last completed checkpoint's position (after a reconnect, a gap, missed heartbeats). */
  reset(reason: string): void {
    if (this.closed || this.failure !== undefined) return;
    this.log.info({ split: this.split.splitId, reason, from: this.ackedSeq ?? this.split.startTimeMs }, "JetStream consumer reset");
    if (this.resetting !== undefined) {
      this.generation++; // what the consumer being created delivers is stale too
      return;
    }
    void this.recreate();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.watchdog);
    this.sub?.unsubscribe();
    // a reset waiting for the connection ends when the connection closes, after this
    if (this.resetting !== undefined) await Promise.race([this.resetting, new Promise((r) => setTimeout(r, 2000))]);
    const name = this.consumerName;
    if (this.split.durable === undefined && name !== undefined && this.conn.connected()) {
      // an ephemeral consumer would linger until its inactivity threshold
      await this.jsm.consumers.delete(this.split.stream, name).catch(() => {});
    }
  }

  private recreate(): Promise<void> {
    this.resetting = this.recreateLoop().finally(() => {
      this.resetting = undefined;
      this.signal();
    });
    return this.resetting;
  }

  private async recreateLoop(): Promise<void> {
    let delay = 100;
    for (;;) {
      if (this.closed) return;
      const generation = ++this.generation;
      this.sub?.unsubscribe();
      this.sub = undefined;
      this.buffer = [];
      this.head = 0;
      this.pendingPull = 0;
      this.lastDelivery = 0;
      this.ackCandidate = undefined;
      try {
        // resets in quick succession (a consumer that keeps vanishing) are spaced out
        const since = performance.now() - this.lastCreate;
        if (since < 1000) await new Promise((r) => setTimeout(r, 1000 - since));
        if (!this.conn.connected()) await this.conn.reconnected();
        if (this.closed) return;
        await this.createConsumer();
        this.lastCreate = performance.now();
        if (generation !== this.generation) continue; // reset again meanwhile
        this.inbox = `_INBOX.vigil.${Math.random().toString(36).slice(2)}${Date.now().toString(36)}`;
        this.sub = this.conn.nc.subscribe(this.inbox, { callback: (err, msg) => (err ? this.log.warn({ err }, "JetStream pull subscription error") : this.receive(generation, msg)) });
        this.lastActivity = performance.now();
        this.maybePull();
        return;
      } catch (e) {
        const code = (e as { api_error?: { err_code?: number } }).api_error?.err_code;
        if (code === 10059 || /stream not found/i.test((e as Error).message)) {
          this.failure = new VigilError(`${this.where}: stream "${this.split.stream}" not found`, { code: "SOURCE_NOT_FOUND", retriable: true, cause: e });
          return;
        }
        if (code !== undefined && code !== 10014) {
          // the server refused the consumer's configuration: retrying cannot help
          this.failure = new VigilError(`${this.where}: cannot create the consumer: ${(e as Error).message}`, { code: "SOURCE_CONFIG_INVALID", cause: e });
          return;
        }
        this.log.warn({ split: this.split.splitId, err: e, retryInMs: delay }, "JetStream consumer not created; retrying");
        await new Promise((r) => setTimeout(r, delay));
        delay = Math.min(5000, delay * 2);
      }
    }
  }

  private async createConsumer(): Promise<void> {
    const s = this.split;
    const from = this.ackedSeq;
    const config: Partial<ConsumerConfig> = {
      ack_policy: AckPolicy.All,
      ack_wait: nanos(this.settings.ackWaitMs),
      max_ack_pending: -1,
      max_deliver: -1,
      replay_policy: ReplayPolicy.Instant,
      ...(s.filterSubject === undefined ? {} : { filter_subject: s.filterSubject }),
      ...(from !== undefined
        ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: from }
        : s.startTimeMs !== undefined
          ? { deliver_policy: DeliverPolicy.StartTime, opt_start_time: new Date(s.startTimeMs).toISOString() }
          : { deliver_policy: DeliverPolicy.All }),
    };
    if (s.durable !== undefined) {
      // a durable consumer cannot be moved to another start sequence: replace it
      await this.jsm.consumers.delete(s.stream, s.durable).catch((e: unknown) => {
        if (!/consumer not found/i.test((e as Error).message)) throw e;
      });
      const info = await this.jsm.consumers.add(s.stream, { ...config, durable_name: s.durable });
      this.consumerName = info.name;
    } else {
      const old = this.consumerName;
      if (old !== undefined) void this.jsm.consumers.delete(s.stream, old).catch(() => {});
      const info = await this.jsm.consumers.add(s.stream, { ...config, inactive_threshold: nanos(this.settings.inactiveThresholdMs) });
      this.consumerName = info.name;
    }
    this.log.debug({ split: s.splitId, consumer: this.consumerName, from: from ?? s.startTimeMs }, "JetStream consumer created");
  }

  private receive(generation: number, msg: Msg): void {
    if (generation !== this.generation || this.closed) return;
    this.lastActivity = performance.now();
    if (msg.subject === this.inbox) {
      this.status(msg);
      return;
    }
    const r = parseReply(msg);
    if (r === undefined) return;
    if (this.pendingPull > 0) this.pendingPull--;
    if (r.dseq !== this.lastDelivery + 1) {
      this.reset(`delivery ${r.dseq} after ${this.lastDelivery}: deliveries were lost`);
      return;
    }
    this.lastDelivery = r.dseq;
    if (r.dseq === 1 && this.split.filterSubject === undefined && this.ackedSeq !== undefined && r.sseq > this.ackedSeq) {
      this.log.warn({ split: this.split.splitId, expected: this.ackedSeq, first: r.sseq }, "JetStream messages were removed from the stream before they were read");
    }
    this.buffer.push({ msg, sseq: r.sseq, ts: r.ts });
    if (this.buffer.length - this.head === 1) this.signal();
    if (this.pendingPull <= this.settings.fetchBatch / 2) this.maybePull();
  }

  /** A status message of a pull request: a heartbeat, or a request that ended early. */
  private status(msg: Msg): void {
    const h = msg.headers;
    const code = h?.code ?? 0;
    if (code === 100) return; // idle heartbeat
    const description = h?.description?.toLowerCase() ?? "";
    if ((code === 409 && description.includes("consumer deleted")) || code === 503) {
      this.reset(code === 503 ? "no responders" : "consumer deleted");
      return;
    }
    const left = Number(h?.get("Nats-Pending-Messages") ?? "");
    this.pendingPull = Number.isFinite(left) && left > 0 ? Math.max(0, this.pendingPull - left) : 0;
    if (code !== 404 && code !== 408) this.log.debug({ split: this.split.splitId, code, description }, "JetStream pull request ended");
    this.maybePull();
  }

  /** Asks for more while the buffer has room and less than half a batch is on its way. */
  private maybePull(): void {
    if (this.sub === undefined || this.closed) return;
    if (this.buffer.length - this.head >= this.settings.maxBuffered) return;
    const batch = this.settings.fetchBatch;
    if (this.pendingPull > batch / 2) return;
    const want = batch - this.pendingPull;
    const name = this.consumerName!;
    this.pendingPull += want;
    try {
      this.conn.nc.publish(
        `$JS.API.CONSUMER.MSG.NEXT.${this.split.stream}.${name}`,
        JSON.stringify({ batch: want, expires: nanos(this.settings.pullExpiresMs), idle_heartbeat: nanos(this.settings.heartbeatMs) }),
        { reply: this.inbox },
      );
    } catch (e) {
      this.pendingPull -= want;
      this.log.warn({ split: this.split.splitId, err: e }, "JetStream pull request not sent");
    }
  }

  /** A pull request outstanding and nothing heard for two heartbeats: the request or the consumer is gone. */
  private checkHeartbeats(): void {
    if (this.resetting !== undefined || this.closed || this.pendingPull === 0 || !this.conn.connected()) return;
    if (performance.now() - this.lastActivity > 2 * this.settings.heartbeatMs + 500) this.reset("missed heartbeats");
  }
}
