import { readFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { VigilError } from "../../errors.js";
import { describeJsonError } from "../json-error.js";
import { validateConfigSchema, type ConfigIssue } from "./config-schema.js";
import type { SinkConfig, SourceConfig, VigilConfig } from "./config-types.js";

/** Default bounded out-of-orderness of event time (ms). */
export const DEFAULT_OUT_OF_ORDERNESS_MS = 5_000;
/** Default idleness after which a quiet partition stops holding the watermark back (ms). */
export const DEFAULT_IDLENESS_MS = 5_000;
/** The REST API's defaults: loopback only, a fixed port, the token from this environment variable. */
export const DEFAULT_API_HOST = "127.0.0.1";
export const DEFAULT_API_PORT = 8717;
export const DEFAULT_API_TOKEN_ENV = "VIGIL_API_TOKEN";

/**
 * A config that cannot be used: `issues` holds every problem, and the message has them one per
 * line as `<file> <pointer>: <message>` (an environment variable is named in place of the file).
 */
export class ConfigError extends VigilError {
  constructor(
    readonly file: string,
    readonly issues: readonly ConfigIssue[],
  ) {
    super(issues.map((i) => formatConfigIssue(file, i)).join("\n"), { code: "CONFIG_INVALID" });
    this.name = "ConfigError";
  }
}

/** `vigil.config.json /sinks/alerts/type: must be one of: ...`; a pointer of `$VAR` names an environment variable. */
export function formatConfigIssue(file: string, issue: ConfigIssue): string {
  return issue.pointer.startsWith("$") ? `${issue.pointer}: ${issue.message}` : `${file} ${issue.pointer === "" ? "/" : issue.pointer}: ${issue.message}`;
}

/** Environment variables that override the config file (the connectors read their own: KAFKA_BROKERS, NATS_URL, ...). */
export const CONFIG_ENV = ["VIGIL_PATTERNS", "VIGIL_STATE_BACKEND", "VIGIL_STATE_DIR", "VIGIL_CHECKPOINT_INTERVAL", "VIGIL_CHECKPOINT_DIR", "VIGIL_SHUTDOWN", "VIGIL_API_PORT"] as const;

/**
 * Reads, validates and resolves a config file: schema (every problem at its JSON pointer), then
 * defaults, then environment overrides (`CONFIG_ENV`; relative paths in them are relative to the
 * working directory, those in the file to the file's folder). Throws {@link ConfigError} listing
 * every problem, or when the file cannot be read or is not JSON.
 */
export async function loadConfig(path: string, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Promise<VigilConfig> {
  const file = resolve(cwd, path);
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "no such file" : code === "EISDIR" ? "is a folder" : (err as Error).message;
    throw new ConfigError(path, [{ pointer: "", message: `cannot read the config: ${why}` }]);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (err) {
    const { reason, line, column } = describeJsonError(err, text);
    throw new ConfigError(path, [{ pointer: "", message: `not valid JSON at line ${line}, column ${column}: ${reason}` }]);
  }
  return resolveConfig(doc, { file: path, baseDir: dirname(file), env, cwd });
}

/** Validates and resolves an already parsed config (see {@link loadConfig}); `file` names it in errors. */
export function resolveConfig(doc: unknown, where: { file: string; baseDir: string; env?: NodeJS.ProcessEnv; cwd?: string }): VigilConfig {
  const { file, baseDir } = where;
  const env = where.env ?? process.env;
  const cwd = where.cwd ?? process.cwd();
  const issues = validateConfigSchema(doc);
  if (issues.length > 0) throw new ConfigError(file, issues);
  const raw = doc as RawConfig;
  const fromFile = (p: string) => resolve(baseDir, p);
  const fromEnv = (p: string) => resolve(cwd, p);
  const envIssues: ConfigIssue[] = [];
  const envValue = (name: (typeof CONFIG_ENV)[number]): string | undefined => {
    const v = env[name];
    return v === undefined || v === "" ? undefined : v;
  };

  const sources: Record<string, SourceConfig> = {};
  for (const [name, s] of Object.entries(raw.sources)) {
    const time = {
      outOfOrdernessMs: durationMs(s.outOfOrderness, DEFAULT_OUT_OF_ORDERNESS_MS),
      idlenessMs: durationMs(s.idleness, DEFAULT_IDLENESS_MS),
    };
    if (s.type === "file") {
      const paths = (typeof s.path === "string" ? [s.path] : s.path).map(fromFile);
      sources[name] = { type: "file", paths, watch: s.watch ?? false, watchIntervalMs: s.watchIntervalMs ?? 1_000, ...time };
    } else if (s.type === "kafka") {
      sources[name] = { type: "kafka", topics: s.topics, ...(s.groupId !== undefined && { groupId: s.groupId }), ...(s.offsetReset !== undefined && { offsetReset: s.offsetReset }), ...time };
    } else {
      sources[name] = { type: "jetstream", stream: s.stream, ...(s.consumer !== undefined && { consumer: s.consumer }), ...(s.filterSubjects !== undefined && { filterSubjects: s.filterSubjects }), ...(s.startFrom !== undefined && { startFrom: typeof s.startFrom === "string" ? s.startFrom : { time: Date.parse(s.startFrom.time) } }), ...time };
    }
  }
  const sinks: Record<string, SinkConfig[]> = {};
  const fileIssues: ConfigIssue[] = [];
  for (const [name, value] of Object.entries(raw.sinks)) {
    sinks[name] = (Array.isArray(value) ? value : [value]).map((sink, i): SinkConfig => {
      if (sink.type !== "file") return sink;
      if ((sink.path === undefined) === (sink.directory === undefined)) {
        const pointer = `/sinks/${name}${Array.isArray(value) ? `/${i}` : ""}`;
        fileIssues.push({ pointer, message: "a file sink needs exactly one of path (one file, appended to: at-least-once) or directory (part files committed at checkpoints: exactly-once)" });
        return sink as SinkConfig;
      }
      return sink.path !== undefined ? { type: "file", path: fromFile(sink.path) } : { type: "file", directory: fromFile(sink.directory as string) };
    });
  }

  if (fileIssues.length > 0) throw new ConfigError(file, fileIssues);
  const patternsEnv = envValue("VIGIL_PATTERNS");
  const backendEnv = envValue("VIGIL_STATE_BACKEND");
  if (backendEnv !== undefined && backendEnv !== "leveldb" && backendEnv !== "heap") envIssues.push({ pointer: "$VIGIL_STATE_BACKEND", message: `must be leveldb or heap, got ${JSON.stringify(backendEnv)}` });
  const stateDirEnv = envValue("VIGIL_STATE_DIR");
  const intervalEnv = envValue("VIGIL_CHECKPOINT_INTERVAL");
  let intervalMs = raw.checkpoints?.intervalMs ?? 5_000;
  if (intervalEnv !== undefined) {
    const parsed = /^\d+$/.test(intervalEnv) ? Number(intervalEnv) : toMs(intervalEnv);
    if (parsed !== undefined && Number.isSafeInteger(parsed)) intervalMs = parsed;
    else envIssues.push({ pointer: "$VIGIL_CHECKPOINT_INTERVAL", message: `must be milliseconds or a duration such as 10s, got ${JSON.stringify(intervalEnv)}` });
  }
  const checkpointDirEnv = envValue("VIGIL_CHECKPOINT_DIR");
  const shutdownEnv = envValue("VIGIL_SHUTDOWN");
  if (shutdownEnv !== undefined && shutdownEnv !== "checkpoint" && shutdownEnv !== "savepoint") envIssues.push({ pointer: "$VIGIL_SHUTDOWN", message: `must be checkpoint or savepoint, got ${JSON.stringify(shutdownEnv)}` });
  const apiPortEnv = envValue("VIGIL_API_PORT");
  let apiPort = raw.api?.port;
  if (apiPortEnv !== undefined) {
    const port = /^\d{1,5}$/.test(apiPortEnv) ? Number(apiPortEnv) : NaN;
    if (port <= 65_535) apiPort = port;
    else envIssues.push({ pointer: "$VIGIL_API_PORT", message: `must be a port number from 0 to 65535 (0: any free port), got ${JSON.stringify(apiPortEnv)}` });
  }
  if (envIssues.length > 0) throw new ConfigError(file, envIssues);

  return {
    file: resolve(cwd, file),
    patterns: patternsEnv !== undefined ? fromEnv(patternsEnv) : fromFile(raw.patterns ?? "patterns"),
    sources,
    sinks,
    state: {
      backend: (backendEnv as "leveldb" | "heap" | undefined) ?? raw.state?.backend ?? "leveldb",
      directory: stateDirEnv !== undefined ? fromEnv(stateDirEnv) : fromFile(raw.state?.directory ?? ".vigil/state"),
    },
    checkpoints: {
      intervalMs,
      directory: checkpointDirEnv !== undefined ? fromEnv(checkpointDirEnv) : fromFile(raw.checkpoints?.directory ?? ".vigil/checkpoints"),
      retained: raw.checkpoints?.retained ?? 3,
    },
    shutdown: (shutdownEnv as "checkpoint" | "savepoint" | undefined) ?? raw.shutdown ?? "savepoint",
    api: {
      enabled: raw.api?.enabled ?? true,
      host: raw.api?.host ?? DEFAULT_API_HOST,
      port: apiPort ?? DEFAULT_API_PORT,
      portFallback: apiPort === undefined,
      tokenEnv: raw.api?.tokenEnv ?? DEFAULT_API_TOKEN_ENV,
    },
    reload: {
      watch: raw.reload?.watch ?? true,
      debounceMs: raw.reload?.debounceMs ?? 200,
      intervalMs: raw.reload?.intervalMs ?? 2_000,
    },
    control:
      raw.control === undefined
        ? undefined
        : raw.control.type === "kafka"
          ? { type: "kafka", topic: raw.control.topic, ...(raw.control.brokers !== undefined && { brokers: raw.control.brokers }) }
          : { type: "nats", subject: raw.control.subject, ...(raw.control.servers !== undefined && { servers: raw.control.servers }) },
    deadLetters:
      raw.deadLetters === undefined
        ? undefined
        : raw.deadLetters.type === "file"
          ? { type: "file", path: fromFile(raw.deadLetters.path) }
          : { type: "nats", subject: raw.deadLetters.subject, ...(raw.deadLetters.servers !== undefined && { servers: raw.deadLetters.servers }) },
  };
}

/** A duration the schema already checked: integer ms or `"<n><unit>"`. */
function durationMs(value: number | string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value === "number") return value;
  return toMs(value) ?? fallback;
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `"250ms"`, `"30s"`, `"10m"`, `"2h"`, `"1d"` (zero allowed here: no out-of-orderness) to ms. */
function toMs(text: string): number | undefined {
  const m = /^([0-9]+)(ms|s|m|h|d)$/.exec(text);
  return m === null ? undefined : Number(m[1]) * UNIT_MS[m[2]];
}

/** The config file's shape as the schema allows it (before defaults). */
interface RawConfig {
  patterns?: string;
  sources: Record<string, RawSource>;
  sinks: Record<string, RawSink | RawSink[]>;
  state?: { backend?: "leveldb" | "heap"; directory?: string };
  checkpoints?: { intervalMs?: number; directory?: string; retained?: number };
  shutdown?: "checkpoint" | "savepoint";
  api?: { enabled?: boolean; host?: string; port?: number; tokenEnv?: string };
  reload?: { watch?: boolean; debounceMs?: number; intervalMs?: number };
  control?: { type: "nats"; servers?: string | string[]; subject: string } | { type: "kafka"; topic: string; brokers?: string[] };
  deadLetters?: { type: "file"; path: string } | { type: "nats"; servers?: string | string[]; subject: string };
}

type RawTime = { outOfOrderness?: number | string; idleness?: number | string };
type RawSource =
  | ({ type: "file"; path: string | string[]; watch?: boolean; watchIntervalMs?: number } & RawTime)
  | ({ type: "kafka"; topics: string[]; groupId?: string; offsetReset?: "earliest" | "latest" } & RawTime)
  | ({ type: "jetstream"; stream: string; consumer?: string; filterSubjects?: string[]; startFrom?: "all" | "new" | { time: string } } & RawTime);
type RawSink = Exclude<SinkConfig, { type: "file" }> | { type: "file"; path?: string; directory?: string };
