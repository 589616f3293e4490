import { createHmac, randomUUID, timingSafeEqual } from "node:crypto";
import { readdirSync } from "node:fs";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { WebhookSink, verifyWebhookSignature, type WebhookDeadLetter } from "../../../src/connectors/webhook/index.js";
import { RestartStrategies, StreamExecutionEnvironment, WatermarkStrategy, type SinkWriterContext } from "../../../src/runtime/index.js";
import { runtimeLogger } from "../../../src/runtime/logger.js";
import { FailureInjector, SlowListSource, tempDirs, until } from "../../runtime/checkpoint/helpers.js";
import { memoryLogger, startReceiver, type Receiver } from "./receiver.js";

type Alert = { id: string; n?: number; reject?: boolean; big?: bigint };

const receivers: Receiver[] = [];
async function receiver(...args: Parameters<typeof startReceiver>): Promise<Receiver> {
  const r = await startReceiver(...args);
  receivers.push(r);
  return r;
}
afterEach(async () => {
  await Promise.all(receivers.splice(0).map((r) => r.close()));
});
const { tmp, cleanup } = tempDirs("vigil-webhook-");
afterAll(cleanup);

function context(over: Partial<SinkWriterContext> = {}): SinkWriterContext {
  return { subtaskIndex: 0, parallelism: 1, log: runtimeLogger(), restoredState: [], attempt: "a", checkpointing: true, ...over };
}

const fast = { maxAttempts: 5, initialDelayMs: 1, maxDelayMs: 20, jitter: 0 };
const bodies = (rx: Receiver) => rx.requests.map((r) => JSON.parse(r.body) as unknown);

