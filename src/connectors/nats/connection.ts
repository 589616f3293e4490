import { readFileSync } from "node:fs";
import { connect, credsAuthenticator, Events, type ConnectionOptions, type NatsConnection } from "nats";
import { VigilError } from "../../errors.js";
import type { Logger } from "../../runtime/logger.js";

/**
 * How to reach a NATS server. Credentials never come from here: they are read from the
 * environment when connecting (`NATS_USER` and `NATS_PASSWORD`, or `NATS_TOKEN`, or `NATS_CREDS`,
 * the path of a `.creds` file) and are never logged.
 */
export interface NatsConnectionOptions {
  /** Server URLs; default `NATS_URL` (comma-separated), else `nats://127.0.0.1:4222`. */
  readonly servers?: string | readonly string[];
  /** The connection's name, shown by the server's monitoring (default "vigil"). */
  readonly connectionName?: string;
  /** First wait before a reconnect attempt (ms, default 250); doubles per failed round up to `maxReconnectDelayMs`. */
  readonly reconnectDelayMs?: number;
  /** Longest wait between reconnect rounds (ms, default 5000). */
  readonly maxReconnectDelayMs?: number;
  /** Reconnect rounds before the connection is given up; default -1, forever. */
  readonly maxReconnectAttempts?: number;
  /** Timeout of the first connect (ms, default 10 000). */
  readonly connectTimeoutMs?: number;
}

const DRAIN_TIMEOUT_MS = 5000;

/** A connection and what its users need to know of its state. */
export interface NatsHandle {
  readonly nc: NatsConnection;
  /** False between a disconnect and the reconnect. */
  readonly connected: () => boolean;
  /** Calls `fn` after every reconnect (not after the first connect); returns the unsubscribe. */
  onReconnect(fn: () => void): () => void;
  /** Resolves at the next reconnect, or when the connection closes. */
  reconnected(): Promise<void>;
  /** Drains and closes; safe to call twice. */
  close(): Promise<void>;
}

/** The server list: the option, else `NATS_URL`, else the local server. */
export function resolveServers(options: NatsConnectionOptions, where: string): string[] {
  const given = options.servers ?? (process.env.NATS_URL ?? "").split(",");
  const list = (typeof given === "string" ? given.split(",") : [...given]).map((s) => s.trim()).filter((s) => s.length > 0);
  const servers = list.length > 0 ? list : ["nats://127.0.0.1:4222"];
  for (const s of servers) {
    if (!/^(nats|tls|ws|wss):\/\/[^\s/]+$|^[^\s:/]+:\d+$/.test(s)) {
      throw new VigilError(`${where}: server "${redactUrl(s)}" is not nats://host:port or host:port`, { code: "CONNECTOR_CONFIG_INVALID" });
    }
  }
  return servers;
}

/** A URL with any user:password@ removed, for logs and errors. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/[^@/]*@/, "//***@");
}

/** The authentication the environment asks for, if any. */
function authFromEnv(where: string): Partial<ConnectionOptions> {
  const creds = process.env.NATS_CREDS;
  if (creds !== undefined && creds !== "") {
    let bytes: Uint8Array;
    try {
      bytes = readFileSync(creds);
    } catch (e) {
      // the path is not a secret; its content is
      throw new VigilError(`${where}: cannot read the NATS_CREDS file ${creds}: ${(e as Error).message}`, { code: "CONNECTOR_CONFIG_INVALID", cause: e });
    }
    return { authenticator: credsAuthenticator(bytes) };
  }
  const token = process.env.NATS_TOKEN;
  if (token !== undefined && token !== "") return { token };
  const user = process.env.NATS_USER;
  if (user !== undefined && user !== "") return { user, pass: process.env.NATS_PASSWORD ?? "" };
  return {};
}

/**
 * Connects to NATS with reconnects forever and a doubling delay: a cut connection is logged and
 * retried, never a failure of the job. A first connect that fails is a retriable
 * `CONNECTOR_CONNECT_FAILED`, left to the job's restart strategy.
 */
