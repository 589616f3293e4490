/**
 * What a window case outputs, and an order-independent checksum of it: every side emits one
 * {@link WindowResult} per (key, minute) with at least one event, and folds it into a
 * {@link WindowChecksum}. Two sides agree when their checksums are equal: same number of windows,
 * same total count and sum, and the same sum over windows of a 32-bit hash of
 * `(key, start, count, sum)`, which catches a window attributed to the wrong key or minute.
 */
import { CollectSink, type Sink, type SinkWriter } from "../../src/runtime/index.js";
import { hash32 } from "./window-events.js";

/** One fired window: a key's count and sum of values over `[start, start + 1 min)`. */
export interface WindowResult {
  readonly key: number;
  readonly start: number;
  readonly count: number;
  readonly sum: number;
}

/** A fold of window results; adding two of them gives the checksum of the union. */
export interface WindowChecksum {
  windows: number;
  count: number;
  sum: number;
  /** Sum modulo 2^32 of a hash per window. */
  hash: number;
}

export function emptyChecksum(): WindowChecksum {
  return { windows: 0, count: 0, sum: 0, hash: 0 };
}

/** Adds one window to `c` (in place). */
export function addWindow(c: WindowChecksum, key: number, start: number, count: number, sum: number): void {
  c.windows++;
  c.count += count;
  c.sum += sum;
  const h = hash32(hash32(hash32(hash32(key) ^ (start / 1000)) ^ count) ^ sum);
  c.hash = (c.hash + h) >>> 0;
}

/** Adds `b` into `a` (in place). */
export function mergeChecksums(a: WindowChecksum, b: WindowChecksum): WindowChecksum {
  a.windows += b.windows;
  a.count += b.count;
  a.sum += b.sum;
  a.hash = (a.hash + b.hash) >>> 0;
  return a;
}

/** `windows=… count=… sum=… hash=…`: the printed form, compared between sides. */
export function formatChecksum(c: WindowChecksum): string {
  return `windows=${c.windows} count=${c.count} sum=${c.sum} hash=${c.hash.toString(16).padStart(8, "0")}`;
}

/**
 * A sink that folds window results into a checksum per subtask and, when its writer closes,
 * keeps that one checksum as its only collected record. It is a `CollectSink`, so under the
 * worker-thread executor each worker's checksum is sent back to the main thread's sink at the end
 * of the job (instead of every window result).
 */
export class ChecksumSink extends CollectSink<WindowChecksum> {
  /** This sink as the sink of window results it is (`sinkTo(checksums.input())`). */
  input(): Sink<WindowResult> {
    return this as unknown as Sink<WindowResult>;
  }

  /** The checksum of everything every subtask received (after the job finished). */
  total(): WindowChecksum {
    return this.records.reduce((acc, r) => mergeChecksums(acc, r.value), emptyChecksum());
  }

  override createWriter(ctx: { subtaskIndex: number }): SinkWriter<WindowChecksum> {
    const records = this.records;
    const subtask = ctx.subtaskIndex;
    const c = emptyChecksum();
    return {
      write(value) {
        const w = value as unknown as WindowResult;
        addWindow(c, w.key, w.start, w.count, w.sum);
      },
      close: () => {
        records.push({ value: c, timestamp: 0, subtask });
        this.finished = true;
      },
    };
  }
}
