import type { SnapshotKind } from "./barrier.js";
import type { TaskSnapshot } from "../executor/operator-instance.js";

/** One operator of the job as a snapshot records it. */
export interface SnapshotOperator {
  readonly operatorId: string;
  readonly name: string;
  readonly kind: "source" | "operator";
  readonly parallelism: number;
  readonly maxParallelism: number;
  /** One per subtask, in subtask order. */
  readonly subtasks: readonly TaskSnapshot[];
}

/** Everything a completed checkpoint or savepoint holds, as the coordinator hands it to storage. */
export interface CompletedSnapshot {
  readonly jobName: string;
  readonly checkpointId: number;
  readonly kind: SnapshotKind;
  /** Wall time when it was triggered (ms). */
  readonly timestamp: number;
  readonly operators: readonly SnapshotOperator[];
}

/** Where a stored snapshot is, and what it cost. */
export interface StoredSnapshot {
  readonly checkpointId: number;
  readonly kind: SnapshotKind;
  /** A path (local storage) or another URI the same storage can `load`. */
  readonly location: string;
  /** Bytes written for this snapshot (not counting key groups reused from earlier checkpoints). */
  readonly bytesWritten: number;
  /** Bytes of the whole snapshot, reused parts included. */
  readonly size: number;
}

/**
 * Where checkpoints and savepoints are kept. A store must make a snapshot visible atomically (a
 * crash while writing leaves the previous ones intact and this one absent), list the latest
 * complete checkpoint, and drop old checkpoints (never savepoints). The local directory store is
 * the default; a shared store (an object store, a mounted volume) implements the same calls.
 */
export interface CheckpointStorage {
  /** Cleans what a crash left half-written; returns the highest checkpoint id present (0 if none). */
  init(): Promise<number>;
  /** Stores a snapshot. Savepoints go to `savepointDir` if given, and are self-contained. */
  write(snapshot: CompletedSnapshot, options?: { savepointDir?: string }): Promise<StoredSnapshot>;
  /** Reads a snapshot back (any location this store wrote, or a savepoint directory). */
  load(location: string): Promise<CompletedSnapshot>;
  /** The newest complete checkpoint, if any. */
  latest(): Promise<string | undefined>;
  /** Keeps the `retain` newest checkpoints and deletes the rest (with files no kept checkpoint uses). */
  prune(retain: number): Promise<void>;
  /** The next checkpoint will be full: forget the files an incremental one could reuse. */
  resetIncremental(): void;
}
