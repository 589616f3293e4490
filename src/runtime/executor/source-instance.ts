import { JobError } from "../../errors.js";
import type { WatermarkGenerator } from "../event-time/watermark-generator.js";
import { MAX_WATERMARK, NO_TIMESTAMP } from "../event-time/watermark.js";
import type { JobNode } from "../graph/job-graph.js";
import type { ReaderOutput, SourceReader, SourceSplit } from "../source/source.js";
import type { CheckpointBarrier } from "../checkpoint/barrier.js";
import type { SubtaskMetrics } from "../metrics/job-metrics.js";
import type { InstanceEnv, SourceSnapshot } from "./operator-instance.js";
import { OutputImpl } from "./output-impl.js";

interface SplitTracker {
  readonly generator: WatermarkGenerator;
  lastRecordAt: number;
  idle: boolean;
}

/** How often a waiting reader is woken to check idleness (ms). */
const IDLE_CHECK_MS = 50;

/**
 * One subtask of a source: it drives the reader in a loop, assigns timestamps, generates a
 * watermark per split (Flink's per-split watermarks) and emits the minimum over the splits that are
 * not idle after every batch (a finished split is forgotten). When the input ends it emits the final watermark
 * and end of input. In batch mode it emits no watermark until the end.
 */
export class SourceInstance {
  readonly output = new OutputImpl();
  reader!: SourceReader<unknown, SourceSplit>;
  finished = false;
  private readonly splits = new Map<string, SplitTracker>();
  private lastSplitId: string | undefined;
  private lastSplit: SplitTracker | undefined;
  private cancelled = false;
  private wakeCancel: (() => void) | undefined;
  private readonly readerOutput: ReaderOutput<unknown>;
  /** Barriers to put into the output at the next turn of the loop. */
  private readonly barriers: Array<{ barrier: CheckpointBarrier; stop: boolean }> = [];
  /** The input ended; with checkpoints, the subtask waits for a checkpoint taken after that before it ends. */
  private atEnd = false;
  private finalCheckpointDone = false;
  /** A stop-with-savepoint barrier went out: read nothing more. */
  private stopped = false;
  /** Ms spent waiting for the downstream after batches (backpressure), and since when it waits now (-1: not waiting). */
  private backPressuredMs = 0;
  private waitingSince = -1;

  constructor(
    readonly node: JobNode,
    readonly subtaskIndex: number,
    private readonly env: InstanceEnv,
  ) {
    if (node.t.kind !== "source") throw new JobError("SourceInstance is for sources only");
    const t = node.t;
    const assigner = t.watermarkStrategy.timestampAssigner;
    const batch = env.batch;
    const output = this.output;
    this.readerOutput = {
      collect: (value, splitId, timestamp) => {
        let s = this.lastSplit;
        if (splitId !== this.lastSplitId || s === undefined) {
          s = this.tracker(splitId);
          this.lastSplit = s;
          this.lastSplitId = splitId;
        }
        const ts = assigner !== undefined ? assigner(value, timestamp ?? NO_TIMESTAMP) : (timestamp ?? NO_TIMESTAMP);
        if (!batch) {
          s.generator.onEvent(ts);
          s.lastRecordAt = -1; // marked active; the loop stamps the time after the batch
          s.idle = false;
        }
        output.collect(value, ts);
      },
      splitFinished: (splitId) => {
        // dropped, not kept as finished: a continuous file source finishes a split per file, forever
        this.splits.delete(splitId);
        if (this.lastSplitId === splitId) {
          this.lastSplitId = undefined;
          this.lastSplit = undefined;
        }
      },
    };
  }

  private tracker(splitId: string): SplitTracker {
    let s = this.splits.get(splitId);
    if (s === undefined) {
      const t = this.node.t;
      if (t.kind !== "source") throw new JobError("unreachable");
      s = { generator: t.watermarkStrategy.createWatermarkGenerator(), lastRecordAt: performance.now(), idle: false };
      this.splits.set(splitId, s);
    }
    return s;
  }

  async open(splits: SourceSplit[]): Promise<void> {
    const t = this.node.t;
    if (t.kind !== "source") throw new JobError("unreachable");
    this.reader = t.source.createReader({
      subtaskIndex: this.subtaskIndex,
      parallelism: this.node.parallelism,
      log: this.env.log.child({ source: this.node.name, subtask: this.subtaskIndex }),
    });
    for (const s of splits) this.tracker(s.splitId);
    await this.reader.addSplits(splits);
  }

  /** Reads until the input ends or the job is cancelled; `afterBatch` applies backpressure. */
  async run(afterBatch: () => Promise<void> | undefined): Promise<void> {
    const t = this.node.t;
    if (t.kind !== "source") throw new JobError("unreachable");
    const idleness = t.watermarkStrategy.idlenessMs;
    let lastYield = performance.now();
    while (!this.cancelled) {
      if (this.barriers.length > 0) this.injectBarriers();
      if (this.stopped) {
        await this.sleep();
        continue;
      }
      const r = this.reader.pollNext(this.readerOutput);
      const status = r instanceof Promise ? await r : r;
      if (!this.env.batch) this.emitWatermark(idleness);
      const pending = afterBatch();
      if (pending !== undefined) {
        // backpressure is measured here, once per batch that has to wait, never per record
        this.waitingSince = performance.now();
        try {
          await pending;
        } finally {
          this.backPressuredMs += performance.now() - this.waitingSince;
          this.waitingSince = -1;
        }
      }
      if (status === "end") break;
      if (status === "waiting") {
        await this.waitForData(idleness);
        continue;
      }
      const now = performance.now();
      if (now - lastYield > 10) {
        // let timers and I/O callbacks run between batches
        await new Promise<void>((resolve) => setImmediate(resolve));
        lastYield = performance.now();
      } else {
        await undefined;
      }
    }
    if (this.cancelled) return;
    this.output.emitWatermark(MAX_WATERMARK);
    if (this.env.checkpointing) await this.awaitFinalCheckpoint();
    if (this.cancelled) return;
    this.finished = true;
    this.output.end();
    this.env.instanceFinished();
  }

