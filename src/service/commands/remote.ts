import { resolve } from "node:path";
import { apiStateFile, readApiState, type ApiErrorBody } from "../api/index.js";
import { ConfigError, DEFAULT_API_HOST, DEFAULT_API_PORT, DEFAULT_API_TOKEN_ENV, loadConfig, type VigilConfig } from "../config/index.js";
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, writeLines, type CommandContext } from "./io.js";

/*
 * `vigil status`, `vigil savepoint` and `vigil stop`: clients of a running service's REST API
 * (docs/rest-api.md). The URL comes from --url, else from the state file the service wrote next
 * to its checkpoint directory (found through --config), else from the config's api.host and
 * api.port, else http://127.0.0.1:8717.
 */

/** Exit code: no service answers at the URL (nothing listens, or the state file is stale). */
export const EXIT_UNREACHABLE = 3;

/** Options every remote command takes. */
export interface RemoteOptions {
  readonly url?: string;
  readonly config: string;
  /** False when --config was not given (its default file may then be absent). */
  readonly configGiven: boolean;
  /** How long to wait for an answer (ms). */
  readonly timeoutMs?: number;
}

/** Where a command sends its requests, and why there. */
interface Target {
  readonly url: string;
  /** `--url`, `state file <path>`, `config <file>`, `default`: said in errors. */
  readonly from: string;
  readonly token: string | undefined;
  readonly tokenEnv: string;
}

/** A command's failure: its exit code and the lines for stderr. */
class RemoteFailure extends Error {
  constructor(
    readonly exitCode: number,
    readonly lines: readonly string[],
  ) {
    super(lines.join("\n"));
  }
}

interface Env {
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
}

/** `vigil status`: the job's status, rules and last checkpoint. */
export async function statusCommand(options: RemoteOptions & { json?: boolean }, ctx: CommandContext, where: Env = {}): Promise<number> {
  return remote("status", ctx, async () => {
    const target = await resolveTarget(options, where);
    const timeoutMs = options.timeoutMs ?? 10_000;
    const { jobs } = (await call(target, "GET", "/jobs", undefined, timeoutMs)) as { jobs: JobView[] };
    const { checkpoints } = (await call(target, "GET", "/checkpoints", undefined, timeoutMs)) as { checkpoints: SnapshotView[] };
    const { rules: stats } = (await call(target, "GET", "/stats/rules", undefined, timeoutMs)) as { rules: Array<{ events: number; alerts: number; timeouts: number }> };
    const job = jobs[0];
    if (job === undefined) throw new RemoteFailure(EXIT_FAILURE, [`the service at ${target.url} reports no job`]);
    const last = checkpoints.at(-1);
    if (options.json === true) {
      ctx.io.stdout.write(`${JSON.stringify({ url: target.url, job, lastCheckpoint: last ?? null })}\n`);
      return EXIT_OK;
    }
    const alerts = stats.reduce((n, s) => n + s.alerts + s.timeouts, 0);
    writeLines(ctx.io.stdout, [
      `job ${job.id} (${job.name}): ${job.status}, up ${duration(job.uptimeMs)} (since ${job.startedAt})`,
      ...(job.restoredFrom !== null ? [`resumed from: ${job.restoredFrom}`] : []),
      `sources: ${job.sources.join(", ")}`,
      `rules: ${job.rules}, ${alerts} alert${alerts === 1 ? "" : "s"} so far`,
      last === undefined ? "last checkpoint: none yet" : `last ${last.kind}: ${last.checkpointId} at ${last.location} (${bytes(last.size)})`,
      `api: ${target.url}`,
    ]);
    return EXIT_OK;
  });
}

