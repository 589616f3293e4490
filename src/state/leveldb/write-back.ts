import type { ClassicLevel } from "classic-level";
import { StateError } from "../../errors.js";
import { keyGroupOfDbKey } from "./db-key.js";
import type { Slot } from "./leveldb-state-table.js";

type BatchOp = { type: "put"; key: Uint8Array; value: Uint8Array } | { type: "del"; key: Uint8Array };

/** How a flush is cut into slices. */
export interface FlushSlicing {
  /** Most entries serialised in one turn of the event loop. */
  readonly sliceEntries: number;
  /** Most time (ms) spent serialising in one turn (checked every few entries; one large value may exceed it). */
  readonly sliceMs: number;
}

/** Most ops, and bytes of values, per `db.batch` call: its native copy of keys and values is synchronous too. */
const WRITE_CHUNK = 2048;
const WRITE_CHUNK_BYTES = 1 << 20;

/**
 * The dirty slots of one flush, captured at once and serialised afterwards, slice by slice or
 * entry by entry (copy-on-write, below).
 */
interface Captured {
  /** The flush's sequence number: a slot with `gen === seq` is in it and not serialised yet. */
  readonly seq: number;
  readonly slots: Slot[];
  /** Slots before this index have been looked at by the slices. */
  next: number;
  /** Serialised ops not handed to `db.batch` yet, and the bytes of their values. */
  ops: BatchOp[];
  bytes: number;
  /** The changed-key-groups set current when it was captured (marked as entries are serialised). */
  readonly changed: Uint8Array;
  /** The first serialisation failure, if any. */
  error: unknown;
  failed: boolean;
}

/**
 * The LevelDB backend's writes: dirty cache slots, captured by a flush and written by `db.batch`
 * calls. Flushes (and anything else `enqueue`d: restores) run one at a time, in order, so LevelDB
 * sees writes in the order they were made. After a failed write or serialisation the state is
 * unknown: every further write and flush throws.
 *
 * **Sliced, copy-on-write flushes.** Capturing a flush is O(1): the list of dirty slots becomes
 * the flush's, and a new generation of dirty slots starts (`open`). Its entries are then
 * serialised in slices of at most `sliceEntries` entries or `sliceMs` ms, one slice per turn of
 * the event loop, so records keep flowing; the content of the flush is still that of the moment
 * of capture, because a slot still waiting in a captured flush (`gen` = that flush's `seq`) is
 * serialised for it (`settle`) before the table hands its value out or changes it: the cached
 * value is the stored object itself, which handles change in place. A slot is in at most one
 * flush waiting for it, and serialised for each flush in order. It stays in the cache, unevictable,
 * until the flush that serialised it last has been written (`pin` <= `flushedSeq`), so reads never
 * reach LevelDB before the write has.
 *
 * It also records which key groups were written (for incremental snapshots): every put and delete
 * that reaches LevelDB after a restore is serialised here, so marking the key group of each op
 * when it is serialised catches every change (writes, clears, TTL purges, namespace merges) at the
 * cost of one byte store per written entry, off the record path. A flush marks the set that was
 * current when it was captured; `snapshotFlush` swaps the set at its capture, the moment a
 * snapshot's content is fixed.
 */
export class WriteBack {
  /** Slots made dirty since the last capture: the open generation. */
  dirty: Slot[] = [];
  /** The generation of `dirty`: the sequence number its flush will have. A slot in it has `gen === open`. */
  open = 1;
  /** Sequence number of the last flush written. */
  flushedSeq = 0;
  /** Set by the backend when it closes: no more background flushes. */
  closed = false;
  /** Largest number of entries serialised by one slice (tests, diagnostics). */
  maxSliceEntries = 0;
  private seq = 0;
  private inFlight = false;
  private scheduled = false;
  private tail: Promise<unknown> = Promise.resolve();
  private failure: unknown = undefined;
  /** Captured flushes not written yet, oldest first. */
  private readonly captured: Captured[] = [];
  /** Key group -> 1 if an op of it was serialised since the last `snapshotFlush` (or `resetChanged`). */
  private changed: Uint8Array;

  constructor(
    private readonly db: ClassicLevel<Uint8Array, Uint8Array>,
    private readonly threshold: number,
    /** The LevelDB key of a slot's entry (`dbKey`: it starts with the key group). */
    private readonly keyOf: (slot: Slot) => Uint8Array,
    maxParallelism: number,
    private readonly slicing: FlushSlicing,
  ) {
    this.changed = new Uint8Array(maxParallelism);
  }

  /**
   * Records a slot as dirty in the open generation (call when `slot.gen !== open`, after `touch`);
   * may schedule a flush.
   */
  markDirty(slot: Slot): void {
    if (this.failure !== undefined) throw this.failed();
    if (slot.gen !== 0 && slot.gen !== this.open) this.settle(slot);
    slot.gen = this.open;
    this.dirty.push(slot);
    if (this.dirty.length >= this.threshold && !this.scheduled && !this.inFlight) this.schedule();
  }

  /**
   * Serialises `slot` for the captured flush still waiting for it (copy-on-write): called before
   * its value is handed out or changed. The table checks `gen` inline first; this is the slow path.
   */
  settle(slot: Slot): void {
    for (const c of this.captured) {
      if (c.seq === slot.gen) {
        this.serialiseOne(c, slot);
        return;
      }
    }
    slot.gen = 0; // its flush failed and is gone
  }

