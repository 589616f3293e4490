import { readFileSync } from "node:fs";
import { apiStateFile, startApiServer, type ApiMetrics, type ApiServer } from "../api/index.js";
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, writeLines, type CommandContext } from "../commands/io.js";
import { ConfigError, loadConfig, type VigilConfig } from "../config/index.js";
import type { Logger } from "../log.js";
import { createServiceMetrics, type ServiceMetrics } from "../metrics/index.js";
import { packageFile } from "../package-files.js";
import { startService, type RunningService, type ServiceResult } from "./run-service.js";

/** Options of {@link runCommand}. */
export interface RunCommandOptions {
  /**
   * Where stop signals come from (default: the process, SIGTERM and SIGINT). Returns a function
   * that removes the listeners. Tests pass their own.
   */
  readonly onStopSignal?: (stop: (signal: string) => void) => () => void;
  /** Served by the REST API at GET /metrics instead of the service's own Prometheus metrics. */
  readonly metrics?: ApiMetrics;
  /** Where the config's overrides and the API token are read (default: `process.env`). */
  readonly env?: NodeJS.ProcessEnv;
  /** Called once the REST API listens (tests learn its URL). */
  readonly onApiListening?: (url: string) => void;
}

function processSignals(stop: (signal: string) => void): () => void {
  const handler = (signal: NodeJS.Signals) => stop(signal);
  process.on("SIGTERM", handler);
  process.on("SIGINT", handler);
  return () => {
    process.off("SIGTERM", handler);
    process.off("SIGINT", handler);
  };
}

/**
 * `vigil run [--config <file>]`: loads and validates the config, starts the service and its REST
 * API (config `api`), and runs until its bounded sources end or a stop arrives, as a signal or as
 * POST /stop (then: savepoint or final checkpoint, per `shutdown`; sinks closed; the API closed).
 * Exit codes: 0 finished or stopped cleanly, 1 the job failed or the API could not listen, 2 the
 * config or the rules are invalid (every problem on stderr, one per line).
 */
export async function runCommand(configPath: string, { io, log }: CommandContext, options: RunCommandOptions = {}): Promise<number> {
  const env = options.env ?? process.env;
  let service: RunningService;
  let config: VigilConfig;
  let metrics: ServiceMetrics;
  try {
    config = await loadConfig(configPath, env);
    log.info({ config: config.file, patterns: config.patterns, state: config.state, checkpoints: config.checkpoints, shutdown: config.shutdown, api: config.api }, "config loaded");
    const sinks = Object.keys(config.sinks);
    metrics = createServiceMetrics({ sources: Object.keys(config.sources), sinks });
    service = await startService(config, { stdout: io.stdout, log, observer: metrics.observer, ...(io.now && { now: io.now }) });
    metrics.declare({ rules: service.rules.map((r) => ({ id: r.id, version: r.version })) });
    // scrapes read the current job's runtime metrics (the job is replaced when a reload re-plans it)
    metrics.bindJob(service);
  } catch (err) {
    if (err instanceof ConfigError) {
      writeLines(io.stderr, err.message.split("\n").map((l) => `vigil run: ${l}`));
      return EXIT_USAGE;
    }
    io.stderr.write(`vigil run: cannot start: ${err instanceof Error ? err.message : String(err)}\n`);
    return EXIT_FAILURE;
  }
  const removeListeners = (options.onStopSignal ?? processSignals)((signal) => {
    log.info({ signal }, "stopping");
    service.stop().catch((err: unknown) => log.error({ err }, "stopping failed"));
  });
  let api: ApiServer | undefined;
  try {
    api = await startApi(service, config, env, log, { ...options, metrics: options.metrics ?? metrics });
  } catch (err) {
    // the job has started: stop it as a signal would, so it leaves a snapshot and closed sinks
    io.stderr.write(`vigil run: ${err instanceof Error ? err.message : String(err)}\n`);
    await service.stop().catch((e: unknown) => log.error({ err: e }, "stopping failed"));
    await service.done.catch(() => undefined);
    removeListeners();
    return EXIT_FAILURE;
  }
  try {
    const result = await service.done;
    writeLines(io.stderr, summary(result));
    return EXIT_OK;
  } catch (err) {
    io.stderr.write(`vigil run: the job failed: ${err instanceof Error ? err.message : String(err)}\n`);
    return EXIT_FAILURE;
  } finally {
    removeListeners();
    // after the job: a POST /stop in flight gets its answer before the server goes
    await api?.close().catch((err: unknown) => log.warn({ err }, "closing the REST API failed"));
  }
}

/** Starts the REST API over the service's control, unless the config disables it. */
async function startApi(service: RunningService, config: VigilConfig, env: NodeJS.ProcessEnv, log: Logger, options: RunCommandOptions): Promise<ApiServer | undefined> {
  if (!config.api.enabled) return undefined;
  const token = env[config.api.tokenEnv];
  const api = await startApiServer(
    service.control,
    {
      host: config.api.host,
      port: config.api.port,
      portFallback: config.api.portFallback,
      ...(token !== undefined && token !== "" && { token }),
      ...(options.metrics !== undefined && { metrics: options.metrics }),
      version: packageVersion(),
      stateFile: apiStateFile(config),
      configFile: config.file,
    },
    log,
  );
  options.onApiListening?.(api.url);
  return api;
}

function packageVersion(): string {
  try {
    return String((JSON.parse(readFileSync(packageFile("package.json"), "utf8")) as { version?: unknown }).version ?? "0");
  } catch {
    return "0";
  }
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}

/** The lines printed to stderr when the service ends. */
function summary(result: ServiceResult): string[] {
  const { stats } = result;
  const read = Object.values(stats.sources).reduce((n, s) => n + s.events + s.deadLetters, 0);
  const dead = Object.values(stats.sources).reduce((n, s) => n + s.deadLetters, 0);
  const rules = Object.values(stats.rules).sort((a, b) => (a.rule < b.rule ? -1 : a.rule > b.rule ? 1 : 0));
  const alerts = rules.reduce((n, r) => n + r.alerts + r.timeouts, 0);
  const how = result.kind === "finished" ? "finished" : `stopped${result.snapshot !== undefined ? ` (${result.snapshot})` : ""}`;
  const resumed = result.restoredFrom !== undefined ? `, resumed from ${result.restoredFrom}` : "";
  const lines = [`summary: ${how}${resumed}: ${plural(read, "event")} read, ${dead} invalid, ${plural(alerts, "alert")}`];
  for (const r of rules) {
    const timeouts = r.timeouts > 0 ? `, ${r.timeouts} of them timeouts` : "";
    const late = r.late > 0 ? `, ${r.late} late` : "";
    const invalid = r.invalid > 0 ? `, ${r.invalid} without event time` : "";
    lines.push(`  rule ${r.rule} v${r.version}: ${plural(r.events, "event")}, ${r.skipped} skipped (no key)${invalid}, ${plural(r.alerts + r.timeouts, "alert")}${timeouts}${late}`);
  }
  return lines;
}