/** `vigil savepoint [--directory D]`: a savepoint of the running job; prints its path. */
export async function savepointCommand(options: RemoteOptions & { directory?: string }, ctx: CommandContext, where: Env = {}): Promise<number> {
  return remote("savepoint", ctx, async () => {
    const target = await resolveTarget(options, where);
    // the service resolves nothing relative to the caller: send an absolute path
    const body = options.directory === undefined ? {} : { directory: resolve(where.cwd ?? process.cwd(), options.directory) };
    const { path } = (await call(target, "POST", "/savepoints", body, options.timeoutMs ?? 600_000)) as { path: string };
    ctx.io.stdout.write(`${path}\n`);
    return EXIT_OK;
  });
}

/**
 * `vigil stop`: the graceful stop of SIGTERM (the configured savepoint or final checkpoint); prints
 * the snapshot's path and, unless `wait` is false, returns once the service no longer answers.
 */
export async function stopCommand(options: RemoteOptions & { wait?: boolean }, ctx: CommandContext, where: Env = {}): Promise<number> {
  return remote("stop", ctx, async () => {
    const target = await resolveTarget(options, where);
    const timeoutMs = options.timeoutMs ?? 600_000;
    const deadline = Date.now() + timeoutMs;
    const { snapshot } = (await call(target, "POST", "/stop", undefined, timeoutMs)) as { snapshot: string | null };
    if (snapshot !== null) ctx.io.stdout.write(`${snapshot}\n`);
    if (options.wait === false) {
      ctx.io.stderr.write(`vigil stop: the service at ${target.url} took its ${snapshot === null ? "final step" : "snapshot"} and is stopping\n`);
      return EXIT_OK;
    }
    // the service closes its API once its sinks are closed: wait for that
    while (await answers(target)) {
      if (Date.now() > deadline) throw new RemoteFailure(EXIT_FAILURE, [`the service at ${target.url} took its snapshot but still answers after ${duration(timeoutMs)}`]);
      await new Promise((r) => setTimeout(r, 100));
    }
    ctx.io.stderr.write(`vigil stop: the service at ${target.url} has stopped\n`);
    return EXIT_OK;
  });
}

async function remote(name: string, ctx: CommandContext, body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (err) {
    if (err instanceof RemoteFailure) {
      writeLines(ctx.io.stderr, err.lines.map((l) => `vigil ${name}: ${l}`));
      return err.exitCode;
    }
    ctx.io.stderr.write(`vigil ${name}: ${err instanceof Error ? err.message : String(err)}\n`);
    return EXIT_FAILURE;
  }
}

