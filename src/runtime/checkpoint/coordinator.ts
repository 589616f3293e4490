import { JobError } from "../../errors.js";
import type { JobNode } from "../graph/job-graph.js";
import type { Logger } from "../logger.js";
import type { TaskSnapshot } from "../executor/operator-instance.js";
import type { CheckpointStatsTracker } from "../metrics/job-metrics.js";
import type { CheckpointBarrier, SnapshotKind } from "./barrier.js";
import type { CheckpointStorage, CompletedSnapshot, StoredSnapshot } from "./storage.js";

/** What the coordinator needs of the running tasks. */
export interface CheckpointTasks {
  /** Puts the barrier into every source subtask's output (at its next turn); `stop`: sources read nothing after it. */
  injectBarrier(barrier: CheckpointBarrier, stop: boolean): void;
  /** Every subtask stored checkpoint `id`: commit (sinks), commit offsets (sources). */
  notifyComplete(id: number, kind: SnapshotKind): Promise<void>;
  notifyAborted(id: number): Promise<void>;
}

/** Settings of periodic checkpoints. */
export interface CheckpointSettings {
  /** Time between checkpoints (ms); 0: only on request. */
  readonly intervalMs: number;
  /** A checkpoint not complete after this long is aborted (ms). */
  readonly timeoutMs: number;
  /** Least time between the end of one checkpoint and the start of the next (ms). */
  readonly minPauseMs: number;
  /** Complete checkpoints kept. */
  readonly retained: number;
  /** Consecutive failed checkpoints tolerated before the job fails (Flink's tolerable-failed-checkpoints). */
  readonly tolerableFailures: number;
}

interface Pending {
  readonly barrier: CheckpointBarrier;
  readonly stop: boolean;
  readonly savepointDir: string | undefined;
  readonly snapshots: TaskSnapshot[];
  acked: number;
  settled: boolean;
  timer: NodeJS.Timeout | undefined;
  resolve(s: StoredSnapshot): void;
  reject(e: unknown): void;
}

/**
 * Triggers checkpoints and savepoints and completes them, as Flink's `CheckpointCoordinator`: a
 * barrier goes into every source; each subtask acknowledges with its snapshot once the barrier
 * has passed it; when all have, the snapshot is stored, and only then are the tasks told it is
 * complete (transactional sinks commit). One checkpoint is in flight at a time; a request while
 * one is running waits for it.
 */
export class CheckpointCoordinator {
  private nextId: number;
  private pending: Pending | undefined;
  private queue: Array<() => void> = [];
  private periodic: NodeJS.Timeout | undefined;
  private stopped = false;
  private consecutiveFailures = 0;
  private lastTrigger = 0;

  constructor(
    private readonly jobName: string,
    private readonly nodes: readonly JobNode[],
    private readonly tasks: CheckpointTasks,
    private readonly taskCount: number,
    private readonly storage: CheckpointStorage,
    private readonly settings: CheckpointSettings,
    private readonly log: Logger,
    /** Called when checkpoints fail more often than tolerated: the job should fail over. */
    private readonly onFatal: (e: unknown) => void,
    lastId: number,
    /** Told of every stored snapshot (the executor restores the newest after a failure). */
    private readonly onStored: (s: StoredSnapshot) => void = () => {},
    /** Told of every trigger and outcome (the job's checkpoint statistics, across attempts). */
    private readonly stats?: CheckpointStatsTracker,
  ) {
    this.nextId = lastId + 1;
  }

  /** Starts periodic checkpoints. */
  start(): void {
    this.schedule(this.settings.intervalMs);
  }

  private schedule(delay: number): void {
    if (this.stopped || this.settings.intervalMs <= 0) return;
    if (this.periodic !== undefined) clearTimeout(this.periodic);
    this.periodic = setTimeout(() => {
      this.periodic = undefined;
      if (this.pending !== undefined) return; // the one running re-schedules when it ends
      this.trigger("checkpoint").catch(() => {});
    }, delay);
    this.periodic.unref?.();
  }

  /** Triggers a checkpoint or savepoint (after the one in flight, if any); resolves when it is stored. */
  trigger(kind: SnapshotKind, options: { savepointDir?: string; stop?: boolean } = {}): Promise<StoredSnapshot> {
    if (this.stopped) return Promise.reject(new JobError("the job is not running; no checkpoint can be taken", { code: "CHECKPOINT_NOT_RUNNING" }));
    if (this.pending !== undefined) {
      return new Promise<void>((resolve) => this.queue.push(resolve)).then(() => this.trigger(kind, options));
    }
    const barrier: CheckpointBarrier = { id: this.nextId++, timestamp: Date.now(), kind };
    this.lastTrigger = barrier.timestamp;
    return new Promise<StoredSnapshot>((resolve, reject) => {
      const p: Pending = { barrier, stop: options.stop ?? false, savepointDir: options.savepointDir, snapshots: [], acked: 0, settled: false, timer: undefined, resolve, reject };
      this.pending = p;
      p.timer = setTimeout(() => this.abort(p, new JobError(`checkpoint ${barrier.id} expired after ${this.settings.timeoutMs} ms before every subtask acknowledged it`, { code: "CHECKPOINT_TIMEOUT" })), this.settings.timeoutMs);
      p.timer.unref?.();
      this.stats?.onTriggered(barrier.id);
      this.log.debug({ checkpointId: barrier.id, kind }, "checkpoint triggered");
      this.tasks.injectBarrier(barrier, p.stop);
    });
  }

