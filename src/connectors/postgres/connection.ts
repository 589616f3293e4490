import pg from "pg";
import { VigilError } from "../../errors.js";

/**
 * The pool's settings: `connection` as given, else `DATABASE_URL` when set; pg fills what is
 * missing from the standard variables (PGHOST, PGPORT, PGDATABASE, PGUSER, PGPASSWORD, ...). A
 * connection attempt gives up after 10 s unless `connectionTimeoutMillis` says otherwise.
 */
export function poolConfig(connection: pg.PoolConfig | undefined): pg.PoolConfig {
  const url = process.env.DATABASE_URL;
  const base = connection ?? (url !== undefined && url !== "" ? { connectionString: url } : {});
  return { application_name: "vigil", connectionTimeoutMillis: 10_000, ...base };
}

/** Where a pool connects, for messages and logs: never the password. */
export interface PostgresTarget {
  readonly host: string;
  readonly port: number;
  readonly database: string | undefined;
  readonly user: string | undefined;
  /** "host:port/database as user" */
  readonly text: string;
  /** Strings to cut from any message before it is shown (the password, the connection string). */
  readonly secrets: readonly string[];
}

/** Resolves the settings as pg will (a client that never connects), so messages name the real host. */
export function describeTarget(config: pg.PoolConfig): PostgresTarget {
  const probe = new pg.Client(config);
  const secrets = [typeof probe.password === "string" ? probe.password : undefined, config.connectionString].filter(
    (s): s is string => typeof s === "string" && s.length > 0,
  );
  const host = probe.host;
  const text = `${host}:${probe.port}${probe.database === undefined ? "" : "/" + probe.database}${probe.user === undefined ? "" : ` as user "${probe.user}"`}`;
  return { host, port: probe.port, database: probe.database, user: probe.user, text, secrets };
}

/** The error's message (with the SQLSTATE when there is one), secrets cut out. */
export function reasonOf(e: unknown, target: PostgresTarget): string {
  let message = e instanceof Error ? e.message || e.constructor.name : String(e);
  const code = sqlState(e);
  if (code !== undefined) message += ` (SQLSTATE ${code})`;
  for (const s of target.secrets) message = message.split(s).join("***");
  return message;
}

export function sqlState(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === "string" && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

const NETWORK = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "EHOSTUNREACH", "ENETUNREACH", "ENOTFOUND", "EAI_AGAIN"]);

/** Failures that may pass: the connection, the server's resources, shutdowns, serialization and deadlocks. */
export function isRetriable(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  if (typeof code === "string" && NETWORK.has(code)) return true;
  const state = sqlState(e);
  if (state !== undefined) return /^(08|53|57P0[123]|40001|40P01)/.test(state);
  const message = e instanceof Error ? e.message : "";
  return /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/i.test(message);
}

/** A record's own fault (SQLSTATE class 22, data exception, or 23, a constraint): store the others, dead-letter it. */
export function isDataError(e: unknown): boolean {
  const state = sqlState(e);
  return state !== undefined && (state.startsWith("22") || state.startsWith("23"));
}

/** A VigilError for a failure talking to the server, naming the sink and where it connects. */
export function connectorError(sink: string, doing: string, e: unknown, target: PostgresTarget, code: string): VigilError {
  const raw = e instanceof Error ? e.message : String(e);
  const leaks = target.secrets.some((s) => raw.includes(s)); // then the cause stays out too
  return new VigilError(`sink "${sink}": ${doing} at ${target.text}: ${reasonOf(e, target)}`, { code, retriable: isRetriable(e), cause: leaks ? undefined : e });
}
