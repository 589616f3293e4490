import { randomBytes, randomUUID } from "node:crypto";
import * as path from "node:path";
import { JobError } from "../../errors.js";
import { CheckpointCoordinator } from "../checkpoint/coordinator.js";
import { LocalCheckpointStorage } from "../checkpoint/local-storage.js";
import { RestartBackoff } from "../checkpoint/restart-strategy.js";
import { planRestore, type RestorePlan } from "../checkpoint/restore.js";
import type { CheckpointStorage, StoredSnapshot } from "../checkpoint/storage.js";
import type { Executor, StreamExecutionEnvironment } from "../environment.js";
import type { JobNode } from "../graph/job-graph.js";
import type { JobClient, JobExecutionResult, JobStatus } from "../job-client.js";
import type { Logger } from "../logger.js";
import type { OperatorSnapshot } from "./operator-instance.js";
import { assignSplits } from "./split-assignment.js";
import { TaskGraph } from "./task-graph.js";

interface Attempt {
  readonly graph: TaskGraph;
  readonly coordinator: CheckpointCoordinator | undefined;
}

/**
 * Runs every subtask of a job in this thread, on one event loop (Flink's MiniCluster, minus the
 * threads): records go from operator to operator by direct calls, so a job at parallelism 4 gives
 * the results of four subtasks without any cross-thread cost. Use the worker-thread executor to
 * use more cores.
 *
 * In streaming mode it also runs the checkpoint coordinator, and on a failure restarts the whole
 * job (every subtask: Flink's full restart) from the latest completed checkpoint or savepoint, as
 * the restart strategy allows.
 */
export class LocalExecutor implements Executor {
  constructor(private readonly options: { restore?: (node: JobNode, subtask: number) => OperatorSnapshot[] | undefined } = {}) {}

  async execute(env: StreamExecutionEnvironment, jobName: string, nodes: JobNode[], batch: boolean): Promise<JobClient> {
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

    const start = async (from: RestorePlan | undefined): Promise<Attempt> => {
      let coordinator: CheckpointCoordinator | undefined;
      const graph: TaskGraph = new TaskGraph(nodes, {
        batch,
        stateBackend: env.getStateBackend(),
        log,
        attempt: randomBytes(4).toString("hex"),
        checkpointing,
        checkpoints:
          storage === undefined
            ? undefined
            : {
                acknowledge: (b, s) => coordinator!.acknowledge(b, s),
                finalCheckpoint: () => coordinator!.trigger("checkpoint"),
              },
      });
      const splits = await assignSplits(nodes);
      try {
        await graph.open(
          (node, s) => from?.splits(node, s) ?? splits.get(node.id)![s],
          from !== undefined ? (node, s) => from.operators(node, s) : this.options.restore,
        );
      } catch (e) {
        await graph.close().catch(() => {});
        throw e;
      }
      if (storage !== undefined) {
        coordinator = new CheckpointCoordinator(
          jobName,
          nodes,
          {
            injectBarrier: (b, stop) => graph.injectBarrier(b, stop),
            notifyComplete: (id, kind) => graph.notifyCheckpointComplete(id, kind),
            notifyAborted: (id) => graph.notifyCheckpointAborted(id),
          },
          graph.taskCount,
          storage,
          config ?? { intervalMs: 0, timeoutMs: 600_000, minPauseMs: 0, retained: 3, tolerableFailures: 0 },
          log,
          (e) => graph.fail(e),
          lastId,
          (stored) => {
            latest = stored;
            history.push(stored);
            if (history.length > 100) history.shift(); // a long-running job: the recent ones
            lastId = Math.max(lastId, stored.checkpointId);
          },
        );
        if (checkpointing) coordinator.start();
      }
      return { graph, coordinator };
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

    const run = async (): Promise<JobExecutionResult> => {
      for (;;) {
        const attempt = current!;
        try {
          await attempt.graph.run();
        } catch (e) {
          attempt.coordinator?.stop();
          if (attempt.coordinator !== undefined) lastId = Math.max(lastId, attempt.coordinator.lastTriggeredId);
          await attempt.graph.close().catch(() => {});
          if (cancelled) throw new JobError(`job "${jobName}" was cancelled`, { code: "JOB_CANCELLED" });
          current = await this.restart(e, backoff, log, jobName, (ms) => {
            status = "RESTARTING";
            return new Promise<void>((resolve) => {
              const t = setTimeout(resolve, ms);
              wakeRestart = () => {
                clearTimeout(t);
                resolve();
              };
            });
          }, () => cancelled, async () => {
            // the newest complete snapshot of any attempt so far; else where the job first started
            if (latest === undefined) return plan;
            const snapshot = await storage!.load(latest.location);
            return planRestore(snapshot, nodes, true, latest.location);
          }, start);
          status = "RUNNING";
          continue;
        }
        attempt.coordinator?.stop();
        await attempt.graph.close();
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
        current?.graph.cancel();
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
        current?.graph.cancel();
        await result.catch(() => {});
        return stored.location;
      },
      getCheckpoints: () => [...history],
    };
  }

  /** After a failure: wait as the restart strategy says, then start again from the latest snapshot (retrying failed starts). */
  private async restart(
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
}
