import { randomBytes, randomUUID } from "node:crypto";
import * as path from "node:path";
import { JobError } from "../../errors.js";
import type { CheckpointBarrier, SnapshotKind } from "../checkpoint/barrier.js";
import { CheckpointCoordinator } from "../checkpoint/coordinator.js";
import { LocalCheckpointStorage } from "../checkpoint/local-storage.js";
import { RestartBackoff } from "../checkpoint/restart-strategy.js";
import { planRestore, type RestorePlan } from "../checkpoint/restore.js";
import type { CheckpointStorage, StoredSnapshot } from "../checkpoint/storage.js";
import type { StreamExecutionEnvironment } from "../environment.js";
import type { JobNode } from "../graph/job-graph.js";
import type { JobClient, JobExecutionResult, JobStatus } from "../job-client.js";
import type { Logger } from "../logger.js";
import { CheckpointStatsTracker, type JobMetrics, type SubtaskMetrics } from "../metrics/job-metrics.js";
import type { TaskSnapshot } from "./operator-instance.js";

/** What an executor's run of a job's tasks tells the checkpoint coordinator. */
export interface CheckpointHooks {
  acknowledge(barrier: CheckpointBarrier, snapshot: Promise<TaskSnapshot>): void;
  /** Takes the final checkpoint of a bounded job (every source waits at the end of its input). */
  finalCheckpoint(): Promise<unknown>;
}

/** How an attempt is started: from a snapshot or not, with an id of its own. */
export interface AttemptSettings {
  readonly from: RestorePlan | undefined;
  readonly attempt: string;
  readonly checkpointing: boolean;
  /** The job's logger (job id and name on every line). */
  readonly log: Logger;
  /** Present when the job can take checkpoints or savepoints (streaming mode). */
  readonly checkpoints: CheckpointHooks | undefined;
}

/** One run of every task of a job (a restart makes a new one): a task graph, or worker threads. */
export interface RunningAttempt {
  /** Subtasks that acknowledge every checkpoint. */
  readonly taskCount: number;
  injectBarrier(barrier: CheckpointBarrier, stop: boolean): void;
  notifyCheckpointComplete(id: number, kind: SnapshotKind): Promise<void>;
  notifyCheckpointAborted(id: number): Promise<void>;
  /** Resolves when every task ended (or was cancelled); rejects with the first failure. */
  run(): Promise<void>;
  /** Fails the attempt: `run` rejects with `error`. */
  fail(error: unknown): void;
  /** Stops the sources; `run` resolves. */
  cancel(): void;
  close(): Promise<void>;
  /** A reading of every subtask's metrics; absent when the subtasks run where this thread cannot read them. */
  metrics?(): SubtaskMetrics[];
}

export type StartAttempt = (settings: AttemptSettings) => Promise<RunningAttempt>;

interface Attempt {
  readonly tasks: RunningAttempt;
  readonly coordinator: CheckpointCoordinator | undefined;
}

/**
 * What every executor does around its tasks: checkpoint storage and restore, the checkpoint
 * coordinator, and, on a failure, a restart of every task (Flink's full restart) from the latest
 * completed checkpoint or savepoint as the restart strategy allows. Returns the job's client.
 */
