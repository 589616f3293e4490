import { VigilError } from "../../errors.js";
import { webhookSignature } from "./signature.js";

/** How a {@link WebhookSink} retries a batch. Delays in ms. */
export interface WebhookRetryOptions {
  /** Tries per batch, the first included (1 = no retry). */
  readonly maxAttempts: number;
  /** The wait before the second try; it doubles for each further try. */
  readonly initialDelayMs: number;
  /** No wait is longer, not even one a `Retry-After` header asks for. */
  readonly maxDelayMs: number;
  /**
   * How much of each backoff delay is random, from 0 (none: exactly the doubled delay) to 1
   * ("full jitter": uniform between 0 and the doubled delay), so that many senders that failed
   * together do not retry together.
   */
  readonly jitter: number;
}

/** Signing of every request with HMAC-SHA256 (see docs/webhook.md for the receiver's check). */
export interface WebhookHmacOptions {
  /** The environment variable holding the shared secret (default `VIGIL_WEBHOOK_SECRET`). */
  readonly secretEnv?: string;
  /** The header carrying `sha256=<hex>` (default `X-Vigil-Signature`). */
  readonly header?: string;
  /** The header carrying the signing time, in seconds since the epoch (default `X-Vigil-Timestamp`). */
  readonly timestampHeader?: string;
}

/** A batch the sink gave up on: refused by the receiver, or still failing after the last try. */
export interface WebhookDeadLetter<T> {
  /** The sink's name. */
  readonly sink: string;
  readonly records: T[];
  /** The last failure: the HTTP status and the start of the response body, a timeout, or a network error. */
  readonly reason: string;
  /** Tries made (0 when the records could not even be encoded). */
  readonly attempts: number;
  /** The last HTTP status received, if any. */
  readonly status: number | undefined;
  /** The batch's `Idempotency-Key` (undefined when it was never sent). */
  readonly idempotencyKey: string | undefined;
}

/** Options of a {@link WebhookSink}. */
export interface WebhookSinkOptions<T> {
  /**
   * The http(s) URL to POST to. Credentials in it (`https://user:pass@host/...`) are sent as
   * basic authentication and never logged; logs and errors name only the origin. Take a URL that
   * holds a secret from the environment.
   */
  readonly url: string;
  /** Names the sink in logs, errors, dead letters and idempotency keys (default "webhook"). */
  readonly name?: string;
  /** Records per POST: 1 sends each record as a JSON object, more sends JSON arrays of up to this many (default 1). */
  readonly batchSize?: number;
  /** POSTs under way at once per subtask (default 1, which keeps the order of batches). */
  readonly maxInFlight?: number;
  /** A try that has no complete response after this long is abandoned and retried (default 10 000). */
  readonly timeoutMs?: number;
  /** Extra request headers (authentication tokens and the like; never logged). */
  readonly headers?: Readonly<Record<string, string>>;
  /** Default: 5 tries, 200 ms doubling up to 30 s, jitter 0.5. */
  readonly retry?: Partial<WebhookRetryOptions>;
  /** Sign requests; the secret comes from the environment only. */
  readonly hmac?: WebhookHmacOptions | true;
  /**
   * A record's id, a pure function of the record (an alert id). The batch's `Idempotency-Key` is
   * derived from the ids, so a replayed batch carries the key it had before. Without it the key is
   * derived from the body.
   */
  readonly idOf?: (value: T) => string;
  /**
   * Receives every batch the sink gives up on; the job goes on. Without it such batches are only
   * logged and counted. If it throws, the sink fails and the job restarts from its last checkpoint.
   */
  readonly deadLetters?: (failed: WebhookDeadLetter<T>) => void;
}

