import { writeSync } from "node:fs";
import { pino, type Logger, type Level, type DestinationStream } from "pino";
import { prettyFactory } from "pino-pretty";

/** The log levels a user can choose, quietest last. */
export const LOG_LEVELS: readonly Level[] = ["trace", "debug", "info", "warn", "error", "fatal"];

/** How log lines are written: one JSON document per line (for collectors), or readable lines (for people). */
export type LogFormat = "json" | "pretty";
export const LOG_FORMATS: readonly LogFormat[] = ["json", "pretty"];

/** What stands in for a redacted value. */
export const REDACTED = "[redacted]";

/**
 * Keys whose values never reach a log line, at any depth up to {@link REDACT_DEPTH} (a config's
 * `sources.<name>.sasl.password` as much as a top-level `token`).
 */
export const SECRET_KEYS: readonly string[] = [
  "password",
  "passwd",
  "passphrase",
  "secret",
  "clientSecret",
  "client_secret",
  "token",
  "accessToken",
  "access_token",
  "refreshToken",
  "refresh_token",
  "apiKey",
  "api_key",
  "apikey",
  "authorization",
  "Authorization",
  "proxy-authorization",
  "cookie",
  "set-cookie",
  "sasl",
  "credentials",
  "privateKey",
  "private_key",
  "pass",
  "nkey",
  "seed",
  "jwt",
];
const SECRETS = new Set(SECRET_KEYS);
/** Keys whose values may be URLs with a password in them. */
const URL_KEYS = new Set(["url", "uri", "urls", "servers", "brokers", "connectionString", "databaseUrl", "endpoint"]);
/** Nesting followed when looking for secrets (a config's `sources.<name>.sasl.password` is 4 deep). */
const REDACT_DEPTH = 6;

/**
 * The value with every secret key's value replaced, at any depth up to `REDACT_DEPTH`, and
 * passwords in URLs masked under {@link URL_KEYS}. Copy on write: the caller's object is never
 * changed, and an object without secrets is returned as is. One walk over the logged object
 * (pino's `redact` with wildcard paths at every depth costs far more per line).
 */
export function redactSecrets(value: unknown, depth = 0): unknown {
  if (value === null || typeof value !== "object" || depth >= REDACT_DEPTH) return value;
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const v = value[i];
      const r = redactSecrets(v, depth + 1);
      if (r !== v) (copy ??= value.slice())[i] = r;
    }
    return copy ?? value;
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return value; // errors, dates, buffers: their serializers' business
  let copy: Record<string, unknown> | undefined;
  const obj = value as Record<string, unknown>;
  for (const k in obj) {
    const v = obj[k];
    const r = SECRETS.has(k) ? (v === undefined ? v : REDACTED) : URL_KEYS.has(k) ? maskUrlCredentials(v) : redactSecrets(v, depth + 1);
    if (r !== v) (copy ??= { ...obj })[k] = r;
  }
  return copy ?? value;
}

/** `scheme://user:password@host` with the password hidden (connection strings: DATABASE_URL, NATS and broker URLs). */
export function maskUrlCredentials(value: unknown): unknown {
  if (typeof value === "string") return value.replace(/(\b[a-z][a-z0-9+.-]*:\/\/[^/\s:@]*:)[^@\s/]*@/gi, `$1${REDACTED}@`);
  if (Array.isArray(value)) {
    const masked = value.map(maskUrlCredentials);
    return masked.every((v, i) => v === value[i]) ? value : masked;
  }
  return redactSecrets(value);
}


/**
 * The format to use: `--log-format` if given, else `VIGIL_LOG_FORMAT`, else pretty when stderr is
 * a terminal and JSON otherwise (a container's or a pipe's logs go to a collector).
 */
export function resolveLogFormat(flag?: string, env: NodeJS.ProcessEnv = process.env, stderrIsTty: boolean = process.stderr.isTTY === true): LogFormat {
  if (flag !== undefined) return parseLogFormat(flag);
  const fromEnv = env.VIGIL_LOG_FORMAT?.trim().toLowerCase();
  if (fromEnv === "json" || fromEnv === "pretty") return fromEnv;
  return stderrIsTty ? "pretty" : "json";
}

/** Parses a `--log-format` value (usable as a commander argument parser); throws on anything else. */
export function parseLogFormat(value: string): LogFormat {
  const v = value.trim().toLowerCase();
  if (v === "json" || v === "pretty") return v;
  throw new Error(`--log-format must be json or pretty, got ${JSON.stringify(value)}`);
}

/** Where log lines go: anything with `write(line)`. */
export interface LogDestination {
  write(line: string): unknown;
}

export interface CreateLoggerOptions {
  /** Level; else `VIGIL_LOG_LEVEL`; else `warn`. */
  readonly level?: string;
  readonly name?: string;
  /** `json` or `pretty`; else as {@link resolveLogFormat} decides. */
  readonly format?: LogFormat | string;
  /** Instead of stderr (tests). */
  readonly destination?: LogDestination;
  /** Colours in pretty output; default: when writing to a terminal stderr and `NO_COLOR` is not set. */
  readonly colorize?: boolean;
}

