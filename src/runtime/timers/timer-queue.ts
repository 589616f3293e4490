import type { StateKey } from "../../state/api.js";
import { DEFAULT_SNAPSHOT_SLICE_TIMERS, TimerQueueSnapshot, type SliceScheduler, type SnapshotBucket, type TimerTuple } from "./timer-queue-snapshot.js";

/** A registered timer: fires for `key` (undefined on a non-keyed operator) and `namespace` at `timestamp`. */
export interface Timer {
  readonly key: StateKey | undefined;
  readonly namespace: string;
  readonly timestamp: number;
}

/** No timer has this identity (a non-keyed timer's identity is `undefined`). */
const ABSENT = Symbol("absent");

/** A key as a `Map` key: numbers and strings as they are, other keys as JSON. */
function keyId(key: StateKey | undefined): unknown {
  return typeof key === "object" && key !== null ? JSON.stringify(key) : key;
}

/** Identity of a (key, namespace) pair among timers of several namespaces. */
function compositeId(key: StateKey | undefined, namespace: string): string {
  const k = keyId(key);
  return (typeof k === "string" ? "$" : "#") + String(k) + "\u0000" + namespace;
}

/**
 * The timers of one bucket by identity, in insertion order: a single timer inline (most timestamps
 * of a CEP operator or a process function carry one timer), a `Map` from the second on.
 */
class TimerSlots {
  private oneId: unknown = undefined;
  private one: Timer | undefined;
  private map: Map<unknown, Timer> | undefined;
  /** Timers appended unchecked (`appendNew`): keys and namespaces, made into `Timer`s when fired. */
  private listKeys: Array<StateKey | undefined> | undefined;
  private listNs: string[] | undefined;

  get size(): number {
    return (this.map !== undefined ? this.map.size : this.one !== undefined ? 1 : 0) + (this.listKeys?.length ?? 0);
  }

  /** Appends a timer the caller knows is not here: no identity lookup, no `Timer` object until it fires. */
  appendNew(key: StateKey | undefined, namespace: string): void {
    if (this.listKeys === undefined) {
      this.listKeys = [];
      this.listNs = [];
    }
    this.listKeys.push(key);
    this.listNs!.push(namespace);
  }

  /** Whether timers were appended unchecked (`appendNew`). */
  get hasAppended(): boolean {
    return this.listKeys !== undefined && this.listKeys.length > 0;
  }

  /** Removes an appended timer (a linear scan: deleting such timers is rare). */
  deleteAppended(key: StateKey | undefined, namespace: string): boolean {
    const keys = this.listKeys;
    if (keys === undefined) return false;
    const id = keyId(key);
    for (let i = 0; i < keys.length; i++) {
      if (this.listNs![i] === namespace && keyId(keys[i]) === id) {
        keys.splice(i, 1);
        this.listNs!.splice(i, 1);
        return true;
      }
    }
    return false;
  }

  has(id: unknown): boolean {
    return this.map !== undefined ? this.map.has(id) : this.one !== undefined && this.oneId === id;
  }

  set(id: unknown, timer: Timer): void {
    if (this.map !== undefined) this.map.set(id, timer);
    else if (this.one === undefined || this.oneId === id) {
      this.one = timer;
      this.oneId = id;
    } else {
      this.map = new Map<unknown, Timer>([[this.oneId, this.one], [id, timer]]);
      this.one = undefined;
      this.oneId = undefined;
    }
  }

  delete(id: unknown): boolean {
    if (this.map !== undefined) return this.map.delete(id);
    if (this.one === undefined || this.oneId !== id) return false;
    this.one = undefined;
    this.oneId = undefined;
    return true;
  }

  /** The timers stored by identity (not the appended ones). */
  identified(): Timer[] {
    return this.map !== undefined ? [...this.map.values()] : this.one !== undefined ? [this.one] : [];
  }

  values(timestamp: number): Timer[] {
    const out = this.identified();
    const keys = this.listKeys;
    if (keys !== undefined) for (let i = 0; i < keys.length; i++) out.push({ key: keys[i], namespace: this.listNs![i], timestamp });
    return out;
  }

