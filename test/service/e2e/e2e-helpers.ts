import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { cp, mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect, type JetStreamManager, type NatsConnection } from "nats";
import pg from "pg";
import type { Alert } from "../../../src/service/alert.js";
import { localPostgres } from "../../connectors/postgres/local-postgres.js";
import { ROOT } from "../fraud-helpers.js";

export const NATS_URL = process.env.NATS_URL ?? "nats://127.0.0.1:4222";

/** A `vigil run` child process. */
export interface VigilProcess {
  readonly startedAt: number;
  readonly stdout: () => string;
  readonly stderr: () => string;
  /** The exit code, or the signal's name when killed. */
  readonly exited: Promise<number | string>;
  readonly running: () => boolean;
  kill(signal: NodeJS.Signals): void;
}

/**
 * `vigil run --config <file>` as a child process, from source (`node --import tsx`, as the other
 * service tests, so the test needs no build and runs the current code); with VIGIL_E2E_BIN=dist
 * it runs `node bin/vigil.js`, the compiled CLI an operator runs (`npm run build` first).
 */
export function startVigil(config: string, env: NodeJS.ProcessEnv): VigilProcess {
  const args = process.env.VIGIL_E2E_BIN === "dist" ? ["bin/vigil.js"] : ["--import", "tsx", "test/service/fraud-cli.ts"];
  const child = spawn(process.execPath, [...args, "run", "--config", config], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout.on("data", (b: Buffer) => (out += b.toString("utf8")));
  child.stderr.on("data", (b: Buffer) => (err += b.toString("utf8")));
  let running = true;
  const exited = new Promise<number | string>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) => {
      running = false;
      resolve(code ?? signal ?? "unknown");
    });
  });
  return {
    startedAt: Date.now(),
    stdout: () => out,
    stderr: () => err,
    exited,
    running: () => running,
    kill: (s) => child.kill(s),
  };
}

/** The pino lines of a child's stderr that are JSON. */
export function logLines(stderr: string): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = [];
  for (const line of stderr.split("\n")) {
    if (!line.startsWith("{")) continue;
    try {
      out.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      // a line cut by the kill
    }
  }
  return out;
}

