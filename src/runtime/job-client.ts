/** Where a job is in its life, as Flink's `JobStatus`. */
export type JobStatus = "CREATED" | "RUNNING" | "FINISHED" | "CANCELED" | "FAILED";

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
}

/** `execute` on a bounded job: it ran to the end. On an unbounded job: it is running. */
export type ExecuteResult =
  | ({ readonly kind: "finished" } & JobExecutionResult)
  | { readonly kind: "running"; readonly client: JobClient };
