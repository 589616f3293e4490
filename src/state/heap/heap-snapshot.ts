import { StateError } from "../../errors.js";
import type { KeyedStateSnapshot, KeyGroupRange } from "../api.js";
import { encodedKeyOfId, keyGroupOfId, type KeyId } from "../internal/key-id.js";
import { packKeyGroup, RUN_BYTES } from "../internal/packed-key-group.js";
import type { StateCodec } from "../internal/state-codec.js";

type SnapshotEntry = [string, Uint8Array, string, Uint8Array];

/**
 * A restored entry of a state not registered yet: entry bytes (`flags` has `RUN_BYTES`), or a
 * stored form from a packed key group with its run flags.
 */
export interface RestoredValue {
  readonly keyGroup: number;
  readonly flags: number;
  readonly value: unknown;
}

/**
 * One (state, namespace) run of a key group as it was at the barrier: ids and values,
 * interleaved. `flags` are the flags of the packed run to write (`packed-key-group.ts`). With a
 * `codec` the values are stored forms, which `codec.encode` turns into entry bytes; without one
 * they are entry bytes already.
 */
export interface CapturedRun {
  readonly name: string;
  readonly flags: number;
  readonly namespace: string;
  readonly codec: StateCodec | undefined;
  readonly items: unknown[];
}

/** Entries serialised per turn of the event loop by default: about 5 ms of work. */
export const DEFAULT_SLICE_ENTRIES = 10_000;

/**
 * A heap snapshot in progress, after Flink's copy-on-write heap snapshots, with the key group as
 * the unit of copy. At the barrier, `capture` walks the tables once and files a reference to every
 * stored value under its key group (tens of nanoseconds per entry: no serialisation, no copy).
 * Replacing or removing an entry afterwards changes the tables, not these references. What could
 * still reach the captured values is a change made to a stored object in place, which always
 * starts with the table handing the object out (`HeapStateTable.get`) for the current key, or
 * with a TTL sweep: so before either, the backend has every pending snapshot serialise that key's
 * key group (`ensure`), if not done yet. The rest is serialised in slices of about `sliceEntries`
 * entries, one per turn of the event loop, so that records keep flowing meanwhile.
 *
 * A key group is serialised once, either way: packed (one `v8.serialize` of all of it, see
 * `packKeyGroup`) or entry by entry (`keyGroups`, one codec call per entry), as the caller asked.
 */
export class HeapSnapshotJob {
  readonly promise: Promise<KeyedStateSnapshot>;
  private resolve!: (s: KeyedStateSnapshot) => void;
  private reject!: (e: unknown) => void;
  /** Runs per key group (index `kg - range.start`) until serialised. */
  private readonly runs: Array<CapturedRun[] | undefined>;
  private readonly keyGroups: Record<number, SnapshotEntry[]> = {};
  private readonly packedGroups: Record<number, Uint8Array> = {};
  private left = 0;
  private cursor = 0;
  private done = false;
  /** Per key group: the run of the map being captured (valid when `stamp` equals the map's). */
  private readonly current: Array<CapturedRun | undefined>;
  private readonly stamp: Int32Array;
  private mapStamp = 0;

