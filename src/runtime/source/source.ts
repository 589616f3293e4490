import type { Logger } from "../logger.js";

/** Whether a source ends (files, collections) or runs until cancelled (Kafka, NATS, watched folders). */
export type Boundedness = "bounded" | "continuous";

/**
 * A unit of a source that one reader reads in order (a file, a Kafka partition, a JetStream
 * consumer), with its position. Splits must be plain data (structured-cloneable): checkpoints
 * store them, and a restored reader resumes from the position they hold.
 */
export interface SourceSplit {
  readonly splitId: string;
}

/** What a reader knows of its subtask. */
export interface SourceReaderContext {
  readonly subtaskIndex: number;
  readonly parallelism: number;
  readonly log: Logger;
}

/** How a `pollNext` ended: more is ready now; nothing now (await `available`); or the input ended. */
export type InputStatus = "more" | "waiting" | "end";

/** Where a reader puts records; each record names its split, so watermarks are generated per split. */
export interface ReaderOutput<T> {
  /** Emits a record of `splitId`; `timestamp` is the source's own time for it (e.g. a Kafka timestamp), if any. */
  collect(value: T, splitId: string, timestamp?: number): void;
  /** The split has no more records: it stops holding the watermark back. */
  splitFinished(splitId: string): void;
}

/**
 * Reads the splits assigned to one source subtask, after Flink's FLIP-27 `SourceReader`. The
 * runtime calls `pollNext` in a loop; each call emits a batch (whatever is at hand, a few thousand
 * records at most) and must not block on I/O: when nothing is ready it returns "waiting" and the
 * runtime awaits `available()`.
 */
export interface SourceReader<T, S extends SourceSplit = SourceSplit> {
  /** Splits for this reader: at start, or restored from a checkpoint with their positions. */
  addSplits(splits: S[]): void | Promise<void>;
  pollNext(output: ReaderOutput<T>): InputStatus | Promise<InputStatus>;
  /** Resolves when `pollNext` may have something (after it returned "waiting"). */
  available?(): Promise<void>;
  /** The current position of every split this reader owns (for checkpoints). */
  snapshotState(checkpointId: number): S[];
  /** A checkpoint that included this reader's positions is complete (commit offsets, ack messages). */
  notifyCheckpointComplete?(checkpointId: number): void | Promise<void>;
  close?(): void | Promise<void>;
}

/**
 * A source of records, after Flink's FLIP-27 `Source`: it lists its splits, which the runtime
 * assigns round-robin to the source's subtasks (split i to subtask i mod parallelism), and creates a
 * reader per subtask.
 */
export interface Source<T, S extends SourceSplit = SourceSplit> {
  readonly boundedness: Boundedness;
  /** The splits to read. A non-parallel source (`maxParallelism` 1) returns them for subtask 0. */
  createSplits(ctx: { parallelism: number }): S[] | Promise<S[]>;
  createReader(ctx: SourceReaderContext): SourceReader<T, S>;
  /** The largest parallelism the source supports (1 for collections); unlimited when absent. */
  readonly maxParallelism?: number;
}
