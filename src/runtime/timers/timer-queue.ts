import type { StateKey } from "../../state/api.js";

/** A registered timer: fires for `key` (undefined on a non-keyed operator) and `namespace` at `timestamp`. */
export interface Timer {
  readonly key: StateKey | undefined;
  readonly namespace: string;
  readonly timestamp: number;
}

type Bucket = Map<unknown, Timer>;

/** Identity of a (key, namespace) pair inside one timestamp's bucket, without allocating for the common case. */
function timerId(key: StateKey | undefined, namespace: string): unknown {
  const k = typeof key === "object" && key !== null ? JSON.stringify(key) : key;
  if (namespace === "") return k;
  return (typeof k === "string" ? "$" : "#") + String(k) + "\u0000" + namespace;
}

/**
 * Timers of one time domain, deduplicated per (key, namespace, timestamp) as Flink's
 * `InternalTimerService`. Timers are grouped in one bucket per distinct timestamp and the
 * timestamps kept in a binary min-heap, so the many keys that share a window end cost one heap
 * entry. Timers of one timestamp fire in registration order.
 */
export class TimerQueue {
  private readonly heap: number[] = [];
  private readonly buckets = new Map<number, Bucket>();
  private firingTs = Number.NaN;
  private firingBucket: Bucket | undefined;
  private count = 0;

  get size(): number {
    return this.count;
  }

  add(key: StateKey | undefined, namespace: string, timestamp: number): void {
    let bucket = this.buckets.get(timestamp);
    if (bucket === undefined) {
      bucket = new Map();
      this.buckets.set(timestamp, bucket);
      this.push(timestamp);
    }
    const id = timerId(key, namespace);
    if (bucket.has(id)) return;
    if (timestamp === this.firingTs && this.firingBucket?.has(id)) return;
    bucket.set(id, { key, namespace, timestamp });
    this.count++;
  }

  delete(key: StateKey | undefined, namespace: string, timestamp: number): void {
    const id = timerId(key, namespace);
    const bucket = this.buckets.get(timestamp);
    if (bucket !== undefined && bucket.delete(id)) {
      this.count--;
      return;
    }
    if (timestamp === this.firingTs && this.firingBucket!.delete(id)) this.count--;
  }

  /** The earliest timestamp with a timer, or +Infinity. */
  peek(): number {
    while (this.heap.length > 0) {
      const ts = this.heap[0];
      const bucket = this.buckets.get(ts);
      if (bucket !== undefined && bucket.size > 0) return ts;
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
      this.buckets.delete(ts);
      this.pop();
      this.firingTs = ts;
      this.firingBucket = bucket;
      try {
        for (const [id, timer] of bucket) {
          bucket.delete(id);
          this.count--;
          fire(timer);
        }
      } finally {
        this.firingTs = Number.NaN;
        this.firingBucket = undefined;
      }
    }
  }

  /** Every timer, for snapshots. */
  all(): Timer[] {
    const out: Timer[] = [];
    for (const bucket of this.buckets.values()) for (const t of bucket.values()) out.push(t);
    return out.sort((a, b) => a.timestamp - b.timestamp);
  }

  /** Timers of one key (any namespace). */
  forKey(key: StateKey | undefined): Timer[] {
    const id = timerId(key, "");
    return this.all().filter((t) => timerId(t.key, "") === id);
  }

  clear(): void {
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
