import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, writeLines, type CommandContext } from "../commands/io.js";
import { ConfigError, loadConfig } from "../config/index.js";
import { startService, type ServiceResult } from "./run-service.js";

/** Options of {@link runCommand}. */
export interface RunCommandOptions {
  /**
   * Where stop signals come from (default: the process, SIGTERM and SIGINT). Returns a function
   * that removes the listeners. Tests pass their own.
   */
  readonly onStopSignal?: (stop: (signal: string) => void) => () => void;
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
 * `vigil run [--config <file>]`: loads and validates the config, starts the service, and runs
 * until its bounded sources end or a stop signal arrives (then: savepoint or final checkpoint, per
 * `shutdown`; sinks closed). Exit codes: 0 finished or stopped cleanly, 1 the job failed, 2 the
 * config or the rules are invalid (every problem on stderr, one per line).
 */
export async function runCommand(configPath: string, { io, log }: CommandContext, options: RunCommandOptions = {}): Promise<number> {
  let service;
  try {
    const config = await loadConfig(configPath);
    log.info({ config: config.file, patterns: config.patterns, state: config.state, checkpoints: config.checkpoints, shutdown: config.shutdown }, "config loaded");
    service = await startService(config, { stdout: io.stdout, log, ...(io.now && { now: io.now }) });
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
  try {
    const result = await service.done;
    writeLines(io.stderr, summary(result));
    return EXIT_OK;
  } catch (err) {
    io.stderr.write(`vigil run: the job failed: ${err instanceof Error ? err.message : String(err)}\n`);
    return EXIT_FAILURE;
  } finally {
    removeListeners();
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
