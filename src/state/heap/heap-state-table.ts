import type { KeyId } from "../internal/key-id.js";
import type { RegisteredState } from "../internal/registered-state.js";
import type { StateTable } from "../internal/state-table.js";
import { purge, Purged } from "../internal/ttl.js";
import { noCurrentKey, type AbstractKeyedStateBackend } from "../internal/abstract-keyed-state-backend.js";

/** What a table needs of its backend: the current key, and the copy-on-write hooks of pending snapshots (see `HeapSnapshotJob`). */
export interface HeapTableHost extends AbstractKeyedStateBackend {
  /** Snapshots whose content is fixed but not yet all serialised. */
  readonly pendingSnapshots: number;
  /** Pending snapshots serialise the current key's key group now (its stored objects may be changed in place next). */
  beforeInPlaceChange(): void;
  /** The same for the key group of the key `id`. */
  beforeInPlaceChangeOf(id: KeyId): void;
}

/**
 * One state's entries on the heap: the default namespace ("") in a `Map` from key id to stored
 * value (one lookup per access), other namespaces in a `Map` from namespace to a `Map` from key id
 * to stored value. Namespace-major, because a namespace (a window) is shared by many keys and is
 * short-lived: one map per window, filled by every key and dropped when the window is cleaned up,
 * rather than a small map per (key, window) pair (measured: half the CPU of windowed aggregation).
 * Values are kept as objects, by reference; nothing is serialised until a snapshot. While a
 * snapshot is pending, handing out a stored object (which its caller may change in place) first
 * has the snapshot serialise that key's key group: the copy-on-write of `HeapSnapshotJob`.
 */
export class HeapStateTable implements StateTable {
  readonly byReference = true;
  /** Default-namespace entries. */
  readonly def = new Map<KeyId, unknown>();
  /** Entries of other namespaces: namespace -> key id -> stored value. */
  readonly nsd = new Map<string, Map<KeyId, unknown>>();
  /** The last namespace map touched (windows hit the same one over and over). */
  private lastNs: string | undefined;
  private lastMap: Map<KeyId, unknown> | undefined;
  /** Number of (key, namespace) entries. */
  count = 0;
  private sweepDef: Iterator<[KeyId, unknown]> | undefined;
  private sweepNsd: Iterator<[string, Map<KeyId, unknown>]> | undefined;

  constructor(
    private readonly backend: HeapTableHost,
    readonly state: RegisteredState,
  ) {}

  get(ns: string): unknown {
    const id = this.backend.keyId;
    if (id === undefined) throw noCurrentKey();
    let v: unknown;
    if (ns === "") v = this.def.get(id);
    else {
      const m = this.nsMap(ns);
      v = m === undefined ? undefined : m.get(id);
    }
    if (this.backend.pendingSnapshots !== 0 && typeof v === "object" && v !== null) this.backend.beforeInPlaceChange();
    return v;
  }

  private nsMap(ns: string): Map<KeyId, unknown> | undefined {
    if (ns === this.lastNs) return this.lastMap;
    const m = this.nsd.get(ns);
    if (m !== undefined) {
      this.lastNs = ns;
      this.lastMap = m;
    }
    return m;
  }

  set(ns: string, stored: unknown): void {
    const id = this.backend.keyId;
    if (id === undefined) throw noCurrentKey();
    if (ns === "") {
      const before = this.def.size;
      this.def.set(id, stored);
      if (this.def.size !== before) {
        if (!this.backend.currentKeyInRange()) {
          this.def.delete(id);
          this.backend.checkCurrentKeyInRange();
        }
        this.count++;
      }
      return;
    }
    let m = this.nsMap(ns);
    if (m === undefined) {
      m = new Map();
      this.nsd.set(ns, m);
      this.lastNs = ns;
      this.lastMap = m;
    }
    const before = m.size;
    m.set(id, stored);
    if (m.size !== before) {
      if (!this.backend.currentKeyInRange()) {
        m.delete(id);
        this.backend.checkCurrentKeyInRange();
      }
      this.count++;
    }
  }

