import type { BackendOptions, KeyedStateSnapshot, KeyGroupRange, SnapshotOptions, StateKey } from "../api.js";
import { AbstractKeyedStateBackend } from "../internal/abstract-keyed-state-backend.js";
import { keyFromId, keyGroupOfId, type KeyId } from "../internal/key-id.js";
import { codecForRun, decodeRunValue, RUN_BYTES, storedFlags } from "../internal/packed-key-group.js";
import type { RegisteredState } from "../internal/registered-state.js";
import { DEFAULT_SLICE_ENTRIES, HeapSnapshotJob, type RestoredValue } from "./heap-snapshot.js";
import { HeapStateTable, type HeapTableHost } from "./heap-state-table.js";

/** Options of the heap backend (`heapBackend(options)`). */
export interface HeapBackendOptions {
  /**
   * Entries a snapshot serialises per turn of the event loop after the barrier (default 10,000,
   * about 5 ms): smaller slices let records through sooner, larger ones finish the snapshot in
   * fewer turns.
   */
  readonly snapshotSliceEntries?: number;
}

/**
 * Keyed state on the JS heap, as Flink's `HeapKeyedStateBackend`: per state a `HeapStateTable`
 * of live objects, no serialisation on the hot path (a state access is one or two `Map`
 * lookups). Snapshots are copy-on-write (`HeapSnapshotJob`): `snapshot()` files a reference to
 * every stored value under its key group, which fixes the content (it is the state at the moment
 * of the call), and serialises key groups in slices between turns of the event loop, or at once
 * when the job is about to change one of their objects in place. A restore keeps entries of
 * states not registered yet as they came, and decodes them when the state is registered.
 *
 * TTL background cleanup: every access to a state with `cleanupInBackground` examines a couple
 * of entries of that state (a cursor over its table), and `cleanupExpired()` sweeps everything.
 */
export class HeapKeyedStateBackend extends AbstractKeyedStateBackend implements HeapTableHost {
  private readonly tables = new Map<string, HeapStateTable>();
  /** Restored entries of states not registered yet: state -> namespace -> key id -> value. */
  private readonly pending = new Map<string, Map<string, Map<KeyId, RestoredValue>>>();
  /** Snapshots whose content is fixed and whose serialisation is not finished, oldest first. */
  private readonly jobs: HeapSnapshotJob[] = [];
  private readonly sliceEntries: number;

  constructor(options: BackendOptions, heapOptions: HeapBackendOptions = {}) {
    super(options);
    this.sliceEntries = heapOptions.snapshotSliceEntries ?? DEFAULT_SLICE_ENTRIES;
  }

  get pendingSnapshots(): number {
    return this.jobs.length;
  }

  beforeInPlaceChange(): void {
    const kg = this.getCurrentKeyGroup();
    // backwards: a job that finishes removes itself
    for (let i = this.jobs.length - 1; i >= 0; i--) this.jobs[i].ensure(kg);
  }

  beforeInPlaceChangeOf(id: KeyId): void {
    const kg = keyGroupOfId(id, this.maxParallelism);
    for (let i = this.jobs.length - 1; i >= 0; i--) this.jobs[i].ensure(kg);
  }

  protected register(state: RegisteredState): HeapStateTable {
    const table = new HeapStateTable(this, state);
    this.tables.set(state.name, table);
    const restored = this.pending.get(state.name);
    if (restored !== undefined) {
      this.pending.delete(state.name);
      for (const [ns, entries] of restored) {
        for (const [id, e] of entries) table.putRestored(id, ns, decodeRunValue(state.codec, e.flags, e.value, this.restoredAt));
      }
    }
    return table;
  }

  getKeys(stateName: string): StateKey[] {
    const ids = new Set<KeyId>();
    const table = this.tables.get(stateName);
    if (table !== undefined) {
      for (const id of table.def.keys()) ids.add(id);
      for (const m of table.nsd.values()) for (const id of m.keys()) ids.add(id);
    }
    for (const m of this.pending.get(stateName)?.values() ?? []) for (const id of m.keys()) ids.add(id);
    return Array.from(ids, keyFromId);
  }

