import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer } from "node:net";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DeadLetter } from "../../../src/connectors/dead-letter.js";
import { Deserializers } from "../../../src/connectors/format.js";
import { NatsSink, NatsSource } from "../../../src/connectors/nats/index.js";
import { CollectSink, StreamExecutionEnvironment, WatermarkStrategy, type SinkWriterContext } from "../../../src/runtime/index.js";
import { runtimeLogger } from "../../../src/runtime/logger.js";
import { collector, eventually, NatsFixture, pollUntil, readerCtx, sleep, unique } from "./helpers.js";

let fx: NatsFixture;
beforeAll(async () => {
  fx = await NatsFixture.open();
});
afterAll(async () => {
  await fx.cleanup();
});

const sinkCtx = (): SinkWriterContext => ({ subtaskIndex: 0, parallelism: 1, log: runtimeLogger(), restoredState: [], attempt: "t", checkpointing: false });

describe("NatsSource (core NATS, at-most-once)", () => {
  it("subscribes to subjects with wildcards and emits only the messages they match", async () => {
    const p = unique("core");
    const source = new NatsSource<{ n: number }>({ subjects: [`${p}.orders.*`, `${p}.audit.>`] });
    expect(source.maxParallelism).toBe(1);
    const reader = source.createReader(readerCtx);
    await reader.addSplits(source.createSplits({ parallelism: 1 }));
    const c = collector<{ n: number }>();
    fx.nc.publish(`${p}.orders.a`, JSON.stringify({ n: 1 }));
    fx.nc.publish(`${p}.orders.a.b`, JSON.stringify({ n: 99 })); // `*` is one token
    fx.nc.publish(`${p}.audit.x.y`, JSON.stringify({ n: 2 }));
    fx.nc.publish(`${p}.other`, JSON.stringify({ n: 98 }));
    fx.nc.publish(`${p}.orders.b`, JSON.stringify({ n: 3 }));
    await fx.nc.flush();
    await pollUntil(reader, c.output, () => c.values.length >= 3, "three messages");
    await fx.nc.flush();
    await sleep(100); // a stray match would have arrived by now
    await reader.pollNext(c.output);
    expect(c.values.map((v) => v.n).sort()).toEqual([1, 2, 3]);
    await reader.close?.();
  });

  it("in a queue group every message goes to exactly one of the subtasks", async () => {
    const subject = unique("queue");
    const source = new NatsSource<number>({ subjects: subject, queue: "workers" });
    expect(source.maxParallelism).toBeUndefined();
    const splits = source.createSplits({ parallelism: 2 });
    expect(splits).toHaveLength(2);
    const readers = [source.createReader({ ...readerCtx, subtaskIndex: 0, parallelism: 2 }), source.createReader({ ...readerCtx, subtaskIndex: 1, parallelism: 2 })];
    await readers[0].addSplits([splits[0]]);
    await readers[1].addSplits([splits[1]]);
    const cs = [collector<number>(), collector<number>()];
    for (let i = 0; i < 400; i++) fx.nc.publish(subject, String(i));
    await fx.nc.flush();
    const total = () => cs[0].values.length + cs[1].values.length;
    const deadline = Date.now() + 20_000;
    while (total() < 400 && Date.now() < deadline) {
      for (const [i, r] of readers.entries()) await r.pollNext(cs[i].output);
      await sleep(5);
    }
    const all = [...cs[0].values, ...cs[1].values].sort((a, b) => a - b);
    expect(all).toEqual(Array.from({ length: 400 }, (_, i) => i));
    expect(cs[0].values.length).toBeGreaterThan(0);
    expect(cs[1].values.length).toBeGreaterThan(0);
    for (const r of readers) await r.close?.();
  });

  it("sends messages that do not decode or fail the schema to the dead letters with subject and reason, and goes on", async () => {
    const subject = unique("dead");
    const letters: DeadLetter[] = [];
    const schema = { type: "object", required: ["n"], properties: { n: { type: "number" } } };
    const source = new NatsSource<{ n: number }>({ subjects: subject, name: "payments", deserializer: Deserializers.json({ schema }), deadLetters: (d) => letters.push(d) });
    const reader = source.createReader(readerCtx);
    await reader.addSplits(source.createSplits({ parallelism: 1 }));
    fx.nc.publish(subject, "{not json");
    fx.nc.publish(subject, JSON.stringify({ n: "x" }));
    fx.nc.publish(subject, new Uint8Array([0xff, 0xfe]));
    fx.nc.publish(subject, JSON.stringify({ n: 7 }));
    const c = collector<{ n: number }>();
    await pollUntil(reader, c.output, () => c.values.length === 1 && letters.length === 3, "one record and three dead letters");
    expect(c.values).toEqual([{ n: 7 }]);
    expect(letters[0]).toMatchObject({ source: "payments", subject, raw: "{not json", reason: expect.stringMatching(/^json\+schema: /) });
    expect(letters[1]).toMatchObject({ subject, reason: "json+schema: schema: /n must be number" });
    expect(letters[2]).toMatchObject({ subject, raw: "base64://4=" });
    expect(letters[0].streamSequence).toBeUndefined();
    expect(source.deadLetterCount).toBe(3);
    await reader.close?.();
  });

  it("runs in a job: a string deserializer and a user function", async () => {
    const subject = unique("job");
    const upper = Deserializers.of("upper", (payload, meta) => `${meta.channel}:${new TextDecoder().decode(payload).toUpperCase()}`);
    const sink = new CollectSink<string>();
    const env = new StreamExecutionEnvironment();
    env.fromSource(new NatsSource<string>({ subjects: subject, deserializer: upper }), WatermarkStrategy.noWatermarks<string>(), "nats").sinkTo(sink);
    const client = await env.executeAsync("core-nats-job");
    try {
      // core NATS keeps nothing for a subscriber not yet there: publish until the job has some
      let i = 0;
      await eventually(() => {
        fx.nc.publish(subject, `m${i++}`);
        return sink.values.length >= 3;
      }, "the job to receive messages");
      expect(sink.values[0]).toMatch(new RegExp(`^${subject}:M\\d+$`));
    } finally {
      await client.cancel();
    }
  });

  it("rejects bad subjects and options with a clear error", () => {
    expect(() => new NatsSource({ subjects: [] })).toThrow(/subjects must name at least one subject/);
    expect(() => new NatsSource({ subjects: "a..b" })).toThrow(/has an empty token/);
    expect(() => new NatsSource({ subjects: "a.>.b" })).toThrow(/'>' before its last token/);
    expect(() => new NatsSource({ subjects: "a b" })).toThrow(/whitespace/);
    expect(() => new NatsSource({ subjects: "a", batchSize: 0 })).toThrow(/batchSize must be a positive integer/);
    expect(() => new NatsSink({ subject: "a.*" })).toThrow(/must not contain wildcards/);
    expect(() => new NatsSource({ subjects: "a", servers: "http://x" })).not.toThrow(); // servers are checked at connect
  });
});