/** Polls `probe` every `everyMs` until it gives a value; fails after `timeoutMs`, or at once when `alive` says the service died. */
export async function until<T>(what: string, probe: () => Promise<T | undefined>, alive: () => string | undefined, timeoutMs = 60_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    const dead = alive();
    if (dead !== undefined) throw new Error(`while waiting for ${what}: ${dead}`);
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** An alert as stored in the alerts stream, with its message's Nats-Msg-Id. */
export interface StoredAlert {
  readonly seq: number;
  readonly msgId: string | undefined;
  readonly alert: Alert;
}

/** The names a deployment gives its streams, subjects and table. */
export interface DeploymentNames {
  readonly eventStream: string;
  readonly consumer: string;
  readonly alertSubject: string;
  readonly alertStream: string;
  readonly table: string;
}

export interface ConfigOptions {
  /** Adds a console output to the alerts (the kill test reads what was emitted before the kill). */
  readonly console?: boolean;
}

/**
 * The config of a JetStream and PostgreSQL deployment: docs/deployment.md shows it with its
 * names, and the test checks that the page's block is this.
 */
export function deploymentConfig(names: DeploymentNames, options: ConfigOptions = {}): Record<string, unknown> {
  return {
    patterns: "patterns",
    sources: {
      transactions: { type: "jetstream", stream: names.eventStream, consumer: names.consumer, outOfOrderness: "5s", idleness: "5s" },
    },
    sinks: {
      alerts: [
        { type: "jetstream", subject: names.alertSubject, stream: names.alertStream },
        { type: "postgres", table: names.table },
        ...(options.console === true ? [{ type: "console" }] : []),
      ],
    },
    state: { backend: "leveldb", directory: ".vigil/state" },
    checkpoints: { intervalMs: 5000, directory: ".vigil/checkpoints" },
    shutdown: "savepoint",
  };
}

/** One test's world: unique streams, subjects, table and folder, removed by `cleanup`. */
export class Deployment {
  readonly id = randomBytes(4).toString("hex");
  readonly eventStream = `VIGIL_E2E_EVENTS_${this.id}`;
  readonly eventSubject = `vigil-e2e.${this.id}.transactions`;
  readonly alertStream = `VIGIL_E2E_ALERTS_${this.id}`;
  readonly alertSubject = `vigil-e2e.${this.id}.alerts`;
  readonly table = `vigil_e2e_${this.id}`;
  readonly consumer = "vigil";
  private constructor(
    readonly dir: string,
    readonly nc: NatsConnection,
    readonly jsm: JetStreamManager,
    readonly pool: pg.Pool,
    /** The environment the service gets: where NATS and PostgreSQL are. */
    readonly env: NodeJS.ProcessEnv,
  ) {}

  static async create(): Promise<Deployment> {
    const pgConfig = await localPostgres();
    const dir = await mkdtemp(join(tmpdir(), "vigil-e2e-"));
    const nc = await connect({ servers: NATS_URL, name: "vigil-e2e-test" });
    const env = {
      NATS_URL,
      // pg's own variables; an empty DATABASE_URL is ignored by the sink
      DATABASE_URL: "",
      PGHOST: String(pgConfig.host),
      PGPORT: String(pgConfig.port),
      PGDATABASE: String(pgConfig.database),
      PGUSER: String(pgConfig.user),
      VIGIL_LOG_LEVEL: "info",
    };
    const d = new Deployment(dir, nc, await nc.jetstreamManager(), new pg.Pool({ ...pgConfig, max: 2 }), env);
    await d.jsm.streams.add({ name: d.eventStream, subjects: [d.eventSubject] });
    // de-duplication of replayed alerts holds within this window: longer than any recovery here
    await d.jsm.streams.add({ name: d.alertStream, subjects: [d.alertSubject], duplicate_window: 10 * 60 * 1e9 });
    return d;
  }

  /**
   * Writes the deployment's config ({@link deploymentConfig}) and a copy of patterns/, whose
   * rules read source `transactions` and send to sink `alerts`, the names used there.
   */
  async writeConfig(options: ConfigOptions = {}): Promise<string> {
    await cp(join(ROOT, "patterns"), join(this.dir, "patterns"), { recursive: true });
    const file = join(this.dir, "vigil.config.json");
    await writeFile(file, JSON.stringify(deploymentConfig(this, options), null, 2));
    return file;
  }

  /** The events stream's last sequence. */
  async lastEventSeq(): Promise<number> {
    return (await this.jsm.streams.info(this.eventStream)).state.last_seq;
  }

  /** The durable consumer's ack floor: acks go out when a checkpoint completes, so this is what the last completed checkpoint covered. */
  async ackFloor(): Promise<number> {
    try {
      return (await this.jsm.consumers.info(this.eventStream, this.consumer)).ack_floor.stream_seq;
    } catch {
      return 0; // not created yet (the service creates it at start)
    }
  }

  /** Every message of the alerts stream, in order. */
  async storedAlerts(): Promise<StoredAlert[]> {
    const info = await this.jsm.streams.info(this.alertStream);
    const out: StoredAlert[] = [];
    if (info.state.messages === 0) return out;
    for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
      const m = await this.jsm.streams.getMessage(this.alertStream, { seq });
      out.push({ seq: m.seq, msgId: m.header?.get("Nats-Msg-Id") || undefined, alert: JSON.parse(new TextDecoder().decode(m.data)) as Alert });
    }
    return out;
  }

  /** The alerts stream's message count. */
  async storedAlertCount(): Promise<number> {
    return (await this.jsm.streams.info(this.alertStream)).state.messages;
  }

  /** The table's rows (none before the sink creates it). */
  async rows(): Promise<Array<{ id: string; payload: Alert; event_time: Date | null }>> {
    try {
      return (await this.pool.query<{ id: string; payload: Alert; event_time: Date | null }>(`SELECT id, payload, event_time FROM "${this.table}" ORDER BY id`)).rows;
    } catch (e) {
      if ((e as { code?: string }).code === "42P01") return [];
      throw e;
    }
  }

  /** When the checkpoint or savepoint at `location` completed: its log line in `stderr`, else its metadata file's time. */
  async completedAt(location: string, stderr: string): Promise<number> {
    const line = logLines(stderr).find((l) => l.location === location && typeof l.msg === "string" && /complete$/.test(l.msg));
    if (line !== undefined) return line.time as number;
    return (await stat(join(location, "_metadata"))).mtimeMs;
  }

  async cleanup(): Promise<void> {
    for (const s of [this.eventStream, this.alertStream]) await this.jsm.streams.delete(s).catch(() => {});
    await this.nc.close().catch(() => {});
    await this.pool.query(`DROP TABLE IF EXISTS "${this.table}"`).catch(() => {});
    await this.pool.end().catch(() => {});
    await rm(this.dir, { recursive: true, force: true });
  }
}
