import type { MessagePort } from "node:worker_threads";
import type { CheckpointBarrier, SnapshotKind } from "../checkpoint/barrier.js";
import type { CollectedRecord } from "../sink/collect-sink.js";
import type { SourceSplit } from "../source/source.js";
import type { OperatorSnapshot, TaskSnapshot } from "./operator-instance.js";

/** What a worker thread is started with. */
export interface WorkerSetup {
  /** URL of the module whose export builds the job. */
  readonly jobModule: string;
  readonly exportName: string;
  readonly workerIndex: number;
  readonly workers: number;
  readonly jobName: string;
  /** This run of the job (differs after each restart). */
  readonly attempt: string;
  /** Periodic checkpoints are on. */
  readonly checkpointing: boolean;
  /** The job can take checkpoints or savepoints (streaming mode): subtasks acknowledge barriers. */
  readonly acknowledges: boolean;
}

/** A restored job's state for the subtasks of one worker: `[node id, subtask, data]`. */
export interface WorkerRestore {
  readonly splits: Array<[number, number, SourceSplit[]]>;
  readonly operators: Array<[number, number, OperatorSnapshot[]]>;
}

/** Main thread -> worker. */
export type ToWorker =
  | { kind: "ports"; ports: Array<MessagePort | undefined>; restore: WorkerRestore | undefined }
  | { kind: "start" }
  | { kind: "cancel" }
  | { kind: "fail"; message: string }
  | { kind: "barrier"; barrier: CheckpointBarrier; stop: boolean }
  | { kind: "notify"; seq: number; checkpointId: number; outcome: SnapshotKind | "aborted" }
  | { kind: "final-checkpoint"; ok: boolean };

/** Worker -> main thread. */
export type FromWorker =
  | { kind: "ready"; graph: string; taskCount: number; sources: number }
  | { kind: "ack"; barrier: CheckpointBarrier; snapshot: TaskSnapshot }
  | { kind: "ack-failed"; barrier: CheckpointBarrier; message: string }
  | { kind: "final-checkpoint" }
  | { kind: "notified"; seq: number; error?: string }
  | { kind: "finished"; collected: Array<{ nodeId: number; records: Array<CollectedRecord<unknown>> }> }
  | { kind: "cancelled" }
  | { kind: "failed"; message: string; stack?: string };

/** A job module's export: builds the job on the environment it is given. */
export type JobBuilder = (env: import("../environment.js").StreamExecutionEnvironment) => void | Promise<void>;
