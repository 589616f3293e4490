import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { findLatestCheckpoint, RestartStrategies, StreamExecutionEnvironment, type JobClient } from "../../runtime/index.js";
import { heapBackend, levelDbBackend } from "../../state/index.js";
import type { TextSink } from "../commands/io.js";
import { ConfigError, type VigilConfig } from "../config/index.js";
import type { Logger } from "../log.js";
import { formatIssue, loadRules, type LoadedRule } from "../pattern-file/index.js";
import { buildServiceJob, checkRulesAgainstConfig, type RunStats } from "./build-job.js";

/** Where `vigil run` puts savepoints: under the checkpoint directory. */
export function savepointDirectory(config: VigilConfig): string {
  return join(config.checkpoints.directory, "savepoints");
}

/** Rules that cannot run with this config (invalid files, unknown sources or sinks): one line each. */
export class RulesInvalidError extends ConfigError {}

/** How a run ended. */
export interface ServiceResult {
  /** `finished`: bounded sources read to the end; `stopped`: stopped on request (signal). */
  readonly kind: "finished" | "stopped";
  /** The savepoint or checkpoint taken when stopping. */
  readonly snapshot?: string;
  readonly restoredFrom: string | undefined;
  readonly stats: RunStats;
  readonly rules: readonly LoadedRule[];
}

/** A started service. */
export interface RunningService {
  readonly rules: readonly LoadedRule[];
  /** The checkpoint or savepoint it resumed from, if any. */
  readonly restoredFrom: string | undefined;
  /** Resolves when the job ends (finished or stopped); rejects when it fails for good. */
  readonly done: Promise<ServiceResult>;
  /**
   * Graceful stop: a savepoint (`shutdown: "savepoint"`: sources stop after it, sinks commit and
   * close) or a final checkpoint then cancel (`"checkpoint"`). Resolves with the snapshot's path.
   */
  stop(): Promise<string | undefined>;
}

/** What {@link startService} needs besides the config. */
export interface StartServiceOptions {
  readonly stdout: TextSink;
  readonly log: Logger;
  readonly now?: () => number;
}

/**
 * Starts the service: loads the rules, checks them against the config (unknown sources and
 * sinks are config errors, thrown as {@link RulesInvalidError} before anything runs), builds one
 * job, restores the newest checkpoint or savepoint under the checkpoint directory (so a killed
 * service resumes) and runs it.
 */
export async function startService(config: VigilConfig, options: StartServiceOptions): Promise<RunningService> {
  const { log } = options;
  const loaded = await loadRules(config.patterns);
  if (loaded.issues.length > 0) {
    throw new RulesInvalidError(config.patterns, loaded.issues.map((i) => ({ pointer: "$rules", message: formatIssue(i) })));
  }
  if (loaded.rules.length === 0) throw new RulesInvalidError(config.patterns, [{ pointer: "$rules", message: `${config.patterns}: no pattern files` }]);
  const mismatches = checkRulesAgainstConfig(config, loaded.rules);
  if (mismatches.length > 0) throw new RulesInvalidError(config.file, mismatches.map((m) => ({ pointer: "$rules", message: `${m.file} ${m.pointer}: ${m.message}` })));
  const rules = loaded.rules;
  log.info({ rules: rules.map((r) => `${r.id}@${r.version}`) }, "rules loaded");

  const env = new StreamExecutionEnvironment()
    .setParallelism(1)
    .setRuntimeMode("streaming")
    .setStateBackend(config.state.backend === "leveldb" ? levelDbBackend({ directory: config.state.directory }) : heapBackend())
    .enableCheckpointing(config.checkpoints.intervalMs, { directory: config.checkpoints.directory, retained: config.checkpoints.retained })
    .setRestartStrategy(RestartStrategies.exponentialDelay({ initialDelayMs: 1_000, maxDelayMs: 30_000, attempts: 10 }))
    .setLogger(log);
  const stats = buildServiceJob(env, config, rules, { stdout: options.stdout, log, now: options.now ?? Date.now });
  const restoredFrom = await newestSnapshot(config);
  if (restoredFrom !== undefined) {
    // a rule removed since then drops its state, as the pattern-file contract says
    env.restoreFrom(restoredFrom, { allowNonRestoredState: true });
    log.info({ path: restoredFrom }, "resuming from snapshot");
  }
  const client: JobClient = await env.executeAsync("vigil");
  let stopping: Promise<string | undefined> | undefined;
  const done = client.getJobExecutionResult().then(
    async (): Promise<ServiceResult> => {
      const snapshot = stopping === undefined ? undefined : await stopping;
      return { kind: stopping === undefined ? "finished" : "stopped", ...(snapshot !== undefined && { snapshot }), restoredFrom, stats, rules };
    },
    async (err: unknown): Promise<ServiceResult> => {
      // a cancel after the final checkpoint is how "checkpoint" shutdown ends
      if (stopping !== undefined && client.getJobStatus() === "CANCELED") {
        const snapshot = await stopping;
        return { kind: "stopped", ...(snapshot !== undefined && { snapshot }), restoredFrom, stats, rules };
      }
      throw err;
    },
  );
  const stop = (): Promise<string | undefined> => {
    stopping ??= (async () => {
      const status = client.getJobStatus();
      if (status !== "RUNNING" && status !== "RESTARTING") return undefined;
      if (config.shutdown === "savepoint") {
        const path = await client.stopWithSavepoint(savepointDirectory(config));
        log.info({ path }, "stopped with a savepoint");
        return path;
      }
      const { location: path } = await client.triggerCheckpoint();
      await client.cancel();
      log.info({ path }, "stopped after a final checkpoint");
      return path;
    })();
    return stopping;
  };
  return { rules, restoredFrom, done, stop };
}

/** The newest complete checkpoint or savepoint under the checkpoint directory, by the time its metadata was written. */
async function newestSnapshot(config: VigilConfig): Promise<string | undefined> {
  const candidates: string[] = [];
  const checkpoint = await findLatestCheckpoint(config.checkpoints.directory);
  if (checkpoint !== undefined) candidates.push(checkpoint);
  const dir = savepointDirectory(config);
  let names: string[] = [];
  try {
    names = await readdir(dir);
  } catch {
    // no savepoints yet
  }
  for (const n of names) if (n.startsWith("savepoint-")) candidates.push(join(dir, n));
  let best: { path: string; mtimeMs: number } | undefined;
  for (const path of candidates) {
    try {
      const { mtimeMs } = await stat(join(path, "_metadata"));
      if (best === undefined || mtimeMs > best.mtimeMs) best = { path, mtimeMs };
    } catch {
      // incomplete: not a candidate
    }
  }
  return best?.path;
}
