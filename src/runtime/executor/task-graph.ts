import { randomBytes } from "node:crypto";
import { JobError } from "../../errors.js";
import type { StateBackendFactory } from "../../state/api.js";
import type { JobEdge, JobNode } from "../graph/job-graph.js";
import type { Logger } from "../logger.js";
import { SinkOperator } from "../operators/sink-operator.js";
import type { SourceSplit } from "../source/source.js";
import type { ProcessingTimeService } from "../timers/timer-service.js";
import type { CheckpointBarrier, SnapshotKind } from "../checkpoint/barrier.js";
import type { ChannelTarget } from "./channel.js";
import { OperatorInstance, type InstanceEnv, type OperatorSnapshot, type TaskSnapshot } from "./operator-instance.js";
import { partitionWriter } from "./partition-writer.js";
import { SourceInstance } from "./source-instance.js";

/** How often expired state entries are swept in the background (ms). */
const TTL_SWEEP_INTERVAL_MS = 10_000;

/** Which subtasks run here, and how to reach the others. */
export interface Placement {
  isLocal(node: JobNode, subtask: number): boolean;
  /** A channel to a subtask in another thread. */
  remote(edge: JobEdge, fromSubtask: number, toSubtask: number): ChannelTarget;
  /** Sends what remote channels buffered; the promise (if any) is backpressure from the receivers. */
  flush?(): Promise<void> | undefined;
}

export const ALL_LOCAL: Placement = {
  isLocal: () => true,
  remote: () => {
    throw new JobError("unreachable: every subtask is local");
  },
};

export interface TaskGraphOptions {
  readonly batch: boolean;
  readonly stateBackend: StateBackendFactory;
  readonly log: Logger;
  /** A clock to use instead of wall time (the test harness's). */
  readonly clock?: ProcessingTimeService;
  /** The job takes checkpoints: acknowledgements go to `checkpoints`. */
  readonly checkpoints?: {
    acknowledge(barrier: CheckpointBarrier, snapshot: Promise<TaskSnapshot>): void;
    /** Takes the final checkpoint: every local source has ended its input and waits for it. */
    finalCheckpoint(): Promise<unknown>;
  };
  /** An id of this run of the job, different after each restart. */
  readonly attempt?: string;
  /** Periodic checkpoints are on (sinks commit on checkpoints; bounded sources wait for a final one). */
  readonly checkpointing?: boolean;
}

/**
 * The subtasks of a job that run in this thread, wired together: records cross edges as direct
 * calls (through a partitioner where the edge is not forward) or through remote channels to other
 * threads. Runs every local source loop, fires processing-time timers on wall time, and settles
 * when every local subtask has ended or one has failed.
 */
export class TaskGraph {
  readonly sources: SourceInstance[] = [];
  readonly operators: OperatorInstance[] = [];
  private readonly byNode = new Map<number, Array<SourceInstance | OperatorInstance | undefined>>();
  private readonly dirtySinks: Array<SinkOperator<unknown>> = [];
  private pending: Array<Promise<void>> = [];
  private remaining = 0;
  private settle!: { resolve: () => void; reject: (e: unknown) => void };
  private readonly done: Promise<void>;
  private failed: unknown;
  private wakeAt = Number.POSITIVE_INFINITY;
  private wakeTimer: NodeJS.Timeout | undefined;
  readonly clock: ProcessingTimeService;

