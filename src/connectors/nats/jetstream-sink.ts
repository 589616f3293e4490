import { headers as natsHeaders } from "nats";
import { VigilError } from "../../errors.js";
import { IdempotentSink, type IdempotentRecord, type SinkWriter, type SinkWriterContext } from "../../runtime/index.js";
import type { Logger } from "../../runtime/logger.js";
import { Serializers, type Serializer } from "../format.js";
import { checkName, checkSubject, connectNats, isTransient, type NatsConnectionOptions, type NatsHandle } from "./connection.js";
import { JetStreamPublisher } from "./jetstream-publisher.js";

/** Options of a {@link JetStreamSink}. */
export interface JetStreamSinkOptions<T> extends NatsConnectionOptions {
  /** The subject of every record, or a function of the record (no wildcards). */
  readonly subject: string | ((value: T) => string);
  /**
   * The record's `Nats-Msg-Id`: a pure function of the record (an alert id, a key and window
   * end), so that a replay publishes the same id and the stream drops the copy.
   */
  readonly msgId: (value: T) => string;
  /** Default JSON. */
  readonly serializer?: Serializer<T>;
  /** More headers of a record's message. */
  readonly headers?: (value: T) => Readonly<Record<string, string>> | undefined;
  /** The stream the subjects belong to: checked at start, and every publish expects it. */
  readonly stream?: string;
  /** Names the sink in logs and errors (default "jetstream"). */
  readonly name?: string;
  /** Publishes in flight at once (default 1000). */
  readonly maxBatchSize?: number;
  /** How long a publish waits for its ack (ms, default 10 000). */
  readonly publishTimeoutMs?: number;
  /** Attempts of a publish that times out while connected (default 5); while disconnected it waits for the reconnect, however long. */
  readonly maxPublishAttempts?: number;
}

interface Connected {
  readonly conn: NatsHandle;
  readonly publisher: JetStreamPublisher;
}

/**
 * Publishes records to JetStream, each with the `Nats-Msg-Id` header from `msgId`, and waits for
 * the stream's acks: `flush` after each batch, and `snapshotState` resolves only once every
 * earlier publish is acked, so a completed checkpoint covers only stored messages. After a
 * restore the job replays what followed the checkpoint; the stream drops a message whose id it
 * has seen **within its `duplicate_window`** (2 minutes by default), so the output holds each
 * record once when recovery takes less than the window: give the output stream a window longer
 * than the longest recovery you expect. Built on `IdempotentSink`.
 *
 * Publishes that time out or find the connection cut are retried with the same id (so a retry
 * never duplicates); a cut connection is waited for, not a failure. Order: within one `flush`,
 * publishes go out in order; a retried one lands after those that succeeded.
 */
export class JetStreamSink<T> extends IdempotentSink<T> {
  private readonly options: JetStreamSinkOptions<T>;
  private readonly serializer: Serializer<T>;
  private readonly connections = new WeakMap<SinkWriterContext, Promise<Connected>>();
  private dupes = 0;
  private stored = 0;

  constructor(options: JetStreamSinkOptions<T>) {
    const name = options.name ?? "jetstream";
    const where = `JetStream sink "${name}"`;
    if (typeof options.msgId !== "function") throw new VigilError(`${where}: msgId must be a function of the record`, { code: "CONNECTOR_CONFIG_INVALID" });
    if (typeof options.subject !== "function") checkSubject(options.subject, where, false);
    if (options.stream !== undefined) checkName(options.stream, "stream", where);
    super({ name, idOf: options.msgId, maxBatchSize: options.maxBatchSize ?? 1000 });
    this.options = options;
    this.serializer = options.serializer ?? Serializers.json<T>();
  }

  /** Publishes the stream acked as duplicates (replays it dropped), in this process. */
  get duplicateCount(): number {
    return this.dupes;
  }

  /** Publishes the stream stored (not duplicates), in this process. */
  get storedCount(): number {
    return this.stored;
  }

