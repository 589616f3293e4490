import type { PatternUpdate } from "../../cep/index.js";
import type { InputStatus, ReaderOutput, Source, SourceReader, SourceSplit } from "../../runtime/index.js";

/** A pattern update for one CEP operator of the service job (its group's uid). */
export interface GroupUpdate<D = unknown> {
  readonly group: string;
  readonly update: PatternUpdate<D>;
}

interface ControlSplit extends SourceSplit {
  readonly kind: "control";
}

/**
 * The service job's control stream: pattern updates pushed in by the reload controller (file
 * watcher, control stream, REST API), read by the job and broadcast to the CEP operators.
 * In-process and not replayable: the pattern set itself is in the operators' checkpointed
 * broadcast state, and after a restart the service puts the set it wants (see `initial`).
 *
 * It must not keep a bounded run alive: it ends when `setFinished`'s test says every data source has
 * read to its end (a continuous source never does, so then it runs until the job stops).
 */
export class ControlSource<D = unknown> implements Source<GroupUpdate<D>, ControlSplit> {
  readonly boundedness = "continuous" as const;
  readonly maxParallelism = 1;
  private queue: Array<GroupUpdate<D>> = [];
  private wake: (() => void) | undefined;
  private closed = false;

  private finished: () => boolean = () => false;

  /** Tells the stream when the job's data sources have all ended (it ends then too). */
  setFinished(finished: () => boolean): void {
    this.finished = finished;
  }

  /** Queues updates for the running job. */
  push(...updates: Array<GroupUpdate<D>>): void {
    this.queue.push(...updates);
    this.notify();
  }

  /** Ends the stream (the job ends once its other sources have). */
  close(): void {
    this.closed = true;
    this.notify();
  }

  /** Something changed that may end the stream (a data source ended). */
  notify(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  /**
   * No splits: a source without splits is idle from the start, so it never holds the CEP
   * operators' event time back (a watermark of +Infinity would instead carry them to the end of
   * time while the events are idle). Records go out under a split that is finished right after,
   * so the stream is idle again at once.
   */
  createSplits(): ControlSplit[] {
    return [];
  }

  createReader(): SourceReader<GroupUpdate<D>, ControlSplit> {
    return {
      addSplits: () => {},
      pollNext: (output: ReaderOutput<GroupUpdate<D>>): InputStatus => {
        if (this.queue.length > 0) {
          const batch = this.queue;
          this.queue = [];
          for (const u of batch) output.collect(u, "control");
          output.splitFinished("control");
        }
        return this.closed || this.finished() ? "end" : "waiting";
      },
      // poll now and then too: the end of the data sources is noticed without a push
      available: () =>
        new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, 200);
          this.wake = () => {
            clearTimeout(timer);
            resolve();
          };
        }),
      snapshotState: () => [],
    };
  }
}

/**
 * Wraps a data source so that `onEnd` is called when its reader has read everything, and
 * `onStart` when a reader is created (again, after a restart): the control stream ends with the
 * last data source.
 */
export function trackEnd<T, S extends SourceSplit>(source: Source<T, S>, onStart: () => void, onEnd: () => void): Source<T, S> {
  return {
    boundedness: source.boundedness,
    ...(source.maxParallelism !== undefined && { maxParallelism: source.maxParallelism }),
    createSplits: (ctx) => source.createSplits(ctx),
    createReader: (ctx) => {
      onStart();
      const reader = source.createReader(ctx);
      const seen = (status: InputStatus): InputStatus => {
        if (status === "end") onEnd();
        return status;
      };
      const wrapped: SourceReader<T, S> = {
        addSplits: (splits) => reader.addSplits(splits),
        pollNext: (output) => {
          const r = reader.pollNext(output);
          return r instanceof Promise ? r.then(seen) : seen(r);
        },
        snapshotState: (id) => reader.snapshotState(id),
      };
      if (reader.available !== undefined) wrapped.available = () => reader.available!();
      if (reader.notifyCheckpointComplete !== undefined) wrapped.notifyCheckpointComplete = (id) => reader.notifyCheckpointComplete!(id);
      if (reader.close !== undefined) wrapped.close = () => reader.close!();
      return wrapped;
    },
  };
}