  constructor(
    readonly nodes: readonly JobNode[],
    private readonly options: TaskGraphOptions,
    private readonly placement: Placement = ALL_LOCAL,
  ) {
    this.done = new Promise<void>((resolve, reject) => (this.settle = { resolve, reject }));
    this.done.catch(() => {});
    this.clock = options.clock ?? { now: () => Date.now(), scheduleWakeUp: (ts) => this.scheduleWakeUp(ts) };
    const env: InstanceEnv = {
      batch: options.batch,
      stateBackend: options.stateBackend,
      clock: this.clock,
      log: options.log,
      addPending: (w) => {
        this.pending.push(w);
        w.catch((e) => this.fail(e));
      },
      instanceFinished: () => {
        if (--this.remaining === 0) void this.finish();
      },
      checkpointing: options.checkpointing ?? false,
      attempt: options.attempt ?? randomBytes(4).toString("hex"),
      acknowledge: (_task, barrier, snapshot) => options.checkpoints?.acknowledge(barrier, snapshot),
      sourceAtEnd: () => {
        if (this.sources.every((s) => s.waitingForFinalCheckpoint)) this.takeFinalCheckpoint();
      },
    };
    for (const node of nodes) {
      const list: Array<SourceInstance | OperatorInstance | undefined> = [];
      for (let s = 0; s < node.parallelism; s++) {
        if (!placement.isLocal(node, s)) {
          list.push(undefined);
          continue;
        }
        let inst: SourceInstance | OperatorInstance;
        if (node.t.kind === "source") {
          inst = new SourceInstance(node, s, env);
          this.sources.push(inst);
        } else {
          inst = new OperatorInstance(node, s, env);
          if (node.t.kind === "sink") inst.setOperator(new SinkOperator(node.t.sink, (op) => this.dirtySinks.push(op)));
          this.operators.push(inst);
        }
        list.push(inst);
        this.remaining++;
      }
      this.byNode.set(node.id, list);
    }
    this.wire();
  }

  private wire(): void {
    for (const node of this.nodes) {
      const list = this.byNode.get(node.id)!;
      for (let s = 0; s < list.length; s++) {
        const inst = list[s];
        if (inst === undefined) continue;
        for (const edge of node.outputs) {
          const to = edge.to;
          const toList = this.byNode.get(to.id)!;
          const idx = to.inputs.indexOf(edge);
          const channel = (t: number): ChannelTarget => {
            const target = toList[t];
            return target instanceof OperatorInstance ? target.channelFor(idx, s) : this.placement.remote(edge, s, t);
          };
          const targets = edge.partitioner.kind === "forward" ? [channel(s)] : Array.from({ length: to.parallelism }, (_, t) => channel(t));
          inst.output.add(partitionWriter(edge.partitioner, targets, s, to.maxParallelism), edge.tag);
        }
      }
    }
  }

  /** Local instance of a node's subtask, if it runs here. */
  instance(nodeId: number, subtask: number): SourceInstance | OperatorInstance | undefined {
    return this.byNode.get(nodeId)?.[subtask];
  }

  /** Opens every local subtask: creates state, restores snapshots, opens operators and readers. */
  async open(
    splits: (node: JobNode, subtask: number) => SourceSplit[],
    restore?: (node: JobNode, subtask: number) => OperatorSnapshot[] | undefined,
  ): Promise<void> {
    await Promise.all(this.operators.map((op) => op.open(restore?.(op.node, op.subtaskIndex))));
    await Promise.all(this.sources.map((src) => src.open(splits(src.node, src.subtaskIndex))));
  }

  /**
   * Every source waits at the end of its input: take a checkpoint, and let the sources end once it
   * is complete (retrying while checkpoints fail, until the job fails over).
   */
  private takeFinalCheckpoint(): void {
    const checkpoints = this.options.checkpoints;
    if (checkpoints === undefined || this.failed !== undefined) return;
    checkpoints.finalCheckpoint().then(
      () => {
        for (const src of this.sources) src.finalCheckpointCompleted();
      },
      () => {
        if (this.failed === undefined) setTimeout(() => this.takeFinalCheckpoint(), 100).unref();
      },
    );
  }

  /** Number of local subtasks (each acknowledges every checkpoint). */
  get taskCount(): number {
    return this.sources.length + this.operators.length;
  }

  /** Puts a checkpoint barrier into every local source's output at its next turn. */
  injectBarrier(barrier: CheckpointBarrier, stop: boolean): void {
    for (const src of this.sources) src.triggerBarrier(barrier, stop);
    // subtasks that already ended (a bounded branch without periodic checkpoints) get no
    // barrier; they take part with what they hold now
    for (const op of this.operators) if (op.finished) this.options.checkpoints?.acknowledge(barrier, op.snapshotAt(barrier));
  }