  /** A subtask's part of checkpoint `barrier.id`. */
  acknowledge(barrier: CheckpointBarrier, snapshot: Promise<TaskSnapshot>): void {
    const p = this.pending;
    if (p === undefined || p.barrier.id !== barrier.id) {
      snapshot.catch(() => {});
      return;
    }
    snapshot.then(
      (s) => {
        if (p.settled) return;
        this.log.trace({ checkpointId: barrier.id, operatorId: s.operatorId, subtask: s.subtaskIndex, afterMs: Date.now() - barrier.timestamp }, "checkpoint acknowledged");
        p.snapshots.push(s);
        if (++p.acked === this.taskCount) void this.complete(p);
      },
      (e) => this.abort(p, new JobError(`checkpoint ${barrier.id}: a subtask failed to snapshot: ${(e as Error)?.message ?? e}`, { code: "CHECKPOINT_DECLINED", cause: e })),
    );
  }

  private async complete(p: Pending): Promise<void> {
    const started = p.barrier.timestamp;
    let stored: StoredSnapshot;
    try {
      stored = await this.storage.write(this.assemble(p), { savepointDir: p.savepointDir });
    } catch (e) {
      this.abort(p, new JobError(`checkpoint ${p.barrier.id} could not be stored: ${(e as Error).message}`, { code: "CHECKPOINT_STORAGE", cause: e }));
      return;
    }
    if (p.settled) return;
    this.settle(p);
    this.consecutiveFailures = 0;
    this.onStored(stored);
    const completedAt = Date.now();
    this.stats?.onCompleted({ checkpointId: stored.checkpointId, kind: stored.kind, durationMs: completedAt - started, sizeBytes: stored.size, bytesWritten: stored.bytesWritten, completedAt });
    this.log.info({ checkpointId: stored.checkpointId, kind: stored.kind, durationMs: completedAt - started, bytes: stored.bytesWritten, location: stored.location }, `${stored.kind} complete`);
    try {
      await this.tasks.notifyComplete(p.barrier.id, p.barrier.kind);
      if (p.barrier.kind === "checkpoint") await this.storage.prune(this.settings.retained);
    } catch (e) {
      p.resolve(stored);
      this.onFatal(e);
      this.next();
      return;
    }
    p.resolve(stored);
    this.next();
  }

  private assemble(p: Pending): CompletedSnapshot {
    const byOperator = new Map<string, TaskSnapshot[]>();
    for (const s of p.snapshots) {
      let list = byOperator.get(s.operatorId);
      if (list === undefined) byOperator.set(s.operatorId, (list = []));
      list.push(s);
    }
    return {
      jobName: this.jobName,
      checkpointId: p.barrier.id,
      kind: p.barrier.kind,
      timestamp: p.barrier.timestamp,
      operators: this.nodes.map((n) => ({
        operatorId: n.operatorId,
        name: n.name,
        kind: n.t.kind === "source" ? ("source" as const) : ("operator" as const),
        parallelism: n.parallelism,
        maxParallelism: n.maxParallelism,
        subtasks: (byOperator.get(n.operatorId) ?? []).sort((a, b) => a.subtaskIndex - b.subtaskIndex),
      })),
    };
  }

  private abort(p: Pending, error: JobError): void {
    if (p.settled) return;
    this.settle(p);
    this.storage.resetIncremental();
    this.stats?.onFailed(p.barrier.id, p.barrier.kind, error.message);
    this.log.warn({ checkpointId: p.barrier.id, err: error }, "checkpoint aborted");
    this.tasks.notifyAborted(p.barrier.id).catch((e) => this.onFatal(e));
    p.reject(error);
    if (p.barrier.kind === "checkpoint" && ++this.consecutiveFailures > this.settings.tolerableFailures) {
      this.onFatal(new JobError(`${this.consecutiveFailures} checkpoints in a row failed (tolerated: ${this.settings.tolerableFailures}); last: ${error.message}`, { code: "CHECKPOINT_FAILED", cause: error }));
    }
    this.next();
  }

  private settle(p: Pending): void {
    p.settled = true;
    if (p.timer !== undefined) clearTimeout(p.timer);
    if (this.pending === p) this.pending = undefined;
  }

  private next(): void {
    const waiting = this.queue.shift();
    if (waiting !== undefined) {
      waiting();
      return;
    }
    // as Flink: the interval runs from one trigger to the next, with at least minPause after the end of the previous one
    const sinceTrigger = Date.now() - this.lastTrigger;
    this.schedule(Math.max(this.settings.minPauseMs, this.settings.intervalMs - sinceTrigger));
  }

  /** Stops triggering; a checkpoint in flight is aborted. */
  stop(): void {
    this.stopped = true;
    if (this.periodic !== undefined) clearTimeout(this.periodic);
    const p = this.pending;
    if (p !== undefined && !p.settled) {
      this.settle(p);
      this.stats?.onAbandoned(p.barrier.id);
      p.reject(new JobError(`checkpoint ${p.barrier.id} was abandoned: the job stopped`, { code: "CHECKPOINT_ABANDONED" }));
    }
    for (const w of this.queue.splice(0)) w();
  }

  /** The id of the last checkpoint triggered (ids are never reused, even across restarts). */
  get lastTriggeredId(): number {
    return this.nextId - 1;
  }

  get inFlight(): boolean {
    return this.pending !== undefined;
  }
}
