import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { findLatestCheckpoint, RestartStrategies, StreamExecutionEnvironment, type JobClient, type JobMetrics, type StoredSnapshot } from "../../runtime/index.js";
import { heapBackend, levelDbBackend } from "../../state/index.js";
import type { TextSink } from "../commands/io.js";
import { ConfigError, type VigilConfig } from "../config/index.js";
import { pendingJobLogger, type Logger } from "../log.js";
import { formatIssue, loadRules, type LoadedRule } from "../pattern-file/index.js";
import { PatternFolderWatcher, Reloader, ServiceRules, subscribeControl, type JobChange } from "../reload/index.js";
import { openDeadLetters, type ServiceDeadLetter } from "./dead-letters.js";
import { buildServiceJob, checkRulesAgainstConfig, versionOf, type RunStats, type ServiceJob } from "./build-job.js";
import type { ServiceControl, ServiceObserver } from "./control.js";

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
  /** The active rules at the end. */
  readonly rules: readonly LoadedRule[];
}

/** A started service. */
export interface RunningService {
  /** The active rules now (they change as pattern files do). */
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
  /** Status, rules (deploy, delete), statistics and checkpoints: what the REST API serves. */
  readonly control: ServiceControl;
  /** Looks at the pattern folder now instead of at the next event or interval (tests). */
  checkPatterns(): Promise<void>;
  /** The runtime metrics of the job running now (watermarks, state, back-pressure, checkpoints). */
  getMetrics(): JobMetrics;
}

/** What {@link startService} needs besides the config. */
export interface StartServiceOptions {
  readonly stdout: TextSink;
  readonly log: Logger;
  readonly now?: () => number;
  /** Hooks called as records pass (metrics). */
  readonly observer?: ServiceObserver;
}