  /** Appends the timers as snapshot tuples, in the order of `values`. */
  copyTo(timestamp: number, out: TimerTuple[]): void {
    if (this.map !== undefined) for (const t of this.map.values()) out.push([t.key, t.namespace, timestamp]);
    else if (this.one !== undefined) out.push([this.one.key, this.one.namespace, timestamp]);
    const keys = this.listKeys;
    if (keys !== undefined) for (let i = 0; i < keys.length; i++) out.push([keys[i], this.listNs![i], timestamp]);
  }

  /** Forgets the timers stored by identity (the appended ones stay). */
  clearIdentified(): void {
    this.map = undefined;
    this.one = undefined;
    this.oneId = undefined;
  }

  /** Removes each timer, in order, then hands it to `fire` (which may delete others of this set). */
  drain(timestamp: number, fire: (timer: Timer) => void): void {
    const keys = this.listKeys;
    if (keys !== undefined) {
      // detached first: an appended timer cannot be deleted while its timestamp fires
      const nss = this.listNs!;
      this.listKeys = undefined;
      this.listNs = undefined;
      for (let i = 0; i < keys.length; i++) fire({ key: keys[i], namespace: nss[i], timestamp });
    }
    if (this.map === undefined) {
      const t = this.one;
      if (t === undefined) return;
      this.one = undefined;
      this.oneId = undefined;
      fire(t);
      return;
    }
    const map = this.map;
    for (const [id, t] of map) {
      map.delete(id);
      fire(t);
    }
  }
}

/**
 * The timers of one timestamp, in registration order, by identity of (key, namespace). While every
 * timer of the bucket has the same namespace (the usual case: all keys' timers for one window end)
 * the identity is the key alone, a number or string used as it is; the first timer of another
 * namespace turns the bucket to composite identities, re-keying it in order.
 */
class Bucket implements SnapshotBucket {
  readonly timers = new TimerSlots();
  /** The namespace of every timer here, or undefined once namespaces are mixed. */
  private namespace: string | undefined;

  constructor(
    namespace: string,
    /** The queue's snapshot epoch when created or last changed (see `TimerQueueSnapshot`). */
    public stamp: number,
  ) {
    this.namespace = namespace;
  }

  copyTo(ts: number, out: TimerTuple[]): void {
    this.timers.copyTo(ts, out);
  }

  /** The identity of (key, namespace) in this bucket, switching to composite identities when needed. */
  idFor(key: StateKey | undefined, namespace: string): unknown {
    const ns = this.namespace;
    if (ns === namespace) return keyId(key);
    if (this.timers.size === 0) {
      // empty (its timers were deleted): it takes the namespace of its next timer
      this.namespace = namespace;
      return keyId(key);
    }
    if (ns !== undefined) {
      // a second namespace: re-key every timer by (key, namespace), keeping the order
      const timers = this.timers.identified();
      this.timers.clearIdentified();
      for (const t of timers) this.timers.set(compositeId(t.key, t.namespace), t);
      this.namespace = undefined;
    }
    return compositeId(key, namespace);
  }

  /** The identity of (key, namespace) here, or `ABSENT` when no such timer can be here (the bucket does not change). */
  lookupId(key: StateKey | undefined, namespace: string): unknown {
    const ns = this.namespace;
    if (ns === undefined) return compositeId(key, namespace);
    return ns === namespace ? keyId(key) : ABSENT;
  }
}

/** Options of a `TimerQueue`'s snapshots. */
export interface TimerQueueOptions {
  /** Timers copied per turn of the event loop by an asynchronous snapshot (default 10,000). */
  readonly snapshotSliceTimers?: number;
  /** A queue of at most this many timers is snapshotted synchronously (default 1,024). */
  readonly syncSnapshotTimers?: number;
  /** Runs a snapshot's next slice (default `setImmediate`; tests run them by hand). */
  readonly schedule?: SliceScheduler;
}

/**
 * Timers of one time domain, deduplicated per (key, namespace, timestamp) as Flink's
 * `InternalTimerService`. Timers are grouped in one bucket per distinct timestamp and the
 * timestamps kept in a binary min-heap, so the many keys that share a window end cost one heap
 * entry. Timers of one timestamp fire in registration order. Within a timestamp, timers are
 * found by key alone while they share one namespace (see `Bucket`), so that registering the
 * timers of a window for many keys builds no string per timer.
 *
 * Snapshots (`snapshot`) are copy-on-write per bucket: the barrier copies nothing, a bucket is
 * copied just before its first change after the barrier, the rest in slices afterwards (see
 * `TimerQueueSnapshot`). Every change of a bucket's timers goes through `beforeChange`.
 */
