import { createHash } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { VigilError } from "../../errors.js";
import type { Sink, SinkWriter, SinkWriterContext } from "../../runtime/index.js";
import type { Logger } from "../../runtime/logger.js";
import { backoffDelay, postOnce } from "./http-post.js";
import { resolveWebhookOptions, type ResolvedWebhookOptions, type WebhookDeadLetter, type WebhookSinkOptions } from "./webhook-options.js";

/** Dead-lettered batches logged one by one per writer; after that, one line per 100. */
const LOGGED_DEAD_LETTERS = 10;

/**
 * An at-least-once sink that POSTs records as JSON to an HTTP endpoint: one object per request
 * (`batchSize` 1) or arrays of up to `batchSize`. Each batch is retried with exponential backoff
 * and jitter on network errors, timeouts, 408, 429 and 5xx (waiting as long as `Retry-After`
 * asks, up to `maxDelayMs`); any other status, or the last try failing, sends it to the dead
 * letters (logged, counted, and passed to `deadLetters`), and the job goes on.
 *
 * `flush` hands the buffered records to the senders and waits until at most `maxInFlight`
 * requests are under way (backpressure); `snapshotState` resolves once every record written before
 * it is delivered or dead-lettered, so a completed checkpoint covers only settled records and a
 * restore replays the rest. Replayed batches carry the same `Idempotency-Key` (from `idOf`, or the
 * body), so a receiver can drop the repeats. Optionally signs each request with HMAC-SHA256.
 */
export class WebhookSink<T> implements Sink<T> {
  /** Records delivered (2xx), by every subtask in this process. */
  deliveredCount = 0;
  /** Records dead-lettered, by every subtask in this process. */
  deadLetterCount = 0;
  /** Tries after the first, by every subtask in this process. */
  retryCount = 0;
  readonly name: string;
  readonly #o: ResolvedWebhookOptions<T>; // private: it holds the signing secret and credentials

  constructor(options: WebhookSinkOptions<T>) {
    this.#o = resolveWebhookOptions(options);
    this.name = this.#o.name;
  }

  createWriter(ctx: SinkWriterContext): SinkWriter<T> {
    const log = ctx.log.child({ sink: this.name, subtask: ctx.subtaskIndex, endpoint: this.#o.endpoint });
    return new WebhookWriter(this.#o, log, ctx.subtaskIndex, {
      delivered: (n) => (this.deliveredCount += n),
      deadLettered: (n) => (this.deadLetterCount += n),
      retried: () => this.retryCount++,
    });
  }
}

interface Counters {
  delivered(records: number): void;
  deadLettered(records: number): void;
  retried(): void;
}

interface Encoded<T> {
  readonly value: T;
  readonly json: string;
  readonly id: string | undefined;
}

interface Deferred {
  readonly promise: Promise<void>;
  resolve(): void;
  reject(e: unknown): void;
}

function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => {}); // observed through the callers that wait on it
  return { promise, resolve, reject };
}

interface Batch<T> {
  readonly records: T[];
  readonly body: string;
  readonly key: string;
  /** Resolved when a sender takes the batch. */
  readonly started: Deferred;
  /** Resolved when it is delivered or dead-lettered (or abandoned at close). */
  readonly done: Deferred;
}

/** One subtask's writer: a FIFO of batches and up to `maxInFlight` senders. */
class WebhookWriter<T> implements SinkWriter<T> {
  private buffer: Array<Encoded<T>> = [];
  private readonly queue: Array<Batch<T>> = [];
  private readonly unsettled = new Set<Batch<T>>();
  private active = 0;
  private failure: unknown;
  private deadLettered = 0;
  private readonly closing = new AbortController();
  readonly #o: ResolvedWebhookOptions<T>; // private: headers may hold credentials

  constructor(
    o: ResolvedWebhookOptions<T>,
    private readonly log: Logger,
    private readonly subtask: number,
    private readonly counters: Counters,
  ) {
    this.#o = o;
  }

  write(value: T): void {
    let json: string | undefined;
    let id: string | undefined;
    try {
      if (this.#o.idOf !== undefined) {
        id = this.#o.idOf(value);
        if (typeof id !== "string") throw new Error(`idOf returned ${typeof id}, not a string`);
      }
      json = JSON.stringify(value);
      if (json === undefined) throw new Error(`a ${typeof value} has no JSON form`);
    } catch (e) {
      // one record that cannot be encoded must not stop the job
      this.deadLetter({ records: [value], reason: `cannot encode the record: ${e instanceof Error ? e.message : String(e)}`, attempts: 0, status: undefined, key: undefined });
      return;
    }
    this.buffer.push({ value, json, id });
  }

  flush(endOfInput: boolean): Promise<void> | undefined {
    this.enqueueBuffered();
    if (endOfInput) return this.settle([...this.unsettled]);
    this.throwIfFailed();
    const last = this.queue.at(-1);
    return last === undefined ? undefined : last.started.promise.then(() => this.throwIfFailed());
  }

  snapshotState(): Promise<undefined> {
    // what was written before the barrier, and only that, must settle before the checkpoint completes
    this.enqueueBuffered();
    return this.settle([...this.unsettled]).then(() => undefined);
  }

  async close(): Promise<void> {
    const left = this.buffer.length + [...this.unsettled].reduce((n, b) => n + b.records.length, 0);
    if (left > 0) {
      this.log.warn({ records: left }, "webhook sink closed before these records were delivered; a restore from the last checkpoint sends them again");
    }
    this.buffer = [];
    this.closing.abort(); // running tries and backoff waits stop at once
    for (const b of this.queue.splice(0)) this.finish(b, this.closedError());
    await Promise.all([...this.unsettled].map((b) => b.done.promise.catch(() => {})));
  }

