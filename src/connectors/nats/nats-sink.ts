import { headers as natsHeaders, type MsgHdrs } from "nats";
import { VigilError } from "../../errors.js";
import type { Sink, SinkWriter, SinkWriterContext } from "../../runtime/index.js";
import { Serializers, type Serializer } from "../format.js";
import { checkSubject, connectNats, type NatsConnectionOptions, type NatsHandle } from "./connection.js";

/** Options of a {@link NatsSink}. */
export interface NatsSinkOptions<T> extends NatsConnectionOptions {
  /** The subject of every record, or a function of the record (no wildcards). */
  readonly subject: string | ((value: T) => string);
  /** Default JSON. */
  readonly serializer?: Serializer<T>;
  /** Headers of a record's message. */
  readonly headers?: (value: T) => Readonly<Record<string, string>> | undefined;
  /** Names the sink in logs and errors (default "nats"). */
  readonly name?: string;
}

/**
 * Publishes records to core NATS, **at-most-once**: a publish is fire-and-forget, so a message
 * is lost when no subscriber is listening, when the connection is cut while it is buffered
 * beyond the client's reconnect buffer, or when the job fails before it was flushed; a replay
 * after a restore publishes again what was published after the checkpoint. `flush` (after each
 * batch, and at each checkpoint) waits until the server has received what was published. Use
 * {@link JetStreamSink} for stored, de-duplicated output.
 */
export class NatsSink<T> implements Sink<T> {
  private readonly name: string;
  private readonly serializer: Serializer<T>;

  constructor(private readonly options: NatsSinkOptions<T>) {
    this.name = options.name ?? "nats";
    if (typeof options.subject !== "function") checkSubject(options.subject, `NATS sink "${this.name}"`, false);
    this.serializer = options.serializer ?? Serializers.json<T>();
  }

  async createWriter(ctx: SinkWriterContext): Promise<SinkWriter<T>> {
    const conn = await connectNats(this.options, `NATS sink "${this.name}"`, ctx.log);
    return new NatsWriter(conn, this.name, this.options, this.serializer);
  }
}

class NatsWriter<T> implements SinkWriter<T> {
  private unflushed = 0;

  constructor(
    private readonly conn: NatsHandle,
    private readonly name: string,
    private readonly options: NatsSinkOptions<T>,
    private readonly serializer: Serializer<T>,
  ) {}

  write(value: T): void {
    const subject = typeof this.options.subject === "string" ? this.options.subject : this.options.subject(value);
    const h = this.options.headers?.(value);
    try {
      this.conn.nc.publish(subject, this.serializer.serialize(value), h === undefined ? undefined : { headers: toHeaders(h) });
    } catch (e) {
      throw new VigilError(`NATS sink "${this.name}": cannot publish to "${subject}": ${(e as Error).message}`, { code: "SINK_WRITE_FAILED", cause: e });
    }
    this.unflushed++;
  }

  flush(): Promise<void> | undefined {
    if (this.unflushed === 0) return undefined;
    this.unflushed = 0;
    return this.flushToServer();
  }

  /** Waits until the server has what was published; while disconnected, until the reconnect (the client buffers meanwhile). */
  private async flushToServer(): Promise<void> {
    for (;;) {
      if (this.conn.nc.isClosed()) throw new VigilError(`NATS sink "${this.name}": the connection is closed`, { code: "SINK_WRITE_FAILED" });
      if (!this.conn.connected()) await this.conn.reconnected();
      try {
        await this.conn.nc.flush();
        return;
      } catch {
        // the connection dropped during the flush: wait for it again
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }

  async snapshotState(): Promise<undefined> {
    this.unflushed = 0;
    await this.flushToServer();
    return undefined;
  }

  close(): Promise<void> {
    return this.conn.close();
  }
}

/** A record's headers as NATS headers. */
export function toHeaders(h: Readonly<Record<string, string>>): MsgHdrs {
  const out = natsHeaders();
  for (const [k, v] of Object.entries(h)) out.set(k, v);
  return out;
}