describe("NatsSink (core NATS, at-most-once)", () => {
  it("publishes each record to its subject with its headers; flush waits for the server", async () => {
    const p = unique("sink");
    const got: Array<{ subject: string; data: string; tag: string | undefined }> = [];
    const sub = fx.nc.subscribe(`${p}.>`, { callback: (_e, m) => got.push({ subject: m.subject, data: m.string(), tag: m.headers?.get("tag") }) });
    await fx.nc.flush();
    const sink = new NatsSink<{ kind: string; n: number }>({ subject: (v) => `${p}.${v.kind}`, headers: (v) => ({ tag: `t${v.n}` }) });
    const w = await sink.createWriter(sinkCtx());
    w.write({ kind: "a", n: 1 }, 0);
    w.write({ kind: "b", n: 2 }, 0);
    await w.flush?.(false);
    await eventually(() => got.length === 2, "two messages");
    expect(got).toEqual([
      { subject: `${p}.a`, data: '{"kind":"a","n":1}', tag: "t1" },
      { subject: `${p}.b`, data: '{"kind":"b","n":2}', tag: "t2" },
    ]);
    await w.close?.();
    sub.unsubscribe();
  });
});

/** A free port on 127.0.0.1. */
async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

const natsServer = "/usr/sbin/nats-server";

describe.skipIf(!existsSync(natsServer))("credentials from the environment", () => {
  let server: ChildProcess;
  let port: number;
  const password = `pw-${unique("s")}`;
  beforeAll(async () => {
    port = await freePort();
    server = spawn(natsServer, ["-a", "127.0.0.1", "-p", String(port), "--user", "vigil", "--pass", password], { stdio: "ignore" });
    const fx2 = async () => {
      const { connect } = await import("nats");
      const nc = await connect({ servers: `nats://127.0.0.1:${port}`, user: "vigil", pass: password, timeout: 500 });
      await nc.close();
      return true;
    };
    await eventually(() => fx2().catch(() => false), "the password-protected server to start");
  });
  afterAll(() => {
    server.kill();
  });

  it("connects with NATS_USER and NATS_PASSWORD, fails clearly without them, and never logs the password", async () => {
    const lines: string[] = [];
    const log = pino({ level: "trace" }, { write: (s: string) => lines.push(s) });
    const subject = unique("auth");
    const servers = `nats://127.0.0.1:${port}`;
    const saved = { user: process.env.NATS_USER, pass: process.env.NATS_PASSWORD };
    try {
      delete process.env.NATS_USER;
      delete process.env.NATS_PASSWORD;
      const refused = new NatsSource({ subjects: subject, servers }).createReader({ ...readerCtx, log });
      await expect(refused.addSplits([{ splitId: "x", kind: "nats" }])).rejects.toMatchObject({ code: "CONNECTOR_CONNECT_FAILED", message: expect.stringMatching(/cannot connect to NATS at nats:\/\/127\.0\.0\.1:\d+: .*auth/i) });
      process.env.NATS_USER = "vigil";
      process.env.NATS_PASSWORD = password;
      const source = new NatsSource<string>({ subjects: subject, servers, deserializer: "string" });
      const reader = source.createReader({ ...readerCtx, log });
      await reader.addSplits(source.createSplits({ parallelism: 1 }));
      const sink = new NatsSink<string>({ subject, servers, serializer: { name: "s", serialize: (s) => new TextEncoder().encode(s) } });
      const w = await sink.createWriter({ ...sinkCtx(), log });
      w.write("hello", 0);
      await w.flush?.(false);
      const c = collector<string>();
      await pollUntil(reader, c.output, () => c.values.length === 1, "the message");
      expect(c.values).toEqual(["hello"]);
      await w.close?.();
      await reader.close?.();
    } finally {
      if (saved.user === undefined) delete process.env.NATS_USER;
      else process.env.NATS_USER = saved.user;
      if (saved.pass === undefined) delete process.env.NATS_PASSWORD;
      else process.env.NATS_PASSWORD = saved.pass;
    }
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.join("\n")).not.toContain(password);
  });
});
