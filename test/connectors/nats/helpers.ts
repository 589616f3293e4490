import { randomBytes } from "node:crypto";
import { createConnection, createServer, type Server, type Socket } from "node:net";
import { connect, type JetStreamManager, type NatsConnection, type StreamConfig } from "nats";
import type { InputStatus, ReaderOutput, SourceReader, SourceSplit } from "../../../src/runtime/index.js";
import { runtimeLogger } from "../../../src/runtime/logger.js";

/** The test server (JetStream enabled). */
export const NATS_URL = process.env.NATS_URL ?? "nats://127.0.0.1:4222";

/** A name unique to this run: streams, consumers and subjects never collide between runs or tests. */
export function unique(prefix: string): string {
  return `${prefix}_${randomBytes(5).toString("hex")}`;
}

/** What a reader context needs. */
export const readerCtx = { subtaskIndex: 0, parallelism: 1, log: runtimeLogger() };

/** A test-side connection that remembers the streams it creates and deletes them in `cleanup`. */
export class NatsFixture {
  private readonly streams: string[] = [];
  private constructor(
    readonly nc: NatsConnection,
    readonly jsm: JetStreamManager,
  ) {}

  static async open(): Promise<NatsFixture> {
    const nc = await connect({ servers: NATS_URL, name: "vigil-test" });
    return new NatsFixture(nc, await nc.jetstreamManager());
  }

  /** Creates a stream with a unique name over `<name>.>`; returns its name. */
  async stream(prefix: string, extra: Partial<StreamConfig> = {}): Promise<string> {
    const name = unique(prefix);
    await this.jsm.streams.add({ name, subjects: [`${name}.>`], ...extra });
    this.streams.push(name);
    return name;
  }

  /** Publishes to JetStream, awaiting every ack. */
  async publish(subject: string, payloads: ReadonlyArray<string | Uint8Array>): Promise<void> {
    const js = this.nc.jetstream();
    for (let i = 0; i < payloads.length; i += 500) await Promise.all(payloads.slice(i, i + 500).map((p) => js.publish(subject, p)));
  }

  async ackFloor(stream: string, consumer: string): Promise<number> {
    return (await this.jsm.consumers.info(stream, consumer)).ack_floor.stream_seq;
  }

  /** Every message of a stream, in order, as text with its Nats-Msg-Id. */
  async read(stream: string): Promise<Array<{ seq: number; subject: string; data: string; msgId: string | undefined }>> {
    const info = await this.jsm.streams.info(stream);
    const out: Array<{ seq: number; subject: string; data: string; msgId: string | undefined }> = [];
    for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq++) {
      const m = await this.jsm.streams.getMessage(stream, { seq });
      out.push({ seq: m.seq, subject: m.subject, data: new TextDecoder().decode(m.data), msgId: m.header?.get("Nats-Msg-Id") || undefined });
    }
    return out;
  }

  async cleanup(): Promise<void> {
    for (const s of this.streams.splice(0)) await this.jsm.streams.delete(s).catch(() => {});
    await this.nc.close();
  }
}

/** Collects what a reader emits. */
export function collector<T>() {
  const values: T[] = [];
  const timestamps: Array<number | undefined> = [];
  const splits: string[] = [];
  const output: ReaderOutput<T> = {
    collect: (value, split, ts) => {
      values.push(value);
      splits.push(split);
      timestamps.push(ts);
    },
    splitFinished: () => {},
  };
  return { values, timestamps, splits, output };
}

/**
 * Polls a reader as the runtime does (awaiting `available` when it waits, at most 50 ms at a
 * time) until `done()` holds; fails after `timeoutMs` naming `what`.
 */
export async function pollUntil<T, S extends SourceSplit>(
  reader: SourceReader<T, S>,
  output: ReaderOutput<T>,
  done: () => boolean,
  what: string,
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    const r = reader.pollNext(output);
    const status: InputStatus = r instanceof Promise ? await r : r;
    if (status === "waiting") await Promise.race([reader.available!(), sleep(50)]);
    else await new Promise((res) => setImmediate(res));
  }
}

/** Waits until `cond` (maybe async) holds, polling every 20 ms; fails after `timeoutMs` naming `what`. */
export async function eventually(cond: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * A TCP proxy on 127.0.0.1 to the NATS server, to cut a client's connection: `cut()` destroys
 * every connection and stops listening (reconnects are refused), `restore()` listens again on the
 * same port.
 */
export class TcpProxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  port = 0;

  constructor(private readonly target = new URL(NATS_URL.replace(/^nats:/, "http:"))) {}

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const server = createServer((client) => {
      const upstream = createConnection({ host: this.target.hostname, port: Number(this.target.port || 4222) });
      this.sockets.add(client);
      this.sockets.add(upstream);
      const drop = () => {
        client.destroy();
        upstream.destroy();
        this.sockets.delete(client);
        this.sockets.delete(upstream);
      };
      client.on("error", drop).on("close", drop);
      upstream.on("error", drop).on("close", drop);
      client.pipe(upstream);
      upstream.pipe(client);
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.port, "127.0.0.1", () => resolve());
    });
    this.port = (server.address() as { port: number }).port;
    this.server = server;
  }

  async cut(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    const closed = server === undefined ? Promise.resolve() : new Promise<void>((r) => server.close(() => r()));
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    await closed;
  }

  restore(): Promise<void> {
    return this.start();
  }

  stop(): Promise<void> {
    return this.cut();
  }
}