describe("WebhookSink", () => {
  it("posts one JSON object per request at batchSize 1, and JSON arrays of up to batchSize above", async () => {
    const rx = await receiver();
    const single = new WebhookSink<Alert>({ url: rx.url, name: "single" });
    const w1 = single.createWriter(context());
    w1.write({ id: "a" }, 0);
    w1.write({ id: "b" }, 0);
    await w1.flush!(true);
    expect(bodies(rx)).toEqual([{ id: "a" }, { id: "b" }]);
    expect(rx.requests[0].headers["content-type"]).toBe("application/json");
    expect(rx.requests[0].path).toBe("/hook");

    rx.requests.length = 0;
    const batched = new WebhookSink<number>({ url: rx.url, name: "batched", batchSize: 3 });
    const w3 = batched.createWriter(context());
    for (let i = 0; i < 7; i++) w3.write(i, 0);
    await w3.flush!(false);
    await w3.snapshotState!(1); // resolves once all seven are delivered
    expect(bodies(rx)).toEqual([[0, 1, 2], [3, 4, 5], [6]]);
    expect(batched.deliveredCount).toBe(7);
    await w3.close!();
  });

  it("signs each request with HMAC-SHA256 over timestamp.body, which the receiver verifies", async () => {
    const secretEnv = `VIGIL_TEST_WEBHOOK_SECRET_${randomUUID().replace(/-/g, "")}`;
    const secret = `s3cret-${randomUUID()}`;
    process.env[secretEnv] = secret;
    try {
      // the receiver's check, as docs/webhook.md shows it
      const verify = (body: string, ts: string, sig: string) => {
        const expected = Buffer.from("sha256=" + createHmac("sha256", secret).update(`${ts}.${body}`).digest("hex"));
        const got = Buffer.from(sig);
        return got.length === expected.length && timingSafeEqual(got, expected) && Math.abs(Date.now() / 1000 - Number(ts)) <= 300;
      };
      const rx = await receiver((r, res) => {
        const ok = verify(r.body, String(r.headers["x-vigil-timestamp"]), String(r.headers["x-vigil-signature"]));
        res.writeHead(ok ? 200 : 401).end();
      });
      const sink = new WebhookSink<Alert>({ url: rx.url, batchSize: 2, hmac: { secretEnv }, retry: { ...fast, maxAttempts: 1 } });
      const w = sink.createWriter(context());
      w.write({ id: "a", n: 1 }, 0);
      w.write({ id: "b", n: 2 }, 0);
      await w.snapshotState!(1);
      expect(sink.deliveredCount).toBe(2); // the receiver accepted the signature
      const [req] = rx.requests;
      const sig = String(req.headers["x-vigil-signature"]);
      const ts = String(req.headers["x-vigil-timestamp"]);
      expect(sig).toMatch(/^sha256=[0-9a-f]{64}$/);
      expect(verify(req.body.replace('"n":2', '"n":3'), ts, sig)).toBe(false); // a changed body fails
      expect(verifyWebhookSignature(secret, { body: req.body, timestamp: ts, signature: sig })).toBe(true);
      expect(verifyWebhookSignature("other", { body: req.body, timestamp: ts, signature: sig })).toBe(false);
      expect(verifyWebhookSignature(secret, { body: req.body, timestamp: ts, signature: sig }, { nowMs: (Number(ts) + 301) * 1000 })).toBe(false);
      expect(JSON.stringify(req.headers)).not.toContain(secret);

      delete process.env[secretEnv];
      expect(() => new WebhookSink({ url: rx.url, name: "unsigned", hmac: { secretEnv } })).toThrow(
        expect.objectContaining({ code: "SINK_CONFIG_INVALID", message: expect.stringContaining(`sink "unsigned": hmac: the environment variable ${secretEnv}`) }),
      );
    } finally {
      delete process.env[secretEnv];
    }
  });

  it("retries 5xx with exponential backoff and the same idempotency key until the receiver accepts", async () => {
    const rx = await receiver((r, res) => res.writeHead(r.n <= 2 ? [503, 500][r.n - 1] : 200).end("busy"));
    const dead: Array<WebhookDeadLetter<Alert>> = [];
    const sink = new WebhookSink<Alert>({
      url: rx.url,
      retry: { maxAttempts: 5, initialDelayMs: 40, maxDelayMs: 1000, jitter: 0 },
      idOf: (a) => a.id,
      deadLetters: (d) => dead.push(d),
    });
    const w = sink.createWriter(context());
    w.write({ id: "a" }, 0);
    await w.snapshotState!(1);
    expect(rx.requests).toHaveLength(3);
    expect(new Set(rx.requests.map((r) => r.headers["idempotency-key"])).size).toBe(1);
    expect(new Set(rx.requests.map((r) => r.body)).size).toBe(1);
    const [a, b, c] = rx.requests.map((r) => r.at);
    expect(b - a).toBeGreaterThanOrEqual(38); // 40 ms, then 80 ms (timers may fire up to 1 ms early)
    expect(c - b).toBeGreaterThanOrEqual(78);
    expect([sink.deliveredCount, sink.retryCount, sink.deadLetterCount, dead.length]).toEqual([1, 2, 0, 0]);
  });

  it("waits as long as Retry-After says, but never longer than maxDelayMs", async () => {
    const rx = await receiver((r, res) => (r.n === 1 ? res.writeHead(429, { "Retry-After": "1" }).end() : res.writeHead(204).end()));
    const w = new WebhookSink<Alert>({ url: rx.url, retry: { maxAttempts: 3, initialDelayMs: 1, maxDelayMs: 5000, jitter: 0 } }).createWriter(context());
    w.write({ id: "a" }, 0);
    await w.snapshotState!(1);
    expect(rx.requests).toHaveLength(2);
    expect(rx.requests[1].at - rx.requests[0].at).toBeGreaterThanOrEqual(990);

    const capped = await receiver((r, res) => (r.n === 1 ? res.writeHead(503, { "Retry-After": "3600" }).end() : res.writeHead(204).end()));
    const wc = new WebhookSink<Alert>({ url: capped.url, retry: { maxAttempts: 3, initialDelayMs: 1, maxDelayMs: 30, jitter: 0 } }).createWriter(context());
    wc.write({ id: "a" }, 0);
    await wc.snapshotState!(1);
    expect(capped.requests).toHaveLength(2);
  });

  it("sends a batch refused with a 4xx to the dead letters at once, and the job goes on", async () => {
    const rx = await receiver((r, res) => (r.body.includes("reject") ? res.writeHead(422).end("unprocessable: missing field card") : res.writeHead(204).end()));
    const dead: Array<WebhookDeadLetter<Alert>> = [];
    const { log, lines } = memoryLogger();
    const sink = new WebhookSink<Alert>({ url: rx.url, name: "alerts", retry: fast, deadLetters: (d) => dead.push(d) });
    const w = sink.createWriter(context({ log }));
    w.write({ id: "bad", reject: true }, 0);
    w.write({ id: "good" }, 0);
    await w.snapshotState!(1);
    expect(rx.requests).toHaveLength(2); // no retry of the 422
    expect(dead).toEqual([
      {
        sink: "alerts",
        records: [{ id: "bad", reject: true }],
        status: 422,
        attempts: 1,
        reason: "HTTP 422 Unprocessable Entity: unprocessable: missing field card",
        idempotencyKey: rx.requests[0].headers["idempotency-key"],
      },
    ]);
    expect([sink.deliveredCount, sink.deadLetterCount]).toEqual([1, 1]);
    expect(lines.some((l) => l.includes("webhook batch dead-lettered") && l.includes('"status":422'))).toBe(true);
  });

  it("dead-letters a batch that still fails after the last try", async () => {
    const rx = await receiver((_, res) => res.writeHead(503).end());
    const dead: Array<WebhookDeadLetter<Alert>> = [];
    const sink = new WebhookSink<Alert>({ url: rx.url, batchSize: 2, retry: { ...fast, maxAttempts: 3 }, deadLetters: (d) => dead.push(d) });
    const w = sink.createWriter(context());
    w.write({ id: "a" }, 0);
    w.write({ id: "b" }, 0);
    await w.snapshotState!(1);
    expect(rx.requests).toHaveLength(3);
    expect(dead.map((d) => [d.records, d.status, d.attempts, d.reason])).toEqual([[[{ id: "a" }, { id: "b" }], 503, 3, "HTTP 503 Service Unavailable"]]);
    expect(sink.deadLetterCount).toBe(2);
  });

  it("retries a try that times out, and network errors", async () => {
    const rx = await receiver((r, res) => {
      if (r.n > 1) res.writeHead(204).end(); // the first response is held: it times out
    });
    const sink = new WebhookSink<Alert>({ url: rx.url, timeoutMs: 1000, retry: fast });
    const w = sink.createWriter(context());
    w.write({ id: "a" }, 0);
    await w.snapshotState!(1);
    // normally two tries; a machine loaded enough to take 1 s over a local request may need a third
    expect(rx.requests.length).toBeGreaterThanOrEqual(2);
    expect(rx.requests[1].at - rx.requests[0].at).toBeGreaterThanOrEqual(500); // the timer starts before the server sees the request
    expect([sink.deliveredCount, sink.retryCount]).toEqual([1, rx.requests.length - 1]);

    const gone = await startReceiver();
    await gone.close(); // nothing listens on its port now
    const dead: Array<WebhookDeadLetter<Alert>> = [];
    const refused = new WebhookSink<Alert>({ url: gone.url, retry: { ...fast, maxAttempts: 2 }, deadLetters: (d) => dead.push(d) });
    const wr = refused.createWriter(context());
    wr.write({ id: "a" }, 0);
    await wr.snapshotState!(1);
    expect(dead).toHaveLength(1);
    expect(dead[0]).toMatchObject({ attempts: 2, status: undefined });
    expect(dead[0].reason).toMatch(/^network error: .*ECONNREFUSED/);
    expect(refused.retryCount).toBe(1);
  });

  it("dead-letters a record that has no JSON form without stopping", async () => {
    const rx = await receiver();
    const dead: Array<WebhookDeadLetter<Alert>> = [];
    const sink = new WebhookSink<Alert>({ url: rx.url, deadLetters: (d) => dead.push(d) });
    const w = sink.createWriter(context());
    w.write({ id: "x", big: 1n }, 0);
    w.write({ id: "y" }, 0);
    await w.snapshotState!(1);
    expect(bodies(rx)).toEqual([{ id: "y" }]);
    expect(dead).toHaveLength(1);
    expect(dead[0]).toMatchObject({ records: [{ id: "x", big: 1n }], attempts: 0, idempotencyKey: undefined });
    expect(dead[0].reason).toMatch(/^cannot encode the record: .*BigInt/);
  });

  it("sends URL credentials as basic auth and never logs them or puts them in errors", async () => {
    const rx = await receiver((_, res) => res.writeHead(400).end("no"));
    const { log, lines } = memoryLogger();
    const dead: Array<WebhookDeadLetter<Alert>> = [];
    const url = `http://alice:pa55w0rd-xyz@127.0.0.1:${rx.port}/hook?token=t0ken-xyz`;
    const w = new WebhookSink<Alert>({ url, retry: fast, deadLetters: (d) => dead.push(d) }).createWriter(context({ log }));
    w.write({ id: "a" }, 0);
    await w.snapshotState!(1);
    await w.close!();
    expect(rx.requests[0].headers.authorization).toBe("Basic " + Buffer.from("alice:pa55w0rd-xyz").toString("base64"));
    expect(rx.requests[0].path).toBe("/hook?token=t0ken-xyz");
    const logged = lines.join("\n");
    expect(logged).toContain(`"endpoint":"http://127.0.0.1:${rx.port}"`);
    for (const secret of ["pa55w0rd-xyz", "t0ken-xyz", "alice"]) {
      expect(logged).not.toContain(secret);
      expect(JSON.stringify(dead)).not.toContain(secret);
    }
    expect(() => new WebhookSink({ url: "http://alice:pa55w0rd-xyz@[::1" })).toThrow(/^sink "webhook": url is not a valid absolute URL$/);
    expect(() => new WebhookSink({ url: "ftp://host/x", batchSize: 2 })).toThrow(/url must be http or https, got ftp:/);
    expect(() => new WebhookSink({ url: rx.url, batchSize: 0 })).toThrow(/sink "webhook": batchSize must be a positive integer, got 0/);
    expect(() => new WebhookSink({ url: rx.url, retry: { jitter: 2 } })).toThrow(/retry.jitter must be between 0 and 1/);
  });

  it("gives the same records the same idempotency key in a replay, by id or else by content", async () => {
    const rx = await receiver();
    const keys = async (sink: WebhookSink<Alert>, records: Alert[]) => {
      const w = sink.createWriter(context());
      for (const r of records) w.write(r, 0);
      await w.snapshotState!(1);
      return rx.requests.splice(0).map((r) => r.headers["idempotency-key"]);
    };
    const byId = () => new WebhookSink<Alert>({ url: rx.url, batchSize: 2, idOf: (a) => a.id });
    const first = await keys(byId(), [{ id: "a", n: 1 }, { id: "b" }]);
    expect(await keys(byId(), [{ id: "a", n: 2 }, { id: "b" }])).toEqual(first); // same ids: same key
    expect(await keys(byId(), [{ id: "a" }, { id: "c" }])).not.toEqual(first);
    const byBody = () => new WebhookSink<Alert>({ url: rx.url, batchSize: 2 });
    const content = await keys(byBody(), [{ id: "a", n: 1 }, { id: "b" }]);
    expect(await keys(byBody(), [{ id: "a", n: 1 }, { id: "b" }])).toEqual(content);
    expect(await keys(byBody(), [{ id: "a", n: 2 }, { id: "b" }])).not.toEqual(content);
  });

  it("holds the job back while maxInFlight requests are under way; a checkpoint waits only for records before it", async () => {
    const rx = await receiver(() => {}); // every response held until the test ends it
    const sink = new WebhookSink<number>({ url: rx.url, maxInFlight: 2, retry: fast });
    const w = sink.createWriter(context());
    for (let i = 1; i <= 4; i++) w.write(i, 0);
    let flushed = false;
    void w.flush!(false)!.then(() => (flushed = true));
    await until(() => rx.held.length === 2, "two requests under way");
    await new Promise((r) => setTimeout(r, 50));
    expect(flushed).toBe(false); // batches 3 and 4 wait for a free sender
    rx.held.shift()!.writeHead(204).end();
    await until(() => rx.requests.length === 3, "the third request");
    rx.held.shift()!.writeHead(204).end();
    await until(() => flushed, "the flush, once the last batch is sent");
    await until(() => rx.requests.length === 4, "the fourth request");
    expect(bodies(rx)).toEqual([1, 2, 3, 4]);

    let snapshotted = false;
    void Promise.resolve(w.snapshotState!(1)).then(() => (snapshotted = true));
    w.write(5, 0); // after the barrier: not covered by checkpoint 1
    void w.flush!(false);
    rx.held.shift()!.writeHead(204).end();
    rx.held.shift()!.writeHead(204).end();
    await until(() => snapshotted, "checkpoint 1");
    expect(sink.deliveredCount).toBe(4); // record 5 is still under way
    await until(() => rx.held.length === 1, "record 5 sent");
    rx.held.shift()!.writeHead(204).end();
    await w.flush!(true);
    expect(sink.deliveredCount).toBe(5);
  });

  it("close stops tries and backoff waits under way", async () => {
    const rx = await receiver((_, res) => res.writeHead(503).end());
    const { log, lines } = memoryLogger();
    const w = new WebhookSink<Alert>({ url: rx.url, retry: { maxAttempts: 5, initialDelayMs: 20_000, maxDelayMs: 20_000, jitter: 0 } }).createWriter(
      context({ log }),
    );
    w.write({ id: "a" }, 0);
    const snapshot = w.snapshotState!(1);
    await until(() => rx.requests.length === 1, "the first try");
    const started = performance.now();
    await w.close!();
    expect(performance.now() - started).toBeLessThan(5000);
    await expect(snapshot).rejects.toThrow(/closed before the batch was delivered/); // a checkpoint never counts it as sent
    expect(lines.some((l) => l.includes("closed before these records were delivered"))).toBe(true);
  });

  it("runs in a job: every alert arrives, in batches", async () => {
    const rx = await receiver();
    const alerts = Array.from({ length: 25 }, (_, i) => ({ id: `alert-${i}`, n: i }));
    const env = new StreamExecutionEnvironment();
    env
      .fromCollection(alerts)
      .map((a) => ({ ...a, n: a.n * 10 }))
      .sinkTo(new WebhookSink<Alert>({ url: rx.url, batchSize: 4, idOf: (a) => a.id }));
    await env.execute("webhook");
    const received = bodies(rx) as Alert[][];
    expect(received.every((b) => Array.isArray(b) && b.length >= 1 && b.length <= 4)).toBe(true);
    expect(received.flat().sort((a, b) => a.n! - b.n!)).toEqual(alerts.map((a) => ({ ...a, n: a.n * 10 })));
  });

  it("recovers a failed job with checkpoints: at least once, and a repeated alert repeats its key", async () => {
    const rx = await receiver();
    const dir = tmp();
    const ids = Array.from({ length: 300 }, (_, i) => `alert-${i}`);
    const injector = new FailureInjector([1]); // the first record after the first completed checkpoint
    const env = new StreamExecutionEnvironment().enableCheckpointing(1, { directory: dir }).setRestartStrategy(RestartStrategies.fixedDelay(2, 0));
    env
      .fromSource(new SlowListSource([ids], 5), WatermarkStrategy.noWatermarks<string>(), "ids")
      .map((id) => {
        if (readdirSync(dir).some((n) => /^chk-\d+$/.test(n))) injector.tick();
        return { id };
      })
      .sinkTo(new WebhookSink<Alert>({ url: rx.url, idOf: (a) => a.id }));
    await env.execute("webhook-at-least-once");
    expect(injector.failures).toBe(1);
    const got = rx.requests.map((r) => ({ id: (JSON.parse(r.body) as Alert).id, key: String(r.headers["idempotency-key"]) }));
    expect(new Set(got.map((g) => g.id))).toEqual(new Set(ids));
    const idOfKey = new Map<string, string>();
    for (const g of got) {
      expect(idOfKey.get(g.key) ?? g.id).toBe(g.id);
      idOfKey.set(g.key, g.id);
    }
    expect(idOfKey.size).toBe(ids.length); // de-duplicating by key leaves each alert once
  });
});