  /** Checkpoint `id` is complete everywhere: operators (sinks commit) and sources learn it. */
  async notifyCheckpointComplete(id: number, kind: SnapshotKind): Promise<void> {
    const work: Array<Promise<void>> = [];
    for (const op of this.operators) {
      const r = op.notifyCheckpointComplete(id, kind);
      if (r !== undefined) work.push(r);
    }
    for (const src of this.sources) {
      const r = src.notifyCheckpointComplete(id);
      if (r !== undefined) work.push(r);
    }
    await Promise.all(work);
  }

  async notifyCheckpointAborted(id: number): Promise<void> {
    await Promise.all(this.operators.map((op) => op.notifyCheckpointAborted(id)));
  }

  /** Runs every local source until all local subtasks end; rejects with the first failure. */
  async run(): Promise<void> {
    if (this.remaining === 0) void this.finish();
    for (const src of this.sources) src.run(this.afterBatch).catch((e) => this.fail(e));
    // state TTL "in the background": a full sweep of expired entries now and then, besides the
    // incremental sweep that state access does
    const sweep = setInterval(() => {
      for (const op of this.operators) op.backend?.cleanupExpired?.().catch((e) => this.fail(e));
    }, TTL_SWEEP_INTERVAL_MS);
    sweep.unref();
    try {
      await this.done;
    } finally {
      clearInterval(sweep);
    }
  }

  private readonly afterBatch = (): Promise<void> | undefined => {
    const sinks = this.dirtySinks;
    for (let i = 0; i < sinks.length; i++) {
      const p = sinks[i].flushBatch();
      if (p !== undefined) this.pending.push(p);
    }
    sinks.length = 0;
    const remote = this.placement.flush?.();
    if (remote !== undefined) this.pending.push(remote);
    if (this.failed !== undefined) return Promise.reject(this.failed);
    if (this.pending.length === 0) return undefined;
    const waiting = this.pending;
    this.pending = [];
    return Promise.all(waiting).then(() => undefined);
  };

  private async finish(): Promise<void> {
    try {
      while (this.pending.length > 0) {
        const waiting = this.pending;
        this.pending = [];
        await Promise.all(waiting);
      }
      this.settle.resolve();
    } catch (e) {
      this.fail(e);
    }
  }

  /** Fails the graph: sources stop, `run` rejects. */
  fail(error: unknown): void {
    if (this.failed !== undefined) return;
    this.failed = error ?? new JobError("task failed");
    for (const src of this.sources) src.cancel();
    this.settle.reject(this.failed);
  }

  /** Stops the sources; `run` resolves without the end-of-input flush. */
  cancel(): void {
    for (const src of this.sources) src.cancel();
    this.settle.resolve();
  }

  private scheduleWakeUp(ts: number): void {
    if (ts >= this.wakeAt) return;
    if (this.wakeTimer !== undefined) clearTimeout(this.wakeTimer);
    this.wakeAt = ts;
    this.wakeTimer = setTimeout(() => this.onWakeUp(), Math.max(0, ts - Date.now()));
  }

  private onWakeUp(): void {
    this.wakeTimer = undefined;
    this.wakeAt = Number.POSITIVE_INFINITY;
    if (this.failed !== undefined) return;
    try {
      const now = this.clock.now();
      let next = Number.POSITIVE_INFINITY;
      for (const op of this.operators) next = Math.min(next, op.advanceProcessingTime(now));
      const p = this.afterBatch();
      if (p !== undefined) this.pending.push(p);
      if (next < Number.POSITIVE_INFINITY) this.scheduleWakeUp(next);
    } catch (e) {
      this.fail(e);
    }
  }

  /** Closes every local subtask (operators, state, readers); collects but does not stop at errors. */
  async close(): Promise<void> {
    if (this.wakeTimer !== undefined) clearTimeout(this.wakeTimer);
    this.wakeAt = -1; // no more wake-ups
    const results = await Promise.allSettled([...this.operators.map((o) => o.close()), ...this.sources.map((s) => s.close())]);
    const failure = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failure !== undefined && this.failed === undefined) throw failure.reason;
  }
}