  /**
   * As Flink's final checkpoint (FLIP-147): a bounded input has ended, but the subtask sends end of
   * input only after a checkpoint that includes its end position completes, so that sinks commit
   * the last records through a checkpoint and a crash after this point replays nothing.
   */
  private async awaitFinalCheckpoint(): Promise<void> {
    this.atEnd = true;
    this.env.sourceAtEnd?.();
    while (!this.cancelled && !this.finalCheckpointDone) {
      if (this.barriers.length > 0) this.injectBarriers();
      if (this.finalCheckpointDone) break;
      await this.sleep();
    }
  }

  private sleep(): Promise<void> {
    return new Promise<void>((resolve) => (this.wakeCancel = resolve)).then(() => {
      this.wakeCancel = undefined;
    });
  }

  /** Queues a barrier for the next turn of the loop (between two batches); `stop`: read nothing after it. */
  triggerBarrier(barrier: CheckpointBarrier, stop = false): void {
    if (this.finished) {
      // ended: its channels are closed, so only its final positions take part
      this.barriers.push({ barrier, stop });
      this.injectBarriers();
      return;
    }
    this.barriers.push({ barrier, stop });
    this.wakeCancel?.();
  }

  private injectBarriers(): void {
    const t = this.node.t;
    if (t.kind !== "source") throw new JobError("unreachable");
    for (const { barrier, stop } of this.barriers.splice(0)) {
      let snapshot: Promise<SourceSnapshot>;
      try {
        // a copy: readers may keep mutating the split objects they return
        const splits = structuredClone(this.reader.snapshotState(barrier.id));
        snapshot = Promise.resolve({ kind: "source", operatorId: this.node.operatorId, subtaskIndex: this.subtaskIndex, splits });
      } catch (e) {
        snapshot = Promise.reject(e);
      }
      this.env.acknowledge?.(this, barrier, snapshot);
      if (!this.finished) this.output.emitBarrier(barrier);
      if (stop) this.stopped = true;
    }
  }

  /** A checkpoint taken after every source's input ended is complete: send end of input. */
  finalCheckpointCompleted(): void {
    this.finalCheckpointDone = true;
    this.wakeCancel?.();
  }

  /** Checkpoint `id` completed: tell the reader (commit offsets). */
  notifyCheckpointComplete(id: number): Promise<void> | undefined {
    const r = this.reader?.notifyCheckpointComplete?.(id);
    return r instanceof Promise ? r : undefined;
  }

  /** Waiting for a final checkpoint (the input ended). */
  get waitingForFinalCheckpoint(): boolean {
    return this.atEnd && !this.finalCheckpointDone;
  }

  private async waitForData(idleness: number | undefined): Promise<void> {
    const available = this.reader.available?.() ?? new Promise<void>((r) => setTimeout(r, IDLE_CHECK_MS));
    const wait = idleness === undefined ? undefined : Math.min(idleness, IDLE_CHECK_MS);
    await new Promise<void>((resolve) => {
      this.wakeCancel = resolve;
      let timer: NodeJS.Timeout | undefined;
      if (wait !== undefined) timer = setTimeout(resolve, wait);
      available.then(() => {
        if (timer !== undefined) clearTimeout(timer);
        resolve();
      }, resolve);
    });
    this.wakeCancel = undefined;
    if (idleness !== undefined) this.emitWatermark(idleness);
  }

  private emitWatermark(idleness: number | undefined): void {
    const now = performance.now();
    let min = Number.POSITIVE_INFINITY;
    let active = 0;
    let idle = 0;
    for (const s of this.splits.values()) {
      if (s.lastRecordAt < 0) s.lastRecordAt = now;
      else if (idleness !== undefined && !s.idle && now - s.lastRecordAt >= idleness) s.idle = true;
      if (s.idle) {
        idle++;
        continue;
      }
      active++;
      const wm = s.generator.currentWatermark();
      if (wm < min) min = wm;
    }
    if (active > 0) {
      if (min > Number.NEGATIVE_INFINITY) this.output.emitWatermark(min);
      else this.output.emitIdle(false);
    } else {
      // every split idle or finished, or none assigned: do not hold the job's watermark back
      this.output.emitIdle(true);
    }
  }

  /** A reading of this subtask's metrics (called when metrics are asked for, never per record). */
  metrics(): SubtaskMetrics {
    let idle = true;
    for (const s of this.splits.values()) {
      if (!s.idle) {
        idle = false;
        break;
      }
    }
    const waiting = this.waitingSince >= 0 ? performance.now() - this.waitingSince : 0;
    return {
      operatorId: this.node.operatorId,
      name: this.node.name,
      subtaskIndex: this.subtaskIndex,
      kind: "source",
      currentOutputWatermark: this.output.currentWatermark,
      idle,
      backPressuredTimeMs: this.backPressuredMs + waiting,
      metrics: [],
    };
  }

  /** Stops the loop at its next turn (no end-of-input is sent). */
  cancel(): void {
    this.cancelled = true;
    this.wakeCancel?.();
  }

  async close(): Promise<void> {
    await this.reader?.close?.();
  }
}