export async function runJob(env: StreamExecutionEnvironment, jobName: string, nodes: JobNode[], batch: boolean, startAttempt: StartAttempt): Promise<JobClient> {
  const jobId = randomUUID();
  const log = env.getLogger().child({ jobId, job: jobName });
  const config = env.getCheckpointConfig();
  const checkpointing = !batch && config !== undefined;
  if (batch && config !== undefined) log.info("batch mode: checkpoints are not taken (a failed batch job reruns)");
  const directory = config?.directory ?? path.join(process.cwd(), "vigil-checkpoints", jobName.replace(/[^A-Za-z0-9_.-]/g, "_"));
  // savepoints work without periodic checkpoints, so streaming jobs always get a store
  const storage: CheckpointStorage | undefined = batch ? undefined : (config?.storage ?? new LocalCheckpointStorage(directory));
  let lastId = checkpointing && storage !== undefined ? await storage.init() : 0;

  let plan: RestorePlan | undefined;
  const restore = env.getRestoreSettings();
  if (restore !== undefined) {
    const snapshot = await (storage ?? new LocalCheckpointStorage(path.dirname(restore.path))).load(restore.path);
    plan = planRestore(snapshot, nodes, restore.allowNonRestoredState ?? false, restore.path);
    lastId = Math.max(lastId, snapshot.checkpointId);
    log.info({ from: restore.path, checkpointId: snapshot.checkpointId }, "restoring");
  }

  let status: JobStatus = "CREATED";
  let current: Attempt | undefined;
  let latest: StoredSnapshot | undefined;
  const history: StoredSnapshot[] = [];
  const checkpointStats = new CheckpointStatsTracker();
  let restarts = 0;
  /** The attempt whose subtasks `getMetrics` reads (none while waiting to restart). */
  let measured: RunningAttempt | undefined;
  /** Backpressure ms of the subtasks of failed attempts, by operator id and subtask, so the total never drops at a restart. */
  const carriedBackPressure = new Map<string, number>();
  const retire = (tasks: RunningAttempt) => {
    if (measured === tasks) measured = undefined;
    for (const m of tasks.metrics?.() ?? []) {
      if (m.backPressuredTimeMs <= 0) continue;
      const k = `${m.operatorId}/${m.subtaskIndex}`;
      carriedBackPressure.set(k, (carriedBackPressure.get(k) ?? 0) + m.backPressuredTimeMs);
    }
  };

  const start = async (from: RestorePlan | undefined): Promise<Attempt> => {
    let coordinator: CheckpointCoordinator | undefined;
    const tasks = await startAttempt({
      from,
      attempt: randomBytes(4).toString("hex"),
      checkpointing,
      log,
      checkpoints:
        storage === undefined
          ? undefined
          : {
              acknowledge: (b, s) => coordinator!.acknowledge(b, s),
              finalCheckpoint: () => coordinator!.trigger("checkpoint"),
            },
    });
    if (storage !== undefined) {
      coordinator = new CheckpointCoordinator(
        jobName,
        nodes,
        {
          injectBarrier: (b, stop) => tasks.injectBarrier(b, stop),
          notifyComplete: (id, kind) => tasks.notifyCheckpointComplete(id, kind),
          notifyAborted: (id) => tasks.notifyCheckpointAborted(id),
        },
        tasks.taskCount,
        storage,
        config ?? { intervalMs: 0, timeoutMs: 600_000, minPauseMs: 0, retained: 3, tolerableFailures: 0 },
        log,
        (e) => tasks.fail(e),
        lastId,
        (stored) => {
          latest = stored;
          history.push(stored);
          if (history.length > 100) history.shift(); // a long-running job: the recent ones
          lastId = Math.max(lastId, stored.checkpointId);
        },
        checkpointStats,
      );
      if (checkpointing) coordinator.start();
    }
    measured = tasks;
    return { tasks, coordinator };
  };

  try {
    current = await start(plan);
  } catch (e) {
    throw new JobError(`job "${jobName}" could not start: ${(e as Error).message}`, { code: "JOB_START_FAILED", cause: e });
  }
  const startedAt = performance.now();
  status = "RUNNING";
  log.info({ batch, operators: nodes.length, checkpointing }, "job running");
  let cancelled = false;
  let stopped = false;
  let wakeRestart: (() => void) | undefined;
  const backoff = new RestartBackoff(env.getRestartStrategy());

  const sleep = (ms: number) => {
    status = "RESTARTING";
    return new Promise<void>((resolve) => {
      const t = setTimeout(resolve, ms);
      wakeRestart = () => {
        clearTimeout(t);
        resolve();
      };
    });
  };
  const latestPlan = async (): Promise<RestorePlan | undefined> => {
    // the newest complete snapshot of any attempt so far; else where the job first started
    if (latest === undefined) return plan;
    const snapshot = await storage!.load(latest.location);
    return planRestore(snapshot, nodes, true, latest.location);
  };

  const run = async (): Promise<JobExecutionResult> => {
    for (;;) {
      const attempt = current!;
      try {
        await attempt.tasks.run();
      } catch (e) {
        attempt.coordinator?.stop();
        if (attempt.coordinator !== undefined) lastId = Math.max(lastId, attempt.coordinator.lastTriggeredId);
        await attempt.tasks.close().catch(() => {});
        retire(attempt.tasks);
        if (cancelled) throw new JobError(`job "${jobName}" was cancelled`, { code: "JOB_CANCELLED" });
        current = await restart(e, backoff, log, jobName, sleep, () => cancelled, latestPlan, start);
        restarts++;
        status = "RUNNING";
        continue;
      }
      attempt.coordinator?.stop();
      await attempt.tasks.close();
      if (cancelled && !stopped) throw new JobError(`job "${jobName}" was cancelled`, { code: "JOB_CANCELLED" });
      log.info(stopped ? "job stopped with a savepoint" : "job finished");
      return { jobId, jobName, netRuntimeMs: performance.now() - startedAt };
    }
  };
  const result = run().then(
    (r) => {
      status = "FINISHED";
      return r;
    },
    (e) => {
      status = cancelled && !stopped ? "CANCELED" : "FAILED";
      if (status === "FAILED") log.error({ err: e }, "job failed");
      throw e instanceof JobError && (e.code === "JOB_CANCELLED" || e.code === "JOB_FAILED")
        ? e
        : new JobError(`job "${jobName}" failed: ${(e as Error)?.message ?? String(e)}`, { code: "JOB_FAILED", cause: e });
    },
  );
  result.catch(() => {});

  const coordinator = (): CheckpointCoordinator => {
    if (status !== "RUNNING" || current?.coordinator === undefined) {
      throw new JobError(
        batch ? `job "${jobName}" runs in batch mode, which takes no checkpoints or savepoints` : `job "${jobName}" is ${status.toLowerCase()}, not running`,
        { code: "CHECKPOINT_NOT_RUNNING" },
      );
    }
    return current.coordinator;
  };
  return {
    jobId,
    jobName,
    getJobStatus: () => status,
    cancel: async () => {
      if (status !== "RUNNING" && status !== "RESTARTING") return;
      cancelled = true;
      wakeRestart?.();
      current?.tasks.cancel();
      await result.catch(() => {});
    },
    getJobExecutionResult: () => result,
    triggerCheckpoint: async () => {
      if (!checkpointing) throw new JobError(`job "${jobName}" has no checkpointing enabled: call env.enableCheckpointing(...)`, { code: "CHECKPOINT_DISABLED" });
      return coordinator().trigger("checkpoint");
    },
    triggerSavepoint: async (dir) => (await coordinator().trigger("savepoint", { savepointDir: dir })).location,
    stopWithSavepoint: async (dir) => {
      const c = coordinator();
      const stored = await c.trigger("savepoint", { savepointDir: dir, stop: true });
      stopped = true;
      cancelled = true;
      current?.tasks.cancel();
      await result.catch(() => {});
      return stored.location;
    },
    getCheckpoints: () => [...history],
    getMetrics: (): JobMetrics => {
      const tasks = measured;
      const subtasks = (tasks?.metrics?.() ?? []).map((m) => {
        const carried = carriedBackPressure.get(`${m.operatorId}/${m.subtaskIndex}`);
        return carried === undefined ? m : { ...m, backPressuredTimeMs: m.backPressuredTimeMs + carried };
      });
      return {
        jobId,
        jobName,
        status,
        takenAt: Date.now(),
        restarts,
        subtasksReported: tasks?.metrics !== undefined,
        subtasks,
        checkpoints: checkpointStats.snapshot(),
      };
    },
  };
}

/** After a failure: wait as the restart strategy says, then start again from the latest snapshot (retrying failed starts). */
async function restart(
  failure: unknown,
  backoff: RestartBackoff,
  log: Logger,
  jobName: string,
  sleep: (ms: number) => Promise<void>,
  isCancelled: () => boolean,
  latestPlan: () => Promise<RestorePlan | undefined>,
  start: (plan: RestorePlan | undefined) => Promise<Attempt>,
): Promise<Attempt> {
  let error = failure;
  for (;;) {
    const delay = backoff.onFailure(Date.now());
    if (delay === undefined) {
      throw new JobError(`job "${jobName}" failed: ${(error as Error)?.message ?? String(error)}`, { code: "JOB_FAILED", cause: error });
    }
    log.warn({ err: error, restartInMs: delay }, "job failed; restarting");
    await sleep(delay);
    if (isCancelled()) throw new JobError(`job "${jobName}" was cancelled`, { code: "JOB_CANCELLED" });
    try {
      return await start(await latestPlan());
    } catch (e) {
      error = e;
    }
  }
}