  /**
   * Captures every dirty slot now and queues their writing after the writes already queued;
   * `then` runs in the same link of the chain, right after the last batch.
   */
  flush<T = void>(then?: () => T): Promise<T> {
    let c: Captured;
    try {
      c = this.capture(this.changed);
    } catch (e) {
      return Promise.reject(e);
    }
    return this.write(c, then);
  }

  /**
   * `flush` for a snapshot: in the same synchronous step as the capture of the dirty slots (the
   * moment the snapshot's content is fixed), takes the set of key groups written since the
   * previous call and starts a new one, so writes made after it count for the next snapshot.
   * `then(changed)` runs in the same link of the chain, right after the flush's last batch, before
   * any later write.
   */
  snapshotFlush<T>(then: (changed: Uint8Array) => T): Promise<T> {
    let c: Captured;
    try {
      c = this.capture(this.changed);
    } catch (e) {
      return Promise.reject(e);
    }
    this.changed = new Uint8Array(c.changed.length);
    return this.write(c, () => then(c.changed));
  }

  /** Forgets the key groups written so far (a restore replaces everything anyway). */
  resetChanged(): void {
    this.changed = new Uint8Array(this.changed.length);
  }

  /** Forgets the open generation without writing it (a restore replaces everything). */
  dropOpen(): void {
    for (const s of this.dirty) if (s.gen === this.open) s.gen = 0;
    this.dirty = [];
  }

  /** Makes the open generation a captured flush: O(1), no serialisation. */
  private capture(changed: Uint8Array): Captured {
    if (this.failure !== undefined) throw this.failed();
    const seq = ++this.seq;
    this.open = seq + 1;
    const c: Captured = { seq, slots: this.dirty, next: 0, ops: [], bytes: 0, changed, error: undefined, failed: false };
    this.dirty = [];
    this.captured.push(c);
    this.inFlight = true;
    return c;
  }

  /** Serialises `s` for `c` (it must be waiting in `c`); a failure is kept in `c`, never thrown here. */
  private serialiseOne(c: Captured, s: Slot): void {
    s.gen = 0;
    s.pin = c.seq;
    if (c.failed) return;
    if (s.v === undefined) {
      // created and removed between two flushes: nothing on disk to delete
      if (!s.onDisk) return;
      s.onDisk = false;
      const key = this.keyOf(s);
      c.changed[keyGroupOfDbKey(key)] = 1;
      c.ops.push({ type: "del", key });
      return;
    }
    try {
      const key = this.keyOf(s);
      const value = s.table.state.codec.encode(s.v);
      c.ops.push({ type: "put", key, value });
      c.bytes += value.length;
      c.changed[keyGroupOfDbKey(key)] = 1;
      s.onDisk = true;
    } catch (cause) {
      c.error = cause;
      c.failed = true;
      this.failure ??= cause;
    }
  }

  /** One slice: serialises the next entries of `c` still waiting, within the slice's bounds; true when `c` is done. */
  private serialiseSlice(c: Captured): boolean {
    const { sliceEntries, sliceMs } = this.slicing;
    const slots = c.slots;
    const seq = c.seq;
    const until = performance.now() + sliceMs;
    let n = 0;
    let i = c.next;
    for (; i < slots.length && n < sliceEntries; i++) {
      const s = slots[i];
      if (s.gen !== seq) continue; // serialised already, on demand
      this.serialiseOne(c, s);
      n++;
      // a large value (a CEP key's buffer) can take a millisecond: look at the clock after each
      if (performance.now() >= until || c.bytes >= WRITE_CHUNK_BYTES) {
        i++;
        break;
      }
    }
    c.next = i;
    if (n > this.maxSliceEntries) this.maxSliceEntries = n;
    return i >= slots.length;
  }

  /** Queues the slices and batches of a captured flush after the writes already queued, then `then`. */
  private write<T>(c: Captured, then: (() => T) | undefined): Promise<T> {
    return this.enqueue(async () => {
      // batches of one flush go out concurrently (its keys are distinct); the next flush waits for all
      const batches: Array<Promise<void>> = [];
      try {
        for (;;) {
          const done = this.serialiseSlice(c);
          if (c.failed) throw c.error;
          if (c.ops.length >= WRITE_CHUNK || c.bytes >= WRITE_CHUNK_BYTES || (done && c.ops.length > 0)) {
            const ops = c.ops;
            c.ops = [];
            c.bytes = 0;
            batches.push(this.db.batch(ops));
          }
          if (done) break;
          await yieldTurn();
        }
        await Promise.all(batches);
      } catch (cause) {
        await Promise.allSettled(batches);
        // the slots it still holds are forgotten (they stay cached, dirty no more), as before slicing
        for (let i = c.next; i < c.slots.length; i++) if (c.slots[i].gen === c.seq) c.slots[i].gen = 0;
        this.finished(c);
        const serialisation = c.failed;
        this.failure ??= cause;
        throw serialisation ? cause : this.failed();
      }
      this.finished(c);
      this.flushedSeq = c.seq;
      const result = then?.() as T;
      if (this.dirty.length >= this.threshold && !this.scheduled && !this.inFlight) this.schedule();
      return result;
    });
  }

  private finished(c: Captured): void {
    const i = this.captured.indexOf(c);
    if (i >= 0) this.captured.splice(i, 1);
    if (c.seq === this.seq) this.inFlight = false;
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
   * the threshold: the capture then happens between record batches, and entries written again
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

/** Resolves in a later turn of the event loop, after pending I/O callbacks. */
function yieldTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
