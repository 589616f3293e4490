import type { Sink, SinkWriter } from "./sink.js";

/** A record as a sink received it. */
export interface CollectedRecord<T> {
  readonly value: T;
  readonly timestamp: number;
  readonly subtask: number;
}

/**
 * A sink that keeps what it receives, for tests (as Bytewax's testing sink): `values` in arrival
 * order, `records` with timestamps and subtask. With the worker-thread executor each worker's
 * records are sent back and appended here when the job ends.
 */
export class CollectSink<T> implements Sink<T> {
  readonly records: Array<CollectedRecord<T>> = [];
  /** Set when the job ended (every writer closed). */
  finished = false;

  get values(): T[] {
    return this.records.map((r) => r.value);
  }

  createWriter(ctx: { subtaskIndex: number }): SinkWriter<T> {
    const records = this.records;
    const subtask = ctx.subtaskIndex;
    return {
      write(value, timestamp) {
        records.push({ value, timestamp, subtask });
      },
      close: () => {
        this.finished = true;
      },
    };
  }

  /** Removes and returns everything collected so far (the worker executor ships this to the main thread). */
  drain(): Array<CollectedRecord<T>> {
    return this.records.splice(0, this.records.length);
  }
}
