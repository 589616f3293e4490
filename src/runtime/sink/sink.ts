import type { Logger } from "../logger.js";

/** What a sink writer knows of its subtask. */
export interface SinkWriterContext {
  readonly subtaskIndex: number;
  readonly parallelism: number;
  readonly log: Logger;
  /**
   * When the job was restored from a checkpoint or savepoint: what the writers returned from
   * `snapshotState` there, for the old subtasks this one takes over (old subtask j goes to new
   * subtask j mod parallelism, so nothing is dropped when the parallelism shrinks). Empty on a
   * fresh start. A two-phase-commit writer commits the transactions it finds pending here.
   */
  readonly restoredState: readonly unknown[];
  /** An id for this run of the job that differs after every restart (to name temporary files). */
  readonly attempt: string;
  /**
   * The job takes checkpoints: an exactly-once writer commits only on `notifyCheckpointComplete`.
   * Without checkpoints it commits what it has at the end of the input (and, for an unbounded
   * job, on each flush), which is at-least-once.
   */
  readonly checkpointing: boolean;
}

/**
 * Writes one sink subtask's records. `write` is synchronous (buffer, do not block); I/O happens in
 * `flush`, which the runtime calls after each batch and at the end of the input. While a returned
 * promise is pending, sources stop reading: that is the sink's backpressure.
 *
 * Exactly-once writers also implement the checkpoint hooks, after Flink's two-phase commit:
 * `snapshotState` runs when the checkpoint barrier reaches the sink (pre-commit: seal what was
 * written since the last barrier into a pending transaction and return it as state), and
 * `notifyCheckpointComplete` once every subtask of the job has stored that checkpoint (commit).
 */
export interface SinkWriter<T> {
  write(value: T, timestamp: number): void;
  flush?(endOfInput: boolean): void | Promise<void>;
  /**
   * At a checkpoint barrier. The call itself must decide synchronously which records belong to
   * this checkpoint (every record written before the call, none after); the returned promise may
   * then do the I/O (flush, fsync) and resolves to the writer's state (plain, structured-cloneable
   * data), which the checkpoint stores and a restore hands back as `restoredState`.
   */
  snapshotState?(checkpointId: number): unknown | Promise<unknown>;
  /** Every subtask has stored checkpoint `checkpointId`: commit what was pending up to it. */
  notifyCheckpointComplete?(checkpointId: number): void | Promise<void>;
  /** Checkpoint `checkpointId` will not complete (a subtask failed or it timed out). */
  notifyCheckpointAborted?(checkpointId: number): void | Promise<void>;
  close?(): void | Promise<void>;
}

/** A sink, after Flink's `Sink`: a writer per subtask. */
export interface Sink<T> {
  createWriter(ctx: SinkWriterContext): SinkWriter<T> | Promise<SinkWriter<T>>;
}
