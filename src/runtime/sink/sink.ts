import type { Logger } from "../logger.js";

/** What a sink writer knows of its subtask. */
export interface SinkWriterContext {
  readonly subtaskIndex: number;
  readonly parallelism: number;
  readonly log: Logger;
}

/**
 * Writes one sink subtask's records. `write` is synchronous (buffer, do not block); I/O happens in
 * `flush`, which the runtime calls after each batch and at the end of the input. While a returned
 * promise is pending, sources stop reading: that is the sink's backpressure.
 */
export interface SinkWriter<T> {
  write(value: T, timestamp: number): void;
  flush?(endOfInput: boolean): void | Promise<void>;
  close?(): void | Promise<void>;
}

/** A sink, after Flink's `Sink`: a writer per subtask. */
export interface Sink<T> {
  createWriter(ctx: SinkWriterContext): SinkWriter<T> | Promise<SinkWriter<T>>;
}