  /** Settles a batch abandoned at close: not delivered, so no checkpoint may count it as such. */
  private closedError(): VigilError {
    return new VigilError(`sink "${this.#o.name}" subtask ${this.subtask}: closed before the batch was delivered`, { code: "SINK_CLOSED" });
  }

  private throwIfFailed(): void {
    if (this.failure === undefined) return;
    throw new VigilError(`sink "${this.#o.name}" subtask ${this.subtask}: a dead-letter handler failed; the job must restart`, {
      code: "SINK_FAILED",
      cause: this.failure,
    });
  }

  private settle(batches: Array<Batch<T>>): Promise<void> {
    return Promise.all(batches.map((b) => b.done.promise)).then(() => this.throwIfFailed());
  }

  /** Cuts the buffer into batches and starts as many as `maxInFlight` allows. */
  private enqueueBuffered(): void {
    const size = this.#o.batchSize;
    for (let i = 0; i < this.buffer.length; i += size) {
      const part = this.buffer.slice(i, i + size);
      const body = size === 1 ? part[0].json : `[${part.map((r) => r.json).join(",")}]`;
      const batch: Batch<T> = { records: part.map((r) => r.value), body, key: this.keyOf(part, body), started: deferred(), done: deferred() };
      this.queue.push(batch);
      this.unsettled.add(batch);
    }
    this.buffer = [];
    this.pump();
  }

  /** The same records (by id, else by content) give the same key, so a replay repeats it. */
  private keyOf(part: Array<Encoded<T>>, body: string): string {
    const h = createHash("sha256").update(this.#o.name).update("\n");
    if (this.#o.idOf === undefined) h.update(body);
    else h.update(part.map((r) => r.id).join("\n"));
    return h.digest("hex");
  }

  private pump(): void {
    while (this.active < this.#o.maxInFlight && this.queue.length > 0) {
      const b = this.queue.shift()!;
      b.started.resolve();
      if (this.failure !== undefined) {
        b.done.reject(this.failure);
        this.unsettled.delete(b);
        continue;
      }
      this.active++;
      this.deliver(b).then(
        (settled) => this.finish(b, settled ? undefined : this.closedError()),
        (e: unknown) => {
          this.failure ??= e;
          this.finish(b, e);
        },
      ).finally(() => {
        this.active--;
        this.pump();
      });
    }
  }

  private finish(b: Batch<T>, error?: unknown): void {
    b.started.resolve();
    if (error === undefined) b.done.resolve();
    else b.done.reject(error);
    this.unsettled.delete(b);
  }

  /**
   * Tries until delivered, refused or out of tries (true), or closed (false); rejects only if the
   * dead-letter handler throws.
   */
  private async deliver(b: Batch<T>): Promise<boolean> {
    const { retry, timeoutMs } = this.#o;
    for (let attempt = 1; ; attempt++) {
      const outcome = await postOnce(this.#o.url, this.headersFor(b), b.body, timeoutMs, this.closing.signal);
      if (outcome.kind === "closed") return false;
      if (outcome.kind === "delivered") {
        this.counters.delivered(b.records.length);
        if (attempt > 1) this.log.info({ key: b.key, attempts: attempt, status: outcome.status }, "webhook batch delivered after retries");
        return true;
      }
      if (!outcome.retriable || attempt >= retry.maxAttempts) {
        this.deadLetter({ records: b.records, reason: outcome.reason, attempts: attempt, status: outcome.status, key: b.key });
        return true;
      }
      const delayMs = outcome.retryAfterMs !== undefined ? Math.min(outcome.retryAfterMs, retry.maxDelayMs) : backoffDelay(attempt, retry);
      this.log.debug({ key: b.key, attempt, status: outcome.status, reason: outcome.reason, delayMs: Math.round(delayMs) }, "webhook try failed; retrying");
      this.counters.retried();
      try {
        await sleep(delayMs, undefined, { signal: this.closing.signal });
      } catch {
        return false; // closed while waiting
      }
    }
  }

  /** Fresh per try: the signature covers the time of the try, so a receiver can refuse stale requests. */
  private headersFor(b: Batch<T>): Record<string, string> {
    const headers: Record<string, string> = {
      "user-agent": "vigil-webhook-sink",
      ...this.#o.headers,
      "content-type": "application/json",
      "idempotency-key": b.key,
    };
    const hmac = this.#o.hmac;
    if (hmac !== undefined) {
      const ts = String(Math.floor(Date.now() / 1000));
      headers[hmac.timestampHeader] = ts;
      headers[hmac.header] = hmac.sign(ts, b.body);
    }
    return headers;
  }

  private deadLetter(d: { records: T[]; reason: string; attempts: number; status: number | undefined; key: string | undefined }): void {
    this.counters.deadLettered(d.records.length);
    const n = ++this.deadLettered;
    if (n <= LOGGED_DEAD_LETTERS || n % 100 === 0) {
      this.log.warn(
        { records: d.records.length, reason: d.reason, attempts: d.attempts, status: d.status, key: d.key, deadLettered: n },
        n === LOGGED_DEAD_LETTERS ? "webhook batch dead-lettered (further ones are logged once per 100)" : "webhook batch dead-lettered",
      );
    }
    this.#o.deadLetters?.({ sink: this.#o.name, records: d.records, reason: d.reason, attempts: d.attempts, status: d.status, idempotencyKey: d.key });
  }
}
