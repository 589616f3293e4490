import type { Executor, StreamExecutionEnvironment } from "../environment.js";
import type { JobNode } from "../graph/job-graph.js";
import type { JobClient } from "../job-client.js";
import type { SubtaskMetrics } from "../metrics/job-metrics.js";
import { runJob, type RunningAttempt } from "./job-runner.js";
import type { OperatorSnapshot } from "./operator-instance.js";
import { assignSplits } from "./split-assignment.js";
import { TaskGraph } from "./task-graph.js";

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

  execute(env: StreamExecutionEnvironment, jobName: string, nodes: JobNode[], batch: boolean): Promise<JobClient> {
    return runJob(env, jobName, nodes, batch, async ({ from, attempt, checkpointing, checkpoints, log }) => {
      const graph = new MeasuredTaskGraph(nodes, { batch, stateBackend: env.getStateBackend(), log, attempt, checkpointing, checkpoints });
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
      return graph;
    });
  }
}

/** A task graph whose subtasks' metrics this thread can read. */
class MeasuredTaskGraph extends TaskGraph implements RunningAttempt {
  metrics(): SubtaskMetrics[] {
    const out: SubtaskMetrics[] = [];
    for (const node of this.nodes) {
      for (let s = 0; s < node.parallelism; s++) {
        const inst = this.instance(node.id, s);
        if (inst !== undefined) out.push(inst.metrics());
      }
    }
    return out;
  }
}