export class TimerQueue {
  private readonly heap: number[] = [];
  private readonly buckets = new Map<number, Bucket>();
  private firingTs = Number.NaN;
  private firingBucket: Bucket | undefined;
  private count = 0;
  /** Bumped at each asynchronous snapshot's barrier; new and changed buckets are stamped with it. */
  private epoch = 0;
  /** Snapshots still walking the buckets, oldest first: they copy a bucket before it changes. */
  private readonly pending: TimerQueueSnapshot[] = [];
  private readonly sliceTimers: number;
  private readonly syncTimers: number;
  private readonly schedule: SliceScheduler;
  /**
   * Timers copied for snapshots synchronously: at a barrier (a small queue) or just before a
   * bucket changes; not those copied in slices (for tests and diagnosis).
   */
  copiedTimers = 0;

  constructor(options: TimerQueueOptions = {}) {
    this.sliceTimers = Math.max(1, options.snapshotSliceTimers ?? DEFAULT_SNAPSHOT_SLICE_TIMERS);
    this.syncTimers = options.syncSnapshotTimers ?? 1_024;
    this.schedule = options.schedule ?? ((f) => void setImmediate(f));
  }

  get size(): number {
    return this.count;
  }

  add(key: StateKey | undefined, namespace: string, timestamp: number): void {
    let bucket = this.buckets.get(timestamp);
    if (bucket === undefined) {
      bucket = new Bucket(namespace, this.epoch);
      this.buckets.set(timestamp, bucket);
      this.push(timestamp);
    }
    // re-keying the bucket (a second namespace) keeps its timers and their order
    const id = bucket.idFor(key, namespace);
    if (bucket.timers.has(id)) return;
    if (timestamp === this.firingTs) {
      const firingId = this.firingBucket!.lookupId(key, namespace);
      if (firingId !== ABSENT && this.firingBucket!.timers.has(firingId)) return;
    }
    if (bucket.stamp < this.epoch) this.beforeChange(timestamp, bucket);
    bucket.timers.set(id, { key, namespace, timestamp });
    this.count++;
  }

  /**
   * Adds a timer that the caller knows is not registered yet (a window's first element registering
   * the window's end): no identity lookup. Registering an existing timer this way fires it twice.
   */
  addNew(key: StateKey | undefined, namespace: string, timestamp: number): void {
    let bucket = this.buckets.get(timestamp);
    if (bucket === undefined) {
      bucket = new Bucket(namespace, this.epoch);
      this.buckets.set(timestamp, bucket);
      this.push(timestamp);
    } else if (bucket.stamp < this.epoch) this.beforeChange(timestamp, bucket);
    bucket.timers.appendNew(key, namespace);
    this.count++;
  }

  delete(key: StateKey | undefined, namespace: string, timestamp: number): void {
    const bucket = this.buckets.get(timestamp);
    if (bucket !== undefined && this.deleteFrom(bucket, timestamp, key, namespace)) {
      this.count--;
      return;
    }
    if (timestamp === this.firingTs && this.deleteFrom(this.firingBucket!, timestamp, key, namespace)) this.count--;
  }

  /** Deletes the timer of (key, namespace) from `bucket`, copying the bucket first for pending snapshots. */
  private deleteFrom(bucket: Bucket, ts: number, key: StateKey | undefined, namespace: string): boolean {
    const timers = bucket.timers;
    const id = bucket.lookupId(key, namespace);
    if (id !== ABSENT && timers.has(id)) {
      if (bucket.stamp < this.epoch) this.beforeChange(ts, bucket);
      return timers.delete(id);
    }
    if (!timers.hasAppended) return false;
    if (bucket.stamp < this.epoch) this.beforeChange(ts, bucket);
    return timers.deleteAppended(key, namespace);
  }