  /**
   * A namespace's entries are one `Map` here (see `HeapStateTable`): it is detached from the table
   * in one step and walked in insertion order, with no lookup per key.
   */
  drainNamespace(stateName: string, namespace: string, fn: (value: unknown) => void): void {
    this.drain(stateName, namespace, this.tables.get(stateName), (table) => {
      // forEach: no [key, value] array per entry, as for-of allocates
      table.takeNamespace(namespace)?.forEach((value, id) => {
        // fn may change the stored object in place: pending snapshots take its key group first
        if (this.jobs.length !== 0 && typeof value === "object" && value !== null) this.beforeInPlaceChangeOf(id);
        this.setCurrentKey(keyFromId(id));
        fn(value);
      });
    });
  }

  size(): number {
    let n = 0;
    for (const t of this.tables.values()) n += t.count;
    for (const byNs of this.pending.values()) for (const m of byNs.values()) n += m.size;
    return n;
  }

  async cleanupExpired(): Promise<number> {
    this.checkOpen();
    this.finishSnapshots();
    let removed = 0;
    for (const t of this.tables.values()) if (t.state.ttl?.background) removed += t.purgeAll();
    return removed;
  }

  async flush(): Promise<void> {
    this.checkOpen();
  }

  /**
   * Always a full snapshot: `options.incremental` is ignored (no `unchanged`). Telling which key
   * groups changed would take the key group of every key on every access (handles that store by
   * reference let operators change a stored object in place without a write through the
   * backend), a cost on every record for a gain only when writes touch few key groups. With
   * `options.packed`, key groups are packed whole (`packed-key-group.ts`).
   */
  snapshot(range?: KeyGroupRange, options?: SnapshotOptions): Promise<KeyedStateSnapshot> {
    try {
      this.checkOpen();
      const job = new HeapSnapshotJob(this.snapshotRange(range), this.maxParallelism, options?.packed === true, this.sliceEntries, (j) => {
        const i = this.jobs.indexOf(j);
        if (i >= 0) this.jobs.splice(i, 1);
      });
      for (const [name, t] of this.tables) {
        const codec = t.state.codec;
        const flags = codec.defaultSerializers ? storedFlags(codec.shape, codec.withTtl) : RUN_BYTES;
        job.capture(name, flags, "", codec, t.def);
        for (const [ns, m] of t.nsd) job.capture(name, flags, ns, codec, m);
      }
      for (const [name, byNs] of this.pending) {
        for (const [ns, entries] of byNs) {
          const flagSet = new Set<number>();
          for (const e of entries.values()) flagSet.add(e.flags);
          for (const flags of flagSet) job.captureRestored(name, flags, ns, (flags & RUN_BYTES) !== 0 ? undefined : codecForRun(name, flags), entries);
        }
      }
      this.jobs.push(job);
      job.start();
      return job.promise;
    } catch (e) {
      return Promise.reject(e);
    }
  }

  async restore(snapshots: readonly KeyedStateSnapshot[]): Promise<void> {
    this.checkOpen();
    const runs = [...this.runsInRange(snapshots)];
    this.finishSnapshots();
    for (const t of this.tables.values()) t.clearAll();
    this.pending.clear();
    this.restoredAt = this.clock();
    for (const r of runs) {
      const t = this.tables.get(r.name);
      const items = r.items;
      if (t !== undefined) {
        const codec = t.state.codec;
        for (let k = 0; k < items.length; k += 2) t.putRestored(items[k] as KeyId, r.namespace, decodeRunValue(codec, r.flags, items[k + 1], this.restoredAt));
        continue;
      }
      let byNs = this.pending.get(r.name);
      if (byNs === undefined) this.pending.set(r.name, (byNs = new Map()));
      let entries = byNs.get(r.namespace);
      if (entries === undefined) byNs.set(r.namespace, (entries = new Map()));
      for (let k = 0; k < items.length; k += 2) entries.set(items[k] as KeyId, { keyGroup: r.keyGroup, flags: r.flags, value: items[k + 1] });
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.finishSnapshots();
    this.closed = true;
    for (const t of this.tables.values()) t.clearAll();
    this.pending.clear();
  }

  /** Serialises what pending snapshots have left, now (before changes that bypass the copy-on-write hooks). */
  private finishSnapshots(): void {
    for (const job of this.jobs.slice()) job.finish();
  }
}
