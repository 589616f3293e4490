import type { InputStatus, ReaderOutput, Source, SourceReader, SourceSplit } from "./source.js";

interface MemorySplit extends SourceSplit {
  readonly position: number;
}

/**
 * An unbounded source that a test (or an embedding program) pushes records into while the job
 * runs, as Bytewax's testing source: `push` appends, `end` finishes the input. Non-parallel;
 * it lives in the process that created it (not for worker-thread jobs).
 */
export class InMemorySource<T> implements Source<T, MemorySplit> {
  readonly boundedness = "continuous" as const;
  readonly maxParallelism = 1;
  private readonly buffer: Array<{ value: T; timestamp: number | undefined }> = [];
  private ended = false;
  private wake: (() => void) | undefined;

  /** Appends records (with an optional source timestamp each). */
  push(...values: T[]): this {
    for (const value of values) this.buffer.push({ value, timestamp: undefined });
    this.notify();
    return this;
  }

  /** Appends one record with a source timestamp. */
  pushWithTimestamp(value: T, timestamp: number): this {
    this.buffer.push({ value, timestamp });
    this.notify();
    return this;
  }

  /** No more records: the job's input ends once the reader has caught up. */
  end(): void {
    this.ended = true;
    this.notify();
  }

  /** How many records have been pushed. */
  get pushed(): number {
    return this.buffer.length;
  }

  createSplits(): MemorySplit[] {
    return [{ splitId: "memory", position: 0 }];
  }

  createReader(): SourceReader<T, MemorySplit> {
    let position = 0;
    let owned = false;
    return {
      addSplits: (splits) => {
        for (const s of splits) {
          owned = true;
          position = s.position;
        }
      },
      pollNext: (output: ReaderOutput<T>): InputStatus => {
        if (!owned) return this.ended ? "end" : "waiting";
        const end = Math.min(this.buffer.length, position + 1024);
        for (let i = position; i < end; i++) {
          const r = this.buffer[i];
          output.collect(r.value, "memory", r.timestamp);
        }
        position = end;
        if (position < this.buffer.length) return "more";
        if (this.ended) {
          output.splitFinished("memory");
          return "end";
        }
        return "waiting";
      },
      // records pushed (or the end) while the reader was elsewhere, e.g. waiting on a sink's flush,
      // must not wait for a later push to be seen
      available: () => (position < this.buffer.length || this.ended ? Promise.resolve() : new Promise<void>((resolve) => (this.wake = resolve))),
      snapshotState: () => (owned ? [{ splitId: "memory", position }] : []),
    };
  }

  private notify(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }
}
