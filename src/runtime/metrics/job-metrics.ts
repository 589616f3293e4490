import type { SnapshotKind } from "../checkpoint/barrier.js";
import type { JobStatus } from "../job-client.js";
import type { MetricValue } from "./metric-group.js";

/**
 * What one operator subtask reports, read when asked (Flink's task metrics). Watermarks are ms of
 * event time: `-Infinity` before the first watermark, `+Infinity` once the input has ended.
 */
export interface SubtaskMetrics {
  /** The operator's stable id (its uid when set). */
  readonly operatorId: string;
  readonly name: string;
  readonly subtaskIndex: number;
  readonly kind: "source" | "operator" | "sink";
  /** The combined watermark of the subtask's inputs (Flink's `currentInputWatermark`); absent on sources. */
  readonly currentInputWatermark?: number;
  /** The last watermark it emitted (Flink's `currentOutputWatermark`). */
  readonly currentOutputWatermark: number;
  /** Every input (for a source: every split) is idle, so its watermark holds nothing back. */
  readonly idle: boolean;
  /** Keyed state held by the subtask: entries of (state, key, namespace); absent when not keyed. */
  readonly state?: { readonly backend: string; readonly entries: number };
  /**
   * Total ms a source subtask spent waiting for its downstream after a batch (a sink's pending
   * flush, a full channel to another thread) since the job started, restarts included. 0 for
   * other subtasks, which never wait: records reach them by synchronous calls.
   */
  readonly backPressuredTimeMs: number;
  /** What the operator registered through its metric group. */
  readonly metrics: readonly MetricValue[];
}

/** One completed checkpoint or savepoint. */
export interface CompletedCheckpointStats {
  readonly checkpointId: number;
  readonly kind: SnapshotKind;
  /** From trigger to stored (ms). */
  readonly durationMs: number;
  /** Bytes of the whole snapshot, reused parts of incremental checkpoints included. */
  readonly sizeBytes: number;
  /** Bytes written for this snapshot. */
  readonly bytesWritten: number;
  /** Wall-clock ms when it was stored. */
  readonly completedAt: number;
}

/** Checkpoints and savepoints of a job since it started, restarts included (Flink's checkpoint statistics). */
export interface CheckpointStatistics {
  readonly triggered: number;
  readonly completed: number;
  /** Aborted: timed out, declined by a subtask, or not stored. A checkpoint abandoned because the job stopped or failed is not counted. */
  readonly failed: number;
  readonly inProgress: boolean;
  readonly lastCompleted: CompletedCheckpointStats | undefined;
  readonly lastFailure: { readonly checkpointId: number; readonly kind: SnapshotKind; readonly at: number; readonly message: string } | undefined;
  /** The most recent completed ones (up to 100), oldest first: a scraper turns them into a histogram by id. */
  readonly recent: readonly CompletedCheckpointStats[];
}

/** A reading of a job's metrics (`JobClient.getMetrics()`). */
export interface JobMetrics {
  readonly jobId: string;
  readonly jobName: string;
  readonly status: JobStatus;
  /** Wall-clock ms of this reading. */
  readonly takenAt: number;
  /** Restarts after failures so far. */
  readonly restarts: number;
  /**
   * Whether `subtasks` covers every subtask. The worker-thread executor reports only what the
   * main thread knows (checkpoints, restarts): its subtasks live in other threads, and `subtasks` is empty.
   */
  readonly subtasksReported: boolean;
  readonly subtasks: readonly SubtaskMetrics[];
  readonly checkpoints: CheckpointStatistics;
}

const RECENT = 100;

/** Collects the checkpoint statistics of a job across its attempts; the coordinator reports to it. */
export class CheckpointStatsTracker {
  private triggered = 0;
  private completed = 0;
  private failed = 0;
  private pending: number | undefined;
  private lastFailure: CheckpointStatistics["lastFailure"];
  private readonly recent: CompletedCheckpointStats[] = [];

  onTriggered(id: number): void {
    this.triggered++;
    this.pending = id;
  }

  onCompleted(stats: CompletedCheckpointStats): void {
    this.completed++;
    if (this.pending === stats.checkpointId) this.pending = undefined;
    this.recent.push(stats);
    if (this.recent.length > RECENT) this.recent.shift();
  }

  onFailed(id: number, kind: SnapshotKind, message: string): void {
    this.failed++;
    if (this.pending === id) this.pending = undefined;
    this.lastFailure = { checkpointId: id, kind, at: Date.now(), message };
  }

  /** Given up because the job stopped: not a failure of the checkpoint. */
  onAbandoned(id: number): void {
    if (this.pending === id) this.pending = undefined;
  }

  snapshot(): CheckpointStatistics {
    return {
      triggered: this.triggered,
      completed: this.completed,
      failed: this.failed,
      inProgress: this.pending !== undefined,
      lastCompleted: this.recent.at(-1),
      lastFailure: this.lastFailure,
      recent: [...this.recent],
    };
  }
}
