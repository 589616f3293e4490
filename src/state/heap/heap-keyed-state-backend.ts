import type { BackendOptions, KeyedStateSnapshot, KeyGroupRange, SnapshotOptions, StateKey } from "../api.js";
import { keyGroupFor, rangeContains } from "../key-group.js";
import { AbstractKeyedStateBackend, type RestoredEntry } from "../internal/abstract-keyed-state-backend.js";
import { encodedKeyOfId, keyFromId, keyIdOfEncoded, type KeyId } from "../internal/key-id.js";
import type { RegisteredState } from "../internal/registered-state.js";
import { HeapStateTable } from "./heap-state-table.js";

type SnapshotEntry = [string, Uint8Array, string, Uint8Array];

/**
 * Keyed state on the JS heap, as Flink's `HeapKeyedStateBackend`: per state a `HeapStateTable`
 * of live objects, no serialisation on the hot path (a state access is one or two `Map`
 * lookups). Snapshots serialise every entry with the descriptors' serialisers, grouped by key
 * group, in one synchronous pass (so a snapshot is the state at the moment `snapshot()` is
 * called). A restore keeps entries of states not yet registered as bytes, and deserialises them
 * when the state is registered.
 *
 * TTL background cleanup: every access to a state with `cleanupInBackground` examines a couple
 * of entries of that state (a cursor over its table), and `cleanupExpired()` sweeps everything.
 */
export class HeapKeyedStateBackend extends AbstractKeyedStateBackend {
  private readonly tables = new Map<string, HeapStateTable>();
  /** Restored entries of states not registered yet, as bytes, by state then key bytes and namespace. */
  private readonly pending = new Map<string, Map<string, RestoredEntry>>();

  constructor(options: BackendOptions) {
    super(options);
  }

  protected register(state: RegisteredState): HeapStateTable {
    const table = new HeapStateTable(this, state);
    this.tables.set(state.name, table);
    const restored = this.pending.get(state.name);
    if (restored !== undefined) {
      this.pending.delete(state.name);
      for (const e of restored.values()) table.putRestored(keyIdOfEncoded(e.keyBytes), e.namespace, state.codec.decode(e.value, this.restoredAt));
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
    for (const e of this.pending.get(stateName)?.values() ?? []) ids.add(keyIdOfEncoded(e.keyBytes));
    return Array.from(ids, keyFromId);
  }

  size(): number {
    let n = 0;
    for (const t of this.tables.values()) n += t.count;
    for (const entries of this.pending.values()) n += entries.size;
    return n;
  }

  async cleanupExpired(): Promise<number> {
    this.checkOpen();
    let removed = 0;
    for (const t of this.tables.values()) if (t.state.ttl?.background) removed += t.purgeAll();
    return removed;
  }

  async flush(): Promise<void> {
    this.checkOpen();
  }

  /**
   * Always a full snapshot: `options.incremental` is ignored (no `unchanged`). The heap backend
   * cannot tell cheaply which key groups changed: handles that store by reference let operators
   * change a stored object in place without any write through the backend, so tracking writes
   * would miss those changes, and comparing with the previous snapshot means serialising
   * everything anyway, which is the whole cost of a heap snapshot.
   */
  async snapshot(range?: KeyGroupRange, _options?: SnapshotOptions): Promise<KeyedStateSnapshot> {
    this.checkOpen();
    const r = this.snapshotRange(range);
    const keyGroups: Record<number, SnapshotEntry[]> = {};
    const keys = new Map<KeyId, { keyGroup: number; bytes: Uint8Array }>();
    const keyOf = (id: KeyId) => {
      let k = keys.get(id);
      if (k === undefined) {
        k = { keyGroup: keyGroupFor(keyFromId(id), this.maxParallelism), bytes: encodedKeyOfId(id) };
        keys.set(id, k);
      }
      return k;
    };
    const add = (keyGroup: number, entry: SnapshotEntry) => {
      if (rangeContains(r, keyGroup)) (keyGroups[keyGroup] ??= []).push(entry);
    };
    for (const [name, t] of this.tables) {
      const codec = t.state.codec;
      for (const [id, v] of t.def) {
        const k = keyOf(id);
        if (rangeContains(r, k.keyGroup)) add(k.keyGroup, [name, k.bytes, "", codec.encode(v)]);
      }
      for (const [ns, m] of t.nsd) {
        for (const [id, v] of m) {
          const k = keyOf(id);
          if (rangeContains(r, k.keyGroup)) add(k.keyGroup, [name, k.bytes, ns, codec.encode(v)]);
        }
      }
    }
    for (const [name, entries] of this.pending) {
      for (const e of entries.values()) add(e.keyGroup, [name, e.keyBytes, e.namespace, e.value]);
    }
    return { version: 1, maxParallelism: this.maxParallelism, keyGroups };
  }

  async restore(snapshots: readonly KeyedStateSnapshot[]): Promise<void> {
    this.checkOpen();
    const entries = [...this.entriesInRange(snapshots)];
    for (const t of this.tables.values()) t.clearAll();
    this.pending.clear();
    this.restoredAt = this.clock();
    for (const e of entries) {
      const t = this.tables.get(e.stateName);
      if (t !== undefined) t.putRestored(keyIdOfEncoded(e.keyBytes), e.namespace, t.state.codec.decode(e.value, this.restoredAt));
      else {
        let entries = this.pending.get(e.stateName);
        if (entries === undefined) this.pending.set(e.stateName, (entries = new Map()));
        entries.set(`${e.keyBytes.length}:${Buffer.from(e.keyBytes.buffer, e.keyBytes.byteOffset, e.keyBytes.length).toString("latin1")}${e.namespace}`, e);
      }
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.tables.values()) t.clearAll();
    this.pending.clear();
  }
}