  /**
   * Bucket `ts` is about to change and has not changed since the latest snapshot's barrier: every
   * snapshot still walking whose barrier came after the bucket's last change gets a copy, then the
   * bucket is stamped with the current epoch, so that it is not copied again until the next barrier.
   */
  private beforeChange(ts: number, bucket: Bucket): void {
    for (const job of this.pending) {
      if (!job.needs(bucket.stamp)) continue;
      job.preserve(ts, bucket);
      this.copiedTimers += bucket.timers.size;
    }
    bucket.stamp = this.epoch;
  }

  /** The earliest timestamp with a timer, or +Infinity. */
  peek(): number {
    while (this.heap.length > 0) {
      const ts = this.heap[0];
      const bucket = this.buckets.get(ts);
      if (bucket !== undefined && bucket.timers.size > 0) return ts;
      // an empty bucket: nothing for a snapshot to keep
      if (bucket !== undefined) this.buckets.delete(ts);
      this.pop();
    }
    return Number.POSITIVE_INFINITY;
  }

  /**
   * Fires, in timestamp order, every timer at or before `until`, including timers that firing
   * registers within the bound. Each timer is removed before `fire` sees it.
   */
  fireUntil(until: number, fire: (timer: Timer) => void): void {
    for (;;) {
      const ts = this.peek();
      if (this.heap.length === 0 || ts > until) break;
      const bucket = this.buckets.get(ts)!;
      if (bucket.stamp < this.epoch) this.beforeChange(ts, bucket);
      // out of the queue: no snapshot copies it again
      bucket.stamp = Number.POSITIVE_INFINITY;
      this.buckets.delete(ts);
      this.pop();
      this.firingTs = ts;
      this.firingBucket = bucket;
      try {
        bucket.timers.drain(ts, (timer) => {
          this.count--;
          fire(timer);
        });
      } finally {
        this.firingTs = Number.NaN;
        this.firingBucket = undefined;
      }
    }
  }

  /** Every timer, for snapshots. */
  all(): Timer[] {
    const out: Timer[] = [];
    for (const [ts, bucket] of this.buckets) for (const t of bucket.timers.values(ts)) out.push(t);
    return out.sort((a, b) => a.timestamp - b.timestamp);
  }

  /**
   * Every timer as `[key, namespace, timestamp]`, by timestamp and in firing order within one,
   * copied now: the synchronous snapshot (and the reference `snapshot` must equal).
   */
  snapshotNow(): TimerTuple[] {
    const out: TimerTuple[] = [];
    for (const t of this.all()) out.push([t.key, t.namespace, t.timestamp]);
    return out;
  }

  /**
   * A snapshot of the timers as they are now, the same as `snapshotNow()` gives, copied after
   * this call returns: in slices between turns of the event loop, and bucket by bucket just
   * before a bucket changes. A queue of at most `syncSnapshotTimers` timers is copied at once.
   */
  snapshot(): Promise<TimerTuple[]> {
    if (this.count <= this.syncTimers) {
      const out = this.snapshotNow();
      this.copiedTimers += out.length;
      return Promise.resolve(out);
    }
    const job = new TimerQueueSnapshot(++this.epoch, this.buckets.entries(), this.sliceTimers, this.schedule, (j) => {
      const i = this.pending.indexOf(j);
      if (i >= 0) this.pending.splice(i, 1);
    });
    this.pending.push(job);
    return job.promise;
  }

  /** Timers of one key (any namespace). */
  forKey(key: StateKey | undefined): Timer[] {
    const id = keyId(key);
    return this.all().filter((t) => keyId(t.key) === id);
  }

  clear(): void {
    // snapshots in progress copy what they still need first
    for (const job of [...this.pending]) job.finish();
    this.heap.length = 0;
    this.buckets.clear();
    this.count = 0;
  }

  private push(ts: number): void {
    const h = this.heap;
    let i = h.length;
    h.push(ts);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (h[parent] <= ts) break;
      h[i] = h[parent];
      i = parent;
    }
    h[i] = ts;
  }

  private pop(): void {
    const h = this.heap;
    const last = h.pop()!;
    if (h.length === 0) return;
    let i = 0;
    const n = h.length;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && h[r] < h[l] ? r : l;
      if (h[c] >= last) break;
      h[i] = h[c];
      i = c;
    }
    h[i] = last;
  }
}
