import { randomUUID } from "node:crypto";
import { JobError } from "../../errors.js";
import type { Executor, StreamExecutionEnvironment } from "../environment.js";
import type { JobNode } from "../graph/job-graph.js";
import type { JobClient, JobExecutionResult, JobStatus } from "../job-client.js";
import type { OperatorSnapshot } from "./operator-instance.js";
import { assignSplits } from "./split-assignment.js";
import { TaskGraph } from "./task-graph.js";

/**
 * Runs every subtask of a job in this thread, on one event loop (Flink's MiniCluster, minus the
 * threads): records go from operator to operator by direct calls, so a job at parallelism 4 gives
 * the results of four subtasks without any cross-thread cost. Use the worker-thread executor to
 * use more cores.
 */
export class LocalExecutor implements Executor {
  constructor(private readonly options: { restore?: (node: JobNode, subtask: number) => OperatorSnapshot[] | undefined } = {}) {}

  async execute(env: StreamExecutionEnvironment, jobName: string, nodes: JobNode[], batch: boolean): Promise<JobClient> {
    const jobId = randomUUID();
    const log = env.getLogger().child({ jobId, job: jobName });
    const graph = new TaskGraph(nodes, { batch, stateBackend: env.getStateBackend(), log });
    const splits = await assignSplits(nodes);
    let status: JobStatus = "CREATED";
    try {
      await graph.open((node, s) => splits.get(node.id)![s], this.options.restore);
    } catch (e) {
      await graph.close().catch(() => {});
      throw new JobError(`job "${jobName}" could not start: ${(e as Error).message}`, { code: "JOB_START_FAILED", cause: e });
    }
    const start = performance.now();
    status = "RUNNING";
    log.info({ batch, operators: nodes.length }, "job running");
    let cancelled = false;
    const result: Promise<JobExecutionResult> = graph.run().then(
      async () => {
        await graph.close();
        if (cancelled) {
          status = "CANCELED";
          throw new JobError(`job "${jobName}" was cancelled`, { code: "JOB_CANCELLED" });
        }
        status = "FINISHED";
        log.info("job finished");
        return { jobId, jobName, netRuntimeMs: performance.now() - start };
      },
      async (e) => {
        status = "FAILED";
        await graph.close().catch(() => {});
        log.error({ err: e }, "job failed");
        throw new JobError(`job "${jobName}" failed: ${(e as Error)?.message ?? String(e)}`, { code: "JOB_FAILED", cause: e });
      },
    );
    result.catch(() => {});
    return {
      jobId,
      jobName,
      getJobStatus: () => status,
      cancel: async () => {
        if (status !== "RUNNING") return;
        cancelled = true;
        graph.cancel();
        await result.catch(() => {});
      },
      getJobExecutionResult: () => result,
    };
  }
}