/** The options checked, with defaults filled in and credentials moved out of the URL. */
export interface ResolvedWebhookOptions<T> {
  readonly name: string;
  /** The URL without credentials. */
  readonly url: string;
  /** `scheme://host:port`: what logs and errors may show of the URL. */
  readonly endpoint: string;
  readonly batchSize: number;
  readonly maxInFlight: number;
  readonly timeoutMs: number;
  /** Lower-cased names; includes `authorization` when the URL held credentials. */
  readonly headers: Readonly<Record<string, string>>;
  readonly retry: WebhookRetryOptions;
  /** `sign(timestamp, body)` keeps the secret in its closure. */
  readonly hmac: { readonly header: string; readonly timestampHeader: string; sign(timestamp: string, body: string): string } | undefined;
  readonly idOf: ((value: T) => string) | undefined;
  readonly deadLetters: ((failed: WebhookDeadLetter<T>) => void) | undefined;
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** Validates the options; every error names the sink and the option, never a secret. */
export function resolveWebhookOptions<T>(o: WebhookSinkOptions<T>): ResolvedWebhookOptions<T> {
  const name = o.name ?? "webhook";
  const fail = (message: string): never => {
    throw new VigilError(`sink "${name}": ${message}`, { code: "SINK_CONFIG_INVALID" });
  };
  const positiveInt = (what: string, v: number) => (Number.isInteger(v) && v >= 1 ? v : fail(`${what} must be a positive integer, got ${v}`));

  let url: URL;
  try {
    url = new URL(o.url);
  } catch {
    return fail("url is not a valid absolute URL"); // the URL itself is not echoed: it may hold a secret
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") fail(`url must be http or https, got ${url.protocol}`);

  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(o.headers ?? {})) {
    if (!TOKEN.test(k)) fail(`header name ${JSON.stringify(k)} is not a valid HTTP header name`);
    if (typeof v !== "string" || /[\r\n\0]/.test(v)) fail(`header "${k}" must be a string without line breaks`);
    headers[k.toLowerCase()] = v;
  }
  if (url.username !== "" || url.password !== "") {
    const user = decodeURIComponent(url.username);
    const password = decodeURIComponent(url.password);
    headers.authorization ??= "Basic " + Buffer.from(`${user}:${password}`).toString("base64");
    url.username = "";
    url.password = "";
  }

  const r = o.retry ?? {};
  const retry: WebhookRetryOptions = {
    maxAttempts: positiveInt("retry.maxAttempts", r.maxAttempts ?? 5),
    initialDelayMs: r.initialDelayMs ?? 200,
    maxDelayMs: r.maxDelayMs ?? 30_000,
    jitter: r.jitter ?? 0.5,
  };
  if (!(retry.initialDelayMs >= 0)) fail(`retry.initialDelayMs must be >= 0, got ${retry.initialDelayMs}`);
  if (!(retry.maxDelayMs >= retry.initialDelayMs)) fail(`retry.maxDelayMs must be >= retry.initialDelayMs, got ${retry.maxDelayMs}`);
  if (!(retry.jitter >= 0 && retry.jitter <= 1)) fail(`retry.jitter must be between 0 and 1, got ${retry.jitter}`);

  const timeoutMs = o.timeoutMs ?? 10_000;
  if (!(timeoutMs > 0 && timeoutMs < 2 ** 31)) fail(`timeoutMs must be positive, got ${timeoutMs}`);

  let hmac: ResolvedWebhookOptions<T>["hmac"];
  if (o.hmac !== undefined) {
    const h = o.hmac === true ? {} : o.hmac;
    const secretEnv = h.secretEnv ?? "VIGIL_WEBHOOK_SECRET";
    const secret = process.env[secretEnv];
    if (secret === undefined || secret === "") fail(`hmac: the environment variable ${secretEnv} holding the signing secret is not set`);
    const header = h.header ?? "X-Vigil-Signature";
    const timestampHeader = h.timestampHeader ?? "X-Vigil-Timestamp";
    for (const n of [header, timestampHeader]) if (!TOKEN.test(n)) fail(`hmac: ${JSON.stringify(n)} is not a valid HTTP header name`);
    const key = secret!;
    hmac = { header: header.toLowerCase(), timestampHeader: timestampHeader.toLowerCase(), sign: (ts, body) => webhookSignature(key, ts, body) };
  }

  return {
    name,
    url: url.href,
    endpoint: url.origin,
    batchSize: positiveInt("batchSize", o.batchSize ?? 1),
    maxInFlight: positiveInt("maxInFlight", o.maxInFlight ?? 1),
    timeoutMs,
    headers,
    retry,
    hmac,
    idOf: o.idOf,
    deadLetters: o.deadLetters,
  };
}