  constructor(
    private readonly range: KeyGroupRange,
    private readonly maxParallelism: number,
    private readonly packed: boolean,
    private readonly sliceEntries: number,
    /** Called once the job is settled (done or failed). */
    private readonly onSettled: (job: HeapSnapshotJob) => void,
  ) {
    const n = range.end - range.start + 1;
    this.runs = new Array(n);
    this.current = new Array(n);
    this.stamp = new Int32Array(n).fill(-1);
    this.promise = new Promise((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }

  /** Files the entries of one map (one state, one namespace) under their key groups. */
  capture(name: string, flags: number, namespace: string, codec: StateCodec, entries: Map<KeyId, unknown>): void {
    const stamp = ++this.mapStamp;
    const { start, end } = this.range;
    const full = start === 0 && end === this.maxParallelism - 1;
    for (const [id, value] of entries) {
      const kg = keyGroupOfId(id, this.maxParallelism);
      if (!full && (kg < start || kg > end)) continue;
      this.runAt(kg - start, stamp, name, flags, namespace, codec).items.push(id, value);
    }
  }

  /** Files restored entries of a state not registered yet (those with these `flags` only). */
  captureRestored(name: string, flags: number, namespace: string, codec: StateCodec | undefined, entries: Map<KeyId, RestoredValue>): void {
    const stamp = ++this.mapStamp;
    const { start, end } = this.range;
    for (const [id, e] of entries) {
      if (e.flags !== flags || e.keyGroup < start || e.keyGroup > end) continue;
      this.runAt(e.keyGroup - start, stamp, name, flags, namespace, codec).items.push(id, e.value);
    }
  }

  private runAt(i: number, stamp: number, name: string, flags: number, namespace: string, codec: StateCodec | undefined): CapturedRun {
    if (this.stamp[i] === stamp) return this.current[i]!;
    const run: CapturedRun = { name, flags, namespace, codec, items: [] };
    this.current[i] = run;
    this.stamp[i] = stamp;
    (this.runs[i] ??= []).push(run);
    return run;
  }

  /** Capture is over: serialisation starts at the next turn of the event loop. */
  start(): void {
    this.current.length = 0;
    for (const r of this.runs) if (r !== undefined) this.left++;
    if (this.left === 0) this.complete();
    else setImmediate(this.slice);
  }

  /** Resolved or rejected. */
  get settled(): boolean {
    return this.done;
  }

  /** Serialises key group `kg` now, if this snapshot has it and has not yet. */
  ensure(kg: number): void {
    const i = kg - this.range.start;
    if (i >= 0 && i < this.runs.length && this.runs[i] !== undefined) this.serialise(i);
  }

  /** Serialises everything left, now. */
  finish(): void {
    for (let i = this.cursor; i < this.runs.length && !this.done; i++) if (this.runs[i] !== undefined) this.serialise(i);
    this.cursor = this.runs.length;
    this.complete();
  }

  private readonly slice = (): void => {
    let budget = this.sliceEntries;
    while (budget > 0 && this.cursor < this.runs.length && !this.done) {
      const runs = this.runs[this.cursor];
      if (runs !== undefined) {
        for (const r of runs) budget -= r.items.length >> 1;
        this.serialise(this.cursor);
      }
      this.cursor++;
    }
    if (this.done) return;
    if (this.cursor < this.runs.length) setImmediate(this.slice);
    else this.complete();
  };

  private serialise(i: number): void {
    const runs = this.runs[i]!;
    this.runs[i] = undefined;
    this.left--;
    const kg = i + this.range.start;
    try {
      if (this.packed) {
        this.packedGroups[kg] = packKeyGroup(runs.map((r) => (r.codec === undefined || (r.flags & RUN_BYTES) === 0 ? r : { ...r, items: encodeValues(r) })));
      } else {
        const out: SnapshotEntry[] = [];
        for (const r of runs) {
          const items = r.items;
          const codec = r.codec;
          for (let k = 0; k < items.length; k += 2) {
            const v = items[k + 1];
            out.push([r.name, encodedKeyOfId(items[k] as KeyId), r.namespace, codec === undefined ? (v as Uint8Array) : codec.encode(v)]);
          }
        }
        this.keyGroups[kg] = out;
      }
    } catch (e) {
      this.fail(e);
    }
    if (this.left === 0) this.complete();
  }

  private complete(): void {
    if (this.done || this.left > 0) return;
    this.done = true;
    this.onSettled(this);
    const base = { version: 1 as const, maxParallelism: this.maxParallelism, keyGroups: this.keyGroups };
    this.resolve(this.packed ? { ...base, packed: this.packedGroups } : base);
  }

  private fail(e: unknown): void {
    if (this.done) return;
    this.done = true;
    this.runs.fill(undefined);
    this.onSettled(this);
    this.reject(e instanceof StateError ? e : new StateError(`heap snapshot failed: ${String(e)}`, { code: "STATE_SERIALIZATION", cause: e }));
  }
}

/** A run's values as entry bytes (states with a custom serialiser). */
function encodeValues(r: CapturedRun): unknown[] {
  const out = r.items.slice();
  for (let k = 1; k < out.length; k += 2) out[k] = r.codec!.encode(out[k]);
  return out;
}