/**
 * Vigil's structured logger (pino). Logs go to stderr, never to stdout, which carries results
 * such as alerts; they are written synchronously (no worker-thread transport), so nothing is lost
 * at exit and tests see every line at once. JSON by default; pretty (pino-pretty, formatted in
 * this thread) on a terminal or when asked. Secrets are redacted whatever the format: the values
 * of {@link SECRET_KEYS} at any depth, and passwords in URLs under keys such as `url`, `brokers`.
 * The level comes from `level`, else `VIGIL_LOG_LEVEL`, else `warn`.
 */
export function createLogger(options: CreateLoggerOptions = {}): Logger {
  const wanted = options.level ?? process.env.VIGIL_LOG_LEVEL ?? "warn";
  const level = (LOG_LEVELS as readonly string[]).includes(wanted) || wanted === "silent" ? wanted : "warn";
  const format = options.format === undefined ? resolveLogFormat(undefined, process.env, options.destination === undefined && process.stderr.isTTY === true) : parseLogFormat(options.format);
  // child bindings skip the formatters below (pino resets them for children) but not serializers
  const serializers: Record<string, (v: any) => unknown> = { err: pino.stdSerializers.err, error: pino.stdSerializers.err };
  for (const k of SECRET_KEYS) serializers[k] = (v) => (v === undefined ? v : REDACTED);
  for (const k of URL_KEYS) serializers[k] = maskUrlCredentials;
  const settings = {
    name: options.name ?? "vigil",
    level,
    serializers,
    formatters: {
      log: (obj: Record<string, unknown>) => redactSecrets(obj) as Record<string, unknown>,
      bindings: (bindings: Record<string, unknown>) => redactSecrets(bindings) as Record<string, unknown>,
    },
  };
  if (format === "json") {
    const dest: DestinationStream = options.destination ?? pino.destination({ dest: 2, sync: true });
    return pino(settings, dest);
  }
  const colorize = options.colorize ?? (options.destination === undefined && process.stderr.isTTY === true && process.env.NO_COLOR === undefined);
  const pretty = prettyFactory({ colorize, translateTime: "SYS:HH:MM:ss.l", ignore: "pid,hostname,name" });
  const out = options.destination;
  const dest: DestinationStream = {
    write(line: string) {
      const text = pretty(line);
      if (text === undefined || text === "") return;
      if (out !== undefined) out.write(text);
      else writeSync(2, text);
    },
  };
  return pino(settings, dest);
}

/** A child logger whose lines carry the job's id (and name): everything about one job. */
export function jobLogger(log: Logger, job: { readonly jobId: string; readonly jobName?: string }): Logger {
  return log.child(job.jobName === undefined ? { jobId: job.jobId } : { jobId: job.jobId, job: job.jobName });
}

/** A child logger whose lines carry the rule as `id@version`: everything about one rule version. */
export function ruleLogger(log: Logger, rule: { readonly id: string; readonly version: number }): Logger {
  return log.child({ rule: `${rule.id}@${rule.version}` });
}

/** A logger for a job that does not exist yet; see {@link pendingJobLogger}. */
export interface PendingJobLogger {
  /** Lines on it carry the job id once `setJob` was called. */
  readonly log: Logger;
  /** A child (e.g. of a source or sink) that also gets the job id at `setJob`, even if made before. */
  child(bindings: Record<string, unknown>): Logger;
  /** {@link ruleLogger} of `log`, which also gets the job id at `setJob`. */
  rule(rule: { readonly id: string; readonly version: number }): Logger;
  /** The job has its id now (`client.jobId`, `client.jobName`). */
  setJob(job: { readonly jobId: string; readonly jobName?: string }): void;
}

/**
 * A logger to build a job with, before the job has its id (made when it is executed, after the
 * job's functions captured their loggers): pass `log`, `child(...)` and `rule(...)` loggers to
 * what builds the job, then call `setJob(client)`; from then on their lines carry `jobId`. (Pino
 * children copy their parent's fields when made, hence the loggers made here are remembered.)
 */
export function pendingJobLogger(parent: Logger): PendingJobLogger {
  const log = parent.child({});
  let made: Logger[] | undefined = [log];
  const track = (l: Logger) => {
    made?.push(l);
    return l;
  };
  return {
    log,
    child: (bindings) => track(log.child(bindings)),
    rule: (rule) => track(ruleLogger(log, rule)),
    setJob(job) {
      if (made === undefined) return;
      const bindings = job.jobName === undefined ? { jobId: job.jobId } : { jobId: job.jobId, job: job.jobName };
      // children made from now on inherit the fields from `log`
      for (const l of made) l.setBindings(bindings);
      made = undefined;
    },
  };
}

export type { Logger };
