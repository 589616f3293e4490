import type { Sink, SinkWriter } from "./sink.js";

/** Drops every record and counts them, as Flink's `DiscardingSink` (benchmarks, dry runs). */
export class DiscardingSink<T> implements Sink<T> {
  /** Records received by all subtasks in this process. */
  count = 0;

  createWriter(): SinkWriter<T> {
    return {
      write: () => {
        this.count++;
      },
    };
  }
}