export async function connectNats(options: NatsConnectionOptions, where: string, log: Logger): Promise<NatsHandle> {
  const servers = resolveServers(options, where);
  const firstDelay = options.reconnectDelayMs ?? 250;
  const maxDelay = options.maxReconnectDelayMs ?? 5000;
  let delay = firstDelay;
  let nc: NatsConnection;
  try {
    nc = await connect({
      servers,
      name: options.connectionName ?? "vigil",
      maxReconnectAttempts: options.maxReconnectAttempts ?? -1,
      reconnectTimeWait: firstDelay,
      reconnectDelayHandler: () => {
        const d = delay;
        delay = Math.min(maxDelay, delay * 2);
        return d + Math.random() * d * 0.2;
      },
      timeout: options.connectTimeoutMs ?? 10_000,
      ...authFromEnv(where),
    });
  } catch (e) {
    const reason = (e as Error).message;
    throw new VigilError(`${where}: cannot connect to NATS at ${servers.map(redactUrl).join(", ")}: ${reason}`, {
      code: "CONNECTOR_CONNECT_FAILED",
      retriable: !/auth/i.test(reason),
      cause: e,
    });
  }
  let connected = true;
  const listeners = new Set<() => void>();
  let waiters: Array<() => void> = [];
  const wake = () => {
    const w = waiters;
    waiters = [];
    for (const fn of w) fn();
  };
  void (async () => {
    for await (const s of nc.status()) {
      if (s.type === Events.Disconnect) {
        connected = false;
        log.warn({ where, server: redactUrl(String(s.data)) }, "NATS connection lost; reconnecting");
      } else if (s.type === Events.Reconnect) {
        connected = true;
        delay = firstDelay;
        log.info({ where, server: redactUrl(String(s.data)) }, "NATS connection restored");
        wake();
        for (const fn of listeners) fn();
      } else if (s.type === Events.Error) {
        log.warn({ where, err: s.data }, "NATS asynchronous error");
      } else if (s.type === Events.LDM) {
        log.warn({ where }, "NATS server entering lame duck mode");
      }
    }
  })().catch(() => {});
  void nc.closed().then((err) => {
    connected = false;
    wake();
    if (err) log.error({ where, err }, "NATS connection closed with an error");
  });
  let closing: Promise<void> | undefined;
  return {
    nc,
    connected: () => connected && !nc.isClosed(),
    onReconnect(fn) {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
    reconnected: () => (nc.isClosed() ? Promise.resolve() : new Promise<void>((r) => waiters.push(r))),
    close() {
      closing ??= (async () => {
        if (nc.isClosed()) return;
        // a drain cannot finish while disconnected: give it a few seconds, then close
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<void>((r) => (timer = setTimeout(r, DRAIN_TIMEOUT_MS)));
        await Promise.race([nc.drain().catch(() => {}), timeout]);
        clearTimeout(timer);
        if (!nc.isClosed()) await nc.close();
      })();
      return closing;
    },
  };
}

/** A NATS client error's code ("TIMEOUT", "503", ...), if it has one. */
export function natsErrorCode(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

/** Whether an error is a client-side timeout or a lost connection (worth retrying). */
export function isTransient(e: unknown): boolean {
  if (e instanceof VigilError) return e.retriable;
  const code = natsErrorCode(e);
  return code === "TIMEOUT" || code === "DISCONNECT" || code === "503" || code === "CONNECTION_REFUSED";
}

/** Rejects subjects that are empty, contain whitespace, or have empty tokens; `>` only last. */
export function checkSubject(subject: unknown, where: string, wildcards: boolean): string {
  const fail = (why: string) => new VigilError(`${where}: subject ${JSON.stringify(subject)} ${why}`, { code: "CONNECTOR_CONFIG_INVALID" });
  if (typeof subject !== "string" || subject === "") throw fail("must be a non-empty string");
  if (/\s/.test(subject)) throw fail("must not contain whitespace");
  const tokens = subject.split(".");
  tokens.forEach((t, i) => {
    if (t === "") throw fail("has an empty token");
    if ((t === "*" || t === ">") && !wildcards) throw fail("must not contain wildcards here");
    if (t === ">" && i !== tokens.length - 1) throw fail("has '>' before its last token");
    if (t.length > 1 && /[*>]/.test(t)) throw fail(`has a wildcard inside the token "${t}"`);
  });
  return subject;
}

/** Whether some subject matches both `a` and `b` (NATS wildcards: `*` one token, `>` one or more). */
export function subjectsOverlap(a: string, b: string): boolean {
  const x = a.split(".");
  const y = b.split(".");
  for (let i = 0; ; i++) {
    const s = x[i];
    const t = y[i];
    if (s === undefined || t === undefined) return s === t;
    if (s === ">" || t === ">") return true;
    if (s !== t && s !== "*" && t !== "*") return false;
  }
}

/** Stream and consumer names: no whitespace, dots, wildcards or path separators. */
export function checkName(name: unknown, what: string, where: string): string {
  if (typeof name !== "string" || name === "" || /[\s.*>/\\]/.test(name)) {
    throw new VigilError(`${where}: ${what} ${JSON.stringify(name)} must be a non-empty name without whitespace, '.', '*', '>' or slashes`, {
      code: "CONNECTOR_CONFIG_INVALID",
    });
  }
  return name;
}
