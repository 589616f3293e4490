import type { ClassicLevel } from "classic-level";
import { StateError } from "../../errors.js";
import { keyGroupOfDbKey } from "./db-key.js";
import type { Slot } from "./leveldb-state-table.js";

type BatchOp = { type: "put"; key: Uint8Array; value: Uint8Array } | { type: "del"; key: Uint8Array };

/** The writes of one flush, serialised, and its sequence number. */
interface Serialised {
  readonly seq: number;
  readonly ops: BatchOp[];
}

/**
 * The LevelDB backend's writes: dirty cache slots, serialised and written by one `db.batch` per
 * flush. Flushes (and anything else `enqueue`d: restores, the start of a snapshot's scan) run
 * one at a time, in order, so LevelDB sees writes in the order they were made. A slot being
 * written is pinned (`pin` > `flushedSeq`): the cache must not drop it before its batch is done,
 * since until then LevelDB does not have it. After a failed write the state is unknown: every
 * further write and flush throws.
 *
 * It also records which key groups were written (for incremental snapshots): every put and delete
 * that reaches LevelDB after a restore is serialised here, so marking the key group of each op
 * when it is serialised catches every change (writes, clears, TTL purges, namespace merges) at the
 * cost of one byte store per written entry, off the record path. `snapshotFlush` swaps the set at
 * the moment a snapshot's content is fixed.
 */
export class WriteBack {
  /** Slots made dirty since the last flush began. */
  dirty: Slot[] = [];
  /** Sequence number of the last flush written. */
  flushedSeq = 0;
  /** Set by the backend when it closes: no more background flushes. */
  closed = false;
  private seq = 0;
  private inFlight = false;
  private scheduled = false;
  private tail: Promise<unknown> = Promise.resolve();
  private failure: unknown = undefined;
  /** Key group -> 1 if an op of it was serialised since the last `snapshotFlush` (or `resetChanged`). */
  private changed: Uint8Array;

  constructor(
    private readonly db: ClassicLevel<Uint8Array, Uint8Array>,
    private readonly threshold: number,
    /** The LevelDB key of a slot's entry (`dbKey`: it starts with the key group). */
    private readonly keyOf: (slot: Slot) => Uint8Array,
    maxParallelism: number,
  ) {
    this.changed = new Uint8Array(maxParallelism);
  }

  /** Records a slot as dirty (call once per clean-to-dirty change); may schedule a flush. */
  markDirty(slot: Slot): void {
    if (this.failure !== undefined) throw this.failed();
    slot.dirty = true;
    this.dirty.push(slot);
    if (this.dirty.length >= this.threshold && !this.scheduled && !this.inFlight) this.schedule();
  }

  /**
   * Serialises every dirty slot now and queues one batch writing them after the writes already
   * queued; `then` runs in the same link of the chain, right after the batch.
   */
  flush<T = void>(then?: () => T): Promise<T> {
    let batch: Serialised;
    try {
      batch = this.serialise();
    } catch (e) {
      return Promise.reject(e);
    }
    return this.write(batch, then);
  }

  /**
   * `flush` for a snapshot: in the same synchronous step as the serialisation of the dirty slots
   * (the moment the snapshot's content is fixed), takes the set of key groups written since the
   * previous call and starts a new one, so writes made after it count for the next snapshot.
   * `then(changed)` runs in the same link of the chain as the batch, right after it.
   */
  snapshotFlush<T>(then: (changed: Uint8Array) => T): Promise<T> {
    let batch: Serialised;
    try {
      batch = this.serialise();
    } catch (e) {
      return Promise.reject(e);
    }
    const changed = this.changed;
    this.changed = new Uint8Array(changed.length);
    return this.write(batch, () => then(changed));
  }

  /** Forgets the key groups written so far (a restore replaces everything anyway). */
  resetChanged(): void {
    this.changed.fill(0);
  }

  /** Serialises every dirty slot (synchronously), marking the key group of each op as changed. */
  private serialise(): Serialised {
    if (this.failure !== undefined) throw this.failed();
    const seq = ++this.seq;
    const ops: BatchOp[] = [];
    const changed = this.changed;
    for (const s of this.dirty) {
      s.dirty = false;
      s.pin = seq;
      if (s.v === undefined) {
        // created and removed between two flushes: nothing on disk to delete
        if (!s.onDisk) continue;
        s.onDisk = false;
        const key = this.keyOf(s);
        changed[keyGroupOfDbKey(key)] = 1;
        ops.push({ type: "del", key });
      } else {
        try {
          const key = this.keyOf(s);
          ops.push({ type: "put", key, value: s.table.state.codec.encode(s.v) });
          changed[keyGroupOfDbKey(key)] = 1;
          s.onDisk = true;
        } catch (cause) {
          this.failure ??= cause;
          this.dirty = [];
          throw cause;
        }
      }
    }
    this.dirty = [];
    return { seq, ops };
  }

  /** Queues the batch of a serialised flush after the writes already queued, then `then`. */
  private write<T>({ seq, ops }: Serialised, then: (() => T) | undefined): Promise<T> {
    this.inFlight = true;
    return this.enqueue(async () => {
      try {
        if (ops.length > 0) await this.db.batch(ops);
      } catch (cause) {
        this.failure ??= cause;
        throw this.failed();
      } finally {
        if (seq === this.seq) this.inFlight = false;
      }
      this.flushedSeq = seq;
      const result = then?.() as T;
      if (this.dirty.length >= this.threshold && !this.scheduled && !this.inFlight) this.schedule();
      return result;
    });
  }

  /** Runs `work` after everything queued before it. */
  enqueue<T>(work: () => Promise<T>): Promise<T> {
    const p = this.tail.then(work);
    this.tail = p.then(
      () => undefined,
      () => undefined,
    );
    return p;
  }

  /** Resolves when everything queued so far has run. */
  settled(): Promise<unknown> {
    return this.tail;
  }

  /**
   * Starts a flush in the next turn of the event loop, not inside the state access that crossed
   * the threshold: the serialisation then runs between record batches, and entries written again
   * before it are serialised once.
   */
  private schedule(): void {
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      if (!this.closed && this.failure === undefined && !this.inFlight && this.dirty.length >= this.threshold) {
        this.flush().catch(() => undefined);
      }
    });
  }

  private failed(): StateError {
    return new StateError(`a flush to LevelDB failed, so state may be lost; restore the backend from a snapshot. Cause: ${String(this.failure)}`, {
      code: "STATE_IO",
      cause: this.failure,
    });
  }
}