  delete(ns: string): void {
    const id = this.backend.keyId;
    if (id === undefined) throw noCurrentKey();
    if (ns === "") {
      if (this.def.delete(id)) this.count--;
      return;
    }
    const m = this.nsMap(ns);
    if (m !== undefined && m.delete(id)) {
      this.count--;
      if (m.size === 0) this.dropNamespace(ns);
    }
  }

  /** Removes a namespace's entries (not the default namespace's) and returns them, key id -> stored value. */
  takeNamespace(ns: string): Map<KeyId, unknown> | undefined {
    const m = this.nsd.get(ns);
    if (m === undefined) return undefined;
    this.dropNamespace(ns);
    this.count -= m.size;
    return m;
  }

  private dropNamespace(ns: string): void {
    this.nsd.delete(ns);
    if (this.lastNs === ns) {
      this.lastNs = undefined;
      this.lastMap = undefined;
    }
  }

  /** Puts a restored entry (no range check: restore filters by key group). */
  putRestored(id: KeyId, ns: string, stored: unknown): void {
    if (ns === "") {
      const before = this.def.size;
      this.def.set(id, stored);
      this.count += this.def.size - before;
      return;
    }
    let m = this.nsd.get(ns);
    if (m === undefined) this.nsd.set(ns, (m = new Map()));
    const before = m.size;
    m.set(id, stored);
    this.count += m.size - before;
  }

  clearAll(): void {
    this.def.clear();
    this.nsd.clear();
    this.lastNs = undefined;
    this.lastMap = undefined;
    this.count = 0;
    this.sweepDef = undefined;
    this.sweepNsd = undefined;
  }

  /** Flink's incremental cleanup: a cursor over the table that resumes where the last sweep stopped. */
  sweep(n: number): void {
    const ttl = this.state.ttl;
    if (ttl === undefined) return;
    const now = ttl.clock();
    const shape = this.state.codec.shape;
    for (let i = 0; i < n; i++) {
      if (this.sweepNsd === undefined) {
        this.sweepDef ??= this.def.entries();
        const r = this.sweepDef.next();
        if (!r.done) {
          if (shape !== "single" && this.backend.pendingSnapshots !== 0) this.backend.beforeInPlaceChangeOf(r.value[0]);
          if (purge(shape, r.value[1], ttl.ttlMs, now) === Purged.Empty) {
            this.def.delete(r.value[0]);
            this.count--;
          }
          continue;
        }
        this.sweepDef = undefined;
        this.sweepNsd = this.nsd.entries();
      }
      const r = this.sweepNsd.next();
      if (r.done) {
        this.sweepNsd = undefined;
        if (this.def.size === 0 && this.nsd.size === 0) return;
        continue;
      }
      this.purgeNamespaces(r.value[0], r.value[1], now);
    }
  }

  /** Removes every expired entry (or element, or map entry); returns how many entries went. No snapshot may be pending. */
  purgeAll(): number {
    const ttl = this.state.ttl;
    if (ttl === undefined) return 0;
    const now = ttl.clock();
    const shape = this.state.codec.shape;
    const before = this.count;
    for (const [id, v] of this.def) {
      if (purge(shape, v, ttl.ttlMs, now) === Purged.Empty) {
        this.def.delete(id);
        this.count--;
      }
    }
    for (const [ns, m] of this.nsd) this.purgeNamespaces(ns, m, now);
    return before - this.count;
  }

  private purgeNamespaces(ns: string, m: Map<KeyId, unknown>, now: number): void {
    const ttl = this.state.ttl!;
    const shape = this.state.codec.shape;
    for (const [id, v] of m) {
      if (shape !== "single" && this.backend.pendingSnapshots !== 0) this.backend.beforeInPlaceChangeOf(id);
      if (purge(shape, v, ttl.ttlMs, now) === Purged.Empty) {
        m.delete(id);
        this.count--;
      }
    }
    if (m.size === 0) this.dropNamespace(ns);
  }
}