  override createWriter(ctx: SinkWriterContext): SinkWriter<T> {
    // the base class makes writers synchronously: connect meanwhile, the first upsert awaits it
    const connecting = this.connect(ctx);
    connecting.catch(() => {}); // surfaces at the first flush
    this.connections.set(ctx, connecting);
    const writer = super.createWriter(ctx);
    const close = writer.close?.bind(writer);
    writer.close = async () => {
      try {
        await close?.();
      } finally {
        await connecting.then(
          (c) => {
            c.publisher.close();
            return c.conn.close();
          },
          () => {},
        );
      }
    };
    return writer;
  }

  private async connect(ctx: SinkWriterContext): Promise<Connected> {
    const conn = await connectNats(this.options, `JetStream sink "${this.name}"`, ctx.log);
    const stream = this.options.stream;
    if (stream !== undefined) {
      try {
        const jsm = await conn.nc.jetstreamManager();
        const info = await jsm.streams.info(stream);
        ctx.log.info({ sink: this.name, stream, duplicateWindowMs: info.config.duplicate_window / 1e6 }, "JetStream sink: messages de-duplicated within the stream's duplicate window");
      } catch (e) {
        await conn.close();
        throw new VigilError(`JetStream sink "${this.name}": cannot read stream "${stream}": ${(e as Error).message}`, { code: "SINK_CONFIG_INVALID", cause: e });
      }
    }
    return { conn, publisher: new JetStreamPublisher(conn, this.options.publishTimeoutMs ?? 10_000) };
  }

  protected async upsert(batch: Array<IdempotentRecord<T>>, ctx: SinkWriterContext): Promise<void> {
    const c = await this.connections.get(ctx)!;
    const warned = { done: false };
    const acks = new Array<Promise<boolean>>(batch.length);
    for (let i = 0; i < batch.length; i++) acks[i] = this.publish(c, batch[i], ctx.log, warned);
    const duplicates = await Promise.all(acks);
    let d = 0;
    for (const dup of duplicates) if (dup) d++;
    this.dupes += d;
    this.stored += batch.length - d;
  }

  /** Publishes one record, retrying with the same id; resolves to whether the stream saw it as a duplicate. */
  private async publish(c: Connected, r: IdempotentRecord<T>, log: Logger, warned: { done: boolean }): Promise<boolean> {
    const value = r.value;
    const subject = typeof this.options.subject === "string" ? this.options.subject : this.options.subject(value);
    const data = this.serializer.serialize(value);
    const extra = this.options.headers?.(value);
    const maxAttempts = this.options.maxPublishAttempts ?? 5;
    for (let attempt = 1; ; ) {
      const h = natsHeaders();
      if (extra !== undefined) for (const k in extra) h.set(k, extra[k]);
      h.set("Nats-Msg-Id", r.id);
      if (this.options.stream !== undefined) h.set("Nats-Expected-Stream", this.options.stream);
      try {
        const ack = await c.publisher.publish(subject, data, h);
        return ack.duplicate;
      } catch (e) {
        const nc = c.conn.nc;
        const connected = c.conn.connected();
        if (nc.isClosed() || (connected && (!isTransient(e) || attempt >= maxAttempts))) {
          throw new VigilError(`JetStream sink "${this.name}": publish to "${subject}" (Nats-Msg-Id ${r.id}) failed${connected ? ` after ${attempt} attempts` : ""}: ${describe(e)}`, {
            code: "SINK_PUBLISH_FAILED",
            retriable: isTransient(e),
            cause: e,
          });
        }
        if (!warned.done) {
          warned.done = true;
          log.warn({ sink: this.name, subject, attempt, connected, err: describe(e) }, "JetStream publish not acked; retrying with the same Nats-Msg-Id");
        }
        if (!connected) await c.conn.reconnected();
        else {
          await new Promise((res) => setTimeout(res, Math.min(2000, 100 * 2 ** attempt)));
          attempt++;
        }
      }
    }
  }
}

function describe(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
