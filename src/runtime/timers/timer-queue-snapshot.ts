import type { StateKey } from "../../state/api.js";

/** One timer as snapshots store it: key, namespace, timestamp. */
export type TimerTuple = [StateKey | undefined, string, number];

/** Timers copied per turn of the event loop by default (about 1 ms of work). */
export const DEFAULT_SNAPSHOT_SLICE_TIMERS = 10_000;

/** A bucket of the queue as a snapshot sees it: when it last changed, and its timers. */
export interface SnapshotBucket {
  /**
   * The queue's snapshot epoch when the bucket was created or last changed: the bucket is as it
   * was at the barrier of every snapshot whose epoch is greater.
   */
  readonly stamp: number;
  /** Appends the bucket's timers (of timestamp `ts`), in firing order. */
  copyTo(ts: number, out: TimerTuple[]): void;
}

/** How a snapshot runs its next slice: `setImmediate` by default, by hand in tests. */
export type SliceScheduler = (slice: () => void) => void;

/**
 * A snapshot of one `TimerQueue` in progress, copy-on-write with the bucket (one timestamp) as the
 * unit of copy, as `HeapSnapshotJob` does with key groups. At the barrier the queue only bumps its
 * epoch and hands over a live iterator of its buckets: nothing is copied. A bucket whose `stamp` is
 * below this snapshot's `epoch` has not changed since the barrier; before the queue changes such a
 * bucket (adds to it, deletes from it, fires it) it has every snapshot still walking copy it
 * (`preserve`), then stamps it with the current epoch. The rest is copied in slices of about
 * `sliceTimers` timers per turn of the event loop, skipping buckets stamped at or after the barrier.
 *
 * A bucket the walk copied and that changes later is copied again (the walk keeps no index of
 * what it copied): both copies hold the bucket as it was at the barrier, and the merge keeps one.
 *
 * The result is ordered as the synchronous copy (`TimerQueue.snapshotNow`): by timestamp, and in
 * firing order within a timestamp. Each slice's buckets are sorted as a chunk (at most a slice),
 * and the chunks are merged in slices once every bucket is copied, so that no turn sorts the whole
 * queue.
 */
export class TimerQueueSnapshot {
  readonly promise: Promise<TimerTuple[]>;
  private resolve!: (t: TimerTuple[]) => void;
  private reject!: (e: unknown) => void;
  /** Buckets copied before they changed (sorted once the walk is over). */
  private preserved = new Chunk();
  private readonly chunks: Chunk[] = [];
  /** Still walking the queue's buckets (and so copying on write). */
  private walking = true;
  private merge: ChunkMerge | undefined;
  private lastTs = Number.NaN;
  private readonly out: TimerTuple[] = [];
  private done = false;

