import type { Operator, OperatorContext } from "../operator.js";
import type { Sink, SinkWriter } from "../sink/sink.js";

/**
 * Feeds a sink writer: `write` per record, `flush` after each batch (the executor calls
 * `flushBatch`) and at the end of the input, `close` last. A pending flush holds the sources back.
 */
export class SinkOperator<T> implements Operator<T, never> {
  private writer!: SinkWriter<T>;
  private dirty = false;
  private ctx!: OperatorContext<never>;

  constructor(
    private readonly sink: Sink<T>,
    private readonly onDirty: (op: SinkOperator<T>) => void,
  ) {}

  async open(ctx: OperatorContext<never>): Promise<void> {
    this.ctx = ctx;
    this.writer = await this.sink.createWriter({
      subtaskIndex: ctx.subtaskIndex,
      parallelism: ctx.parallelism,
      log: ctx.log,
      restoredState: ctx.restoredStates,
      attempt: ctx.attempt,
      checkpointing: ctx.checkpointing,
    });
  }

  processElement(value: T, timestamp: number): void {
    this.writer.write(value, timestamp);
    if (!this.dirty) {
      this.dirty = true;
      this.onDirty(this);
    }
  }

  processWatermark(): void {}

  /** Flushes what was written since the last call; returns the pending I/O, if any. */
  flushBatch(): Promise<void> | undefined {
    this.dirty = false;
    const r = this.writer.flush?.(false);
    return r instanceof Promise ? r : undefined;
  }

  /** Pre-commit at the barrier: the writer seals what it has and returns its state. */
  snapshotState(checkpointId: number): unknown {
    return this.writer.snapshotState?.(checkpointId);
  }

  notifyCheckpointComplete(checkpointId: number): void | Promise<void> {
    return this.writer.notifyCheckpointComplete?.(checkpointId);
  }

  notifyCheckpointAborted(checkpointId: number): void | Promise<void> {
    return this.writer.notifyCheckpointAborted?.(checkpointId);
  }

  async endInput(): Promise<void> {
    this.dirty = false;
    await this.writer.flush?.(true);
  }

  async close(): Promise<void> {
    await this.writer?.close?.();
  }

  get context(): OperatorContext<never> {
    return this.ctx;
  }
}