async function resolveTarget(options: RemoteOptions, where: Env): Promise<Target> {
  const env = where.env ?? process.env;
  const cwd = where.cwd ?? process.cwd();
  let config: VigilConfig | undefined;
  try {
    config = await loadConfig(options.config, env, cwd);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    const missing = err.issues.length === 1 && /no such file/.test(err.issues[0].message);
    // without --config the default vigil.config.json is only a hint: absent, the defaults apply;
    // with --url, it would only name the token's variable
    if (options.configGiven || (options.url === undefined && !missing)) throw new RemoteFailure(EXIT_USAGE, err.message.split("\n"));
  }
  const tokenEnv = config?.api.tokenEnv ?? DEFAULT_API_TOKEN_ENV;
  const tokenValue = env[tokenEnv];
  const token = tokenValue === undefined || tokenValue === "" ? undefined : tokenValue;
  if (options.url !== undefined) {
    let url: URL;
    try {
      url = new URL(options.url);
    } catch {
      throw new RemoteFailure(EXIT_USAGE, [`--url ${options.url}: not a URL (expected e.g. http://127.0.0.1:${DEFAULT_API_PORT})`]);
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") throw new RemoteFailure(EXIT_USAGE, [`--url ${options.url}: must be an http:// or https:// URL`]);
    return { url: options.url.replace(/\/+$/, ""), from: "--url", token, tokenEnv };
  }
  if (config === undefined) return { url: `http://${DEFAULT_API_HOST}:${DEFAULT_API_PORT}`, from: "the default URL; no vigil.config.json here", token, tokenEnv };
  const stateFile = apiStateFile(config);
  const state = await readApiState(stateFile);
  if (state !== undefined) return { url: state.url, from: `state file ${stateFile}, written by pid ${state.pid}`, token, tokenEnv };
  if (!config.api.enabled) throw new RemoteFailure(EXIT_UNREACHABLE, [`${config.file} has api.enabled false: the service has no REST API`]);
  if (config.api.port === 0) throw new RemoteFailure(EXIT_UNREACHABLE, [`no service: no state file ${stateFile} (is the service of ${config.file} running? with api.port 0 only that file knows its URL)`]);
  const host = config.api.host === "0.0.0.0" ? "127.0.0.1" : config.api.host.includes(":") ? `[${config.api.host}]` : config.api.host;
  return { url: `http://${host}:${config.api.port}`, from: `${config.file} (no state file ${stateFile})`, token, tokenEnv };
}

/** One request; resolves to the parsed JSON answer of a 2xx, else throws a {@link RemoteFailure}. */
async function call(target: Target, method: string, path: string, body: unknown, timeoutMs: number): Promise<unknown> {
  const headers: Record<string, string> = { accept: "application/json" };
  if (target.token !== undefined) headers.authorization = `Bearer ${target.token}`;
  if (body !== undefined) headers["content-type"] = "application/json";
  let response: Response;
  try {
    response = await fetch(`${target.url}${path}`, { method, headers, ...(body !== undefined && { body: JSON.stringify(body) }), signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    throw unreachable(target, err, timeoutMs);
  }
  const text = await response.text();
  let json: unknown;
  try {
    json = text === "" ? undefined : JSON.parse(text);
  } catch {
    throw new RemoteFailure(EXIT_FAILURE, [`${method} ${target.url}${path}: answered ${response.status} with something that is not JSON: is this a vigil service? (${target.from})`]);
  }
  if (response.ok) return json;
  const error = (json ?? {}) as Partial<ApiErrorBody>;
  const message = typeof error.message === "string" ? error.message : `HTTP ${response.status}`;
  const lines = [`the service refused (${response.status}${typeof error.error === "string" ? ` ${error.error}` : ""}): ${message}`, ...(Array.isArray(error.details) ? error.details.map((d) => `  ${String(d)}`) : [])];
  if (response.status === 401) lines.push(target.token === undefined ? `set ${target.tokenEnv} to the service's token` : `${target.tokenEnv} does not hold the service's token`);
  throw new RemoteFailure(EXIT_FAILURE, lines);
}

/** True while something answers at the target (any HTTP status). */
async function answers(target: Target): Promise<boolean> {
  try {
    const r = await fetch(`${target.url}/health`, { signal: AbortSignal.timeout(2_000) });
    await r.arrayBuffer();
    return true;
  } catch {
    return false;
  }
}

function unreachable(target: Target, err: unknown, timeoutMs: number): RemoteFailure {
  const e = err as Error & { cause?: { code?: string; message?: string } };
  if (e.name === "TimeoutError" || e.name === "AbortError") {
    return new RemoteFailure(EXIT_FAILURE, [`no answer from ${target.url} within ${duration(timeoutMs)} (--timeout): the service may still be working on it`]);
  }
  const code = e.cause?.code;
  const why = code === "ECONNREFUSED" ? "connection refused" : code === "ENOTFOUND" ? "no such host" : (e.cause?.message ?? e.message);
  return new RemoteFailure(EXIT_UNREACHABLE, [`no service answers at ${target.url} (${target.from}): ${why}`]);
}

function duration(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${s % 60}s`;
  const h = Math.floor(m / 60);
  return h < 48 ? `${h}h ${m % 60}m` : `${Math.floor(h / 24)}d ${h % 24}h`;
}

function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} kB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

interface JobView {
  id: string;
  name: string;
  status: string;
  startedAt: string;
  uptimeMs: number;
  restoredFrom: string | null;
  sources: string[];
  rules: number;
}

interface SnapshotView {
  checkpointId: number;
  kind: string;
  location: string;
  size: number;
}