/**
 * Starts the service: loads the rules, checks them against the config (unknown sources and
 * sinks are config errors, thrown as {@link RulesInvalidError} before anything runs), builds one
 * job, restores the newest checkpoint or savepoint under the checkpoint directory (so a killed
 * service resumes) and runs it. While it runs, rule changes (the watched pattern folder, the
 * control stream, `control.putRule`) reach its CEP operators through the job's control stream
 * (docs/hot-reload.md); a change the running job has no operator for (a new source, key or
 * sink) restarts the job from a savepoint with a new plan.
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
  log.info({ rules: loaded.rules.map((r) => `${r.id}@${r.version}`) }, "rules loaded");
  const versions = await Promise.all(loaded.rules.map(async (r) => versionOf(r, await readFile(r.file, "utf8").catch(() => undefined))));
  const serviceRules = new ServiceRules(versions);
  const patternsIsFolder = (await stat(config.patterns)).isDirectory();
  const startedAt = Date.now();

  // malformed events go here with their reason (besides the log and the counts)
  const deadLetters = config.deadLetters === undefined ? undefined : await openDeadLetters(config.deadLetters, log);
  let client!: JobClient;
  let job!: ServiceJob;
  const history: StoredSnapshot[] = [];
  const launch = async (restore: string | undefined): Promise<void> => {
    const env = new StreamExecutionEnvironment()
      .setParallelism(1)
      .setRuntimeMode("streaming")
      .setStateBackend(config.state.backend === "leveldb" ? levelDbBackend({ directory: config.state.directory }) : heapBackend())
      .enableCheckpointing(config.checkpoints.intervalMs, { directory: config.checkpoints.directory, retained: config.checkpoints.retained })
      .setRestartStrategy(RestartStrategies.exponentialDelay({ initialDelayMs: 1_000, maxDelayMs: 30_000, attempts: 10 }))
    // every line about this job (the runtime's, the rules') carries its id once it has one
    const jobLog = pendingJobLogger(log);
    env.setLogger(jobLog.log);
    const rules = serviceRules.active().map((v) => v.rule);
    job = buildServiceJob(env, config, rules, { stdout: options.stdout, log: jobLog.log, now: options.now ?? Date.now, serviceRules, ...(options.observer && { observer: options.observer }), ...(deadLetters && { deadLetters: (d: ServiceDeadLetter) => deadLetters.write(d) }) });
    if (restore !== undefined) {
      // a rule removed since then drops its state, as the pattern-file contract says
      env.restoreFrom(restore, { allowNonRestoredState: true });
      log.info({ path: restore }, "resuming from snapshot");
    }
    client = await env.executeAsync("vigil");
    jobLog.setJob(client);
  };
  const restoredFrom = await newestSnapshot(config);
  await launch(restoredFrom);

  let stopping: Promise<string | undefined> | undefined;
  /** A re-plan in progress (stop with a savepoint, start again from it). */
  let replanning: Promise<void> | undefined;
  let settle!: { resolve: (r: ServiceResult) => void; reject: (e: unknown) => void };
  const done = new Promise<ServiceResult>((resolve, reject) => (settle = { resolve, reject }));
  const result = (kind: ServiceResult["kind"], snapshot: string | undefined): ServiceResult => ({
    kind,
    ...(snapshot !== undefined && { snapshot }),
    restoredFrom,
    stats: serviceRules.stats,
    rules: serviceRules.active().map((v) => v.rule),
  });
  const follow = (c: JobClient): void => {
    c.getJobExecutionResult().then(
      async () => {
        if (c !== client || replanning !== undefined) return;
        const snapshot = stopping === undefined ? undefined : await stopping;
        settle.resolve(result(stopping === undefined ? "finished" : "stopped", snapshot));
      },
      async (err: unknown) => {
        if (c !== client || replanning !== undefined) return;
        // a cancel after the final checkpoint is how "checkpoint" shutdown ends
        if (stopping !== undefined && c.getJobStatus() === "CANCELED") {
          settle.resolve(result("stopped", await stopping));
          return;
        }
        settle.reject(err);
      },
    );
  };
  follow(client);

  const replan = async (why: string): Promise<void> => {
    const old = client;
    const status = old.getJobStatus();
    if (stopping !== undefined || (status !== "RUNNING" && status !== "RESTARTING")) return;
    log.info({ reason: why }, "re-planning the job: stopping with a savepoint and starting again from it");
    const path = await old.stopWithSavepoint(savepointDirectory(config));
    history.push(...old.getCheckpoints());
    await old.getJobExecutionResult().catch(() => undefined);
    await launch(path);
    follow(client);
  };
  const apply = async (change: JobChange): Promise<void> => {
    if (change.replan !== undefined) {
      const run = (replanning ?? Promise.resolve()).then(() => replan(change.replan!));
      replanning = run;
      try {
        await run;
      } catch (err) {
        log.error({ err }, "re-planning the job failed");
        settle.reject(err);
      } finally {
        if (replanning === run) replanning = undefined;
      }
      return;
    }
    job.control.push(...change.updates);
  };

  let watcher: PatternFolderWatcher | undefined;
  const reloader = new Reloader({
    patterns: config.patterns,
    patternsIsFolder,
    rules: serviceRules,
    log,
    check: (rules) => checkRulesAgainstConfig(config, rules),
    plan: () => job.plan,
    apply,
    acknowledge: async (file) => watcher?.acknowledge(file),
  });
  if (config.reload.watch) {
    watcher = new PatternFolderWatcher(config.patterns, patternsIsFolder, {
      debounceMs: config.reload.debounceMs,
      intervalMs: config.reload.intervalMs,
      log,
      onChanges: async (changes) => {
        for (const c of changes) {
          if (c.kind === "removed") await reloader.fileRemoved(c.file);
          else await reloader.fileChanged(c.file);
        }
      },
    });
    await watcher.start();
    log.info({ patterns: config.patterns }, "watching the pattern folder for changes");
  }
  let controlStream: Awaited<ReturnType<typeof subscribeControl>> | undefined;
  try {
    controlStream = config.control === undefined ? undefined : await subscribeControl(config.control, reloader, log);
  } catch (err) {
    // the job runs already: stop it (no snapshot to take, nothing was read on its behalf) before failing the start
    watcher?.stop();
    await client.cancel().catch(() => undefined);
    await done.catch(() => undefined);
    await deadLetters?.close().catch(() => undefined);
    throw err;
  }
  // when the job ends, nothing more to watch: a bounded run exits
  const cleanup = () => {
    watcher?.stop();
    void controlStream?.close();
  };
  done.then(cleanup, cleanup);
  const closed = async () => {
    await deadLetters?.close().catch((err: unknown) => log.warn({ err }, "closing the dead-letter output failed"));
  };
  const ended = done.then(
    async (r) => {
      await closed();
      return r;
    },
    async (err: unknown) => {
      await closed();
      throw err;
    },
  );

  const stop = (): Promise<string | undefined> => {
    stopping ??= (async () => {
      await replanning?.catch(() => undefined);
      const c = client;
      const status = c.getJobStatus();
      if (status !== "RUNNING" && status !== "RESTARTING") return undefined;
      if (config.shutdown === "savepoint") {
        const path = await c.stopWithSavepoint(savepointDirectory(config));
        log.info({ path }, "stopped with a savepoint");
        return path;
      }
      const { location: path } = await c.triggerCheckpoint();
      await c.cancel();
      log.info({ path }, "stopped after a final checkpoint");
      return path;
    })();
    return stopping;
  };

  const control: ServiceControl = {
    get jobId() {
      return client.jobId;
    },
    status: () => ({
      jobId: client.jobId,
      jobName: client.jobName,
      status: client.getJobStatus(),
      startedAt,
      restoredFrom,
      rules: serviceRules.ruleInfos().length,
      sources: Object.keys(serviceRules.stats.sources),
    }),
    rules: () => serviceRules.ruleInfos(),
    getRule: (id) => {
      const info = serviceRules.ruleInfos().find((r) => r.id === id && r.state === "active");
      const v = serviceRules.get(id);
      if (info === undefined || v === undefined) return undefined;
      return { ...info, document: v.document.json ?? { file: v.document.file } };
    },
    putRule: async (id, document) => {
      const r = await reloader.putDocument(id, document, "api");
      if (!r.ok) return { ok: false, errors: r.errors };
      const info = serviceRules.ruleInfos().find((x) => x.id === id && x.state === "active");
      if (info === undefined) return { ok: false, errors: [`rule ${id} was deployed but is not running`] };
      return { ok: true, rule: info, created: r.created === true };
    },
    deleteRule: (id) => reloader.deleteRule(id, "api"),
    ruleStats: () => Object.values(serviceRules.stats.rules).map((r) => ({ ...r })),
    checkpoints: () => [...history, ...client.getCheckpoints()],
    triggerCheckpoint: () => client.triggerCheckpoint(),
    triggerSavepoint: (directory) => client.triggerSavepoint(directory ?? savepointDirectory(config)),
    stop,
  };

  return {
    get rules() {
      return serviceRules.active().map((v) => v.rule);
    },
    restoredFrom,
    done: ended,
    stop,
    control,
    checkPatterns: async () => {
      await watcher?.check();
    },
    getMetrics: () => client.getMetrics(),
  };
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