  constructor(
    /** The queue's epoch at the barrier: buckets stamped below it are as they were then. */
    readonly epoch: number,
    private readonly buckets: Iterator<[number, SnapshotBucket]>,
    private readonly sliceTimers: number,
    private readonly schedule: SliceScheduler,
    /** Called once the walk is over: the queue no longer needs to copy on write for this snapshot. */
    private readonly onWalked: (job: TimerQueueSnapshot) => void,
  ) {
    this.promise = new Promise((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    schedule(this.slice);
  }

  /** Resolved or rejected. */
  get settled(): boolean {
    return this.done;
  }

  /** Whether bucket `ts`, stamped `stamp`, must be copied for this snapshot before it changes. */
  needs(stamp: number): boolean {
    return this.walking && stamp < this.epoch;
  }

  /** Keeps bucket `ts` as it was at the barrier, before it changes. */
  preserve(ts: number, bucket: SnapshotBucket): void {
    this.preserved.add(ts, bucket);
  }

  /** Copies everything left now (the queue is about to be cleared). */
  finish(): void {
    while (!this.done) this.step(Number.POSITIVE_INFINITY);
  }

  private readonly slice = (): void => {
    if (this.done) return;
    this.step(this.sliceTimers);
    if (!this.done) this.schedule(this.slice);
  };

  /** One slice: walks (and copies) about `budget` timers, or merges that many. */
  private step(budget: number): void {
    try {
      if (this.walking) this.walk(budget);
      else this.mergeSome(budget);
    } catch (e) {
      this.fail(e);
    }
  }

  private walk(budget: number): void {
    let left = budget;
    const chunk = new Chunk();
    while (left > 0) {
      const next = this.buckets.next();
      if (next.done === true) {
        this.walking = false;
        this.onWalked(this);
        break;
      }
      const [ts, bucket] = next.value;
      // created or changed after the barrier: not in this snapshot, or preserved already
      if (bucket.stamp >= this.epoch) left--;
      else left -= Math.max(1, chunk.add(ts, bucket));
    }
    if (chunk.size > 0) this.chunks.push(chunk.sorted());
    if (!this.walking) {
      if (this.preserved.size > 0) this.chunks.push(this.preserved.sorted());
      this.preserved = new Chunk();
      this.merge = new ChunkMerge(this.chunks);
    }
  }

  private mergeSome(budget: number): void {
    const merge = this.merge!;
    let left = budget;
    while (left > 0) {
      const c = merge.next();
      if (c === undefined) {
        this.complete();
        return;
      }
      const chunk = this.chunks[c];
      const ts = chunk.headTs();
      // a bucket copied by the walk and again before it changed: the same timers
      if (ts === this.lastTs) left -= chunk.skip();
      else left -= chunk.emit(this.out);
      this.lastTs = ts;
      merge.advance();
    }
  }

  private complete(): void {
    this.done = true;
    this.chunks.length = 0;
    this.resolve(this.out);
  }

  private fail(e: unknown): void {
    if (this.done) return;
    this.done = true;
    if (this.walking) {
      this.walking = false;
      this.onWalked(this);
    }
    this.reject(e);
  }
}

/** Copied buckets: their timestamps and timers, then sorted by timestamp and read in order. */
class Chunk {
  private readonly ts: number[] = [];
  /** Where each bucket's timers start in `timers` (one more entry at the end once sorted). */
  private readonly start: number[] = [];
  private readonly timers: TimerTuple[] = [];
  /** Bucket indices by timestamp, once sorted (undefined: in insertion order). */
  private order: Uint32Array | undefined;
  /** The next bucket to read, in sorted order. */
  private pos = 0;

  get size(): number {
    return this.ts.length;
  }

  /** Copies a bucket (skipped if empty); returns the number of timers copied. */
  add(ts: number, bucket: SnapshotBucket): number {
    const before = this.timers.length;
    bucket.copyTo(ts, this.timers);
    const n = this.timers.length - before;
    if (n > 0) {
      this.ts.push(ts);
      this.start.push(before);
    }
    return n;
  }

  /** Sorts the buckets by timestamp (no work when they were copied in order, as they often are). */
  sorted(): this {
    this.start.push(this.timers.length);
    const ts = this.ts;
    let inOrder = true;
    for (let i = 1; i < ts.length && inOrder; i++) inOrder = ts[i - 1] < ts[i];
    if (!inOrder) {
      const order = new Uint32Array(ts.length);
      for (let i = 0; i < order.length; i++) order[i] = i;
      this.order = order.sort((a, b) => ts[a] - ts[b]);
    }
    return this;
  }

  /** More buckets to read. */
  get hasNext(): boolean {
    return this.pos < this.ts.length;
  }

  /** The timestamp of the next bucket. */
  headTs(): number {
    return this.ts[this.order === undefined ? this.pos : this.order[this.pos]];
  }

  /** Appends the next bucket's timers to `out` and moves on; returns their number. */
  emit(out: TimerTuple[]): number {
    const i = this.order === undefined ? this.pos : this.order[this.pos];
    const end = this.start[i + 1];
    for (let k = this.start[i]; k < end; k++) out.push(this.timers[k]);
    this.pos++;
    return end - this.start[i];
  }

  /** Skips the next bucket; returns 1 (its cost). */
  skip(): number {
    this.pos++;
    return 1;
  }
}

/** A k-way merge of sorted chunks by their next timestamp (a min-heap of chunk indices). */
class ChunkMerge {
  private readonly heap: number[] = [];

  constructor(private readonly chunks: readonly Chunk[]) {
    for (let c = 0; c < chunks.length; c++) if (chunks[c].hasNext) this.push(c);
  }

  /** The chunk whose next bucket comes first (ties: any), or undefined when all are read. */
  next(): number | undefined {
    return this.heap.length === 0 ? undefined : this.heap[0];
  }

  /** The chunk `next()` gave has moved on: restores the heap. */
  advance(): void {
    const h = this.heap;
    if (this.chunks[h[0]].hasNext) this.siftDown(0);
    else {
      const last = h.pop()!;
      if (h.length > 0) {
        h[0] = last;
        this.siftDown(0);
      }
    }
  }

  private head(c: number): number {
    return this.chunks[c].headTs();
  }

  private push(c: number): void {
    const h = this.heap;
    let i = h.length;
    h.push(c);
    const v = this.head(c);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (this.head(h[parent]) <= v) break;
      h[i] = h[parent];
      i = parent;
    }
    h[i] = c;
  }

  private siftDown(i: number): void {
    const h = this.heap;
    const n = h.length;
    const c = h[i];
    const v = this.head(c);
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const m = r < n && this.head(h[r]) < this.head(h[l]) ? r : l;
      if (this.head(h[m]) >= v) break;
      h[i] = h[m];
      i = m;
    }
    h[i] = c;
  }
}
