import type { StoredSnapshot } from "./checkpoint/storage.js";
import type { JobMetrics } from "./metrics/job-metrics.js";

/** Where a job is in its life, as Flink's `JobStatus`. */
export type JobStatus = "CREATED" | "RUNNING" | "RESTARTING" | "FINISHED" | "CANCELED" | "FAILED";

/** What a finished job reports. */
export interface JobExecutionResult {
  readonly jobId: string;
  readonly jobName: string;
  /** Wall time from start to end (ms). */
  readonly netRuntimeMs: number;
}

/** A handle on a running job, as Flink's `JobClient`. */
export interface JobClient {
  readonly jobId: string;
  readonly jobName: string;
  getJobStatus(): JobStatus;
  /** Stops the sources, closes every operator without flushing windows, and resolves once stopped. */
  cancel(): Promise<void>;
  /** Resolves when the job finishes; rejects if it fails or is cancelled. */
  getJobExecutionResult(): Promise<JobExecutionResult>;
  /** Takes a checkpoint now (needs checkpointing enabled); resolves when it is stored. */
  triggerCheckpoint(): Promise<StoredSnapshot>;
  /** Takes a savepoint into `directory` (default: `savepoints/` under the checkpoint directory); resolves to its path. */
  triggerSavepoint(directory?: string): Promise<string>;
  /** Takes a savepoint after which the sources read nothing more, then stops the job (FINISHED); resolves to its path. */
  stopWithSavepoint(directory?: string): Promise<string>;
  /** The last 100 completed checkpoints and savepoints of this run, oldest first. */
  getCheckpoints(): readonly StoredSnapshot[];
  /**
   * The job's metrics now (Flink's metrics, pulled): per subtask its watermarks, keyed-state
   * entries, backpressured time and the gauges and counters its operator registered; and the
   * checkpoint statistics. Cheap: it reads what the runtime tracks anyway. With the worker-thread
   * executor only the checkpoint statistics and restarts are reported (`subtasksReported` false).
   */
  getMetrics(): JobMetrics;
}

/** `execute` on a bounded job: it ran to the end. On an unbounded job: it is running. */
export type ExecuteResult =
  | ({ readonly kind: "finished" } & JobExecutionResult)
  | { readonly kind: "running"; readonly client: JobClient };
