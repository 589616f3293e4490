/** Whether a snapshot is a periodic checkpoint (retained by count) or a savepoint (kept until deleted, self-contained). */
export type SnapshotKind = "checkpoint" | "savepoint";

/**
 * A checkpoint barrier, after Flink's `CheckpointBarrier`: sources put it into their output
 * between two records; every record before it is in the checkpoint, every record after it is not.
 * It travels in order with records on every channel.
 */
export interface CheckpointBarrier {
  readonly id: number;
  /** Wall time when the coordinator triggered it (ms). */
  readonly timestamp: number;
  readonly kind: SnapshotKind;
}
