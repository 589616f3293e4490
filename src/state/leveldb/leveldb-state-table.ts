import { noCurrentKey } from "../internal/abstract-keyed-state-backend.js";
import type { KeyId } from "../internal/key-id.js";
import type { RegisteredState } from "../internal/registered-state.js";
import type { StateTable } from "../internal/state-table.js";
import { purge, Purged } from "../internal/ttl.js";
import type { StateMeta } from "./state-meta.js";

/** A cached entry: its deserialised stored value (undefined: known absent) and cache bookkeeping. */
export class Slot {
  /**
   * 0 when clean; otherwise the sequence number of the flush whose serialisation of this entry is
   * still due: the write-back's open generation (dirty since the last capture) or a captured flush
   * being serialised in slices (then the slot must be `settle`d before its value is handed out or
   * changed).
   */
  gen = 0;
  /** Whether LevelDB holds a row for this entry (read from it, or written by a flush): a delete of an entry never written needs no write. */
  onDisk = false;
  /** Sequence number of the last flush that serialised this slot; pinned in the cache until that flush is written. */
  pin = 0;

  constructor(
    readonly table: LevelDbStateTable,
    readonly id: KeyId,
    readonly ns: string,
    public v: unknown,
    public epoch: number,
  ) {}
}

/** The part of the write-back a table checks on every access (see `WriteBack`). */
export interface SlotWrites {
  /** The open generation: a slot with `gen === open` is dirty and waits for the next capture. */
  readonly open: number;
  /** Serialises a slot for the captured flush that waits for it (copy-on-write). */
  settle(slot: Slot): void;
}

/** What a table needs from its backend. */
export interface SlotCache {
  readonly writes: SlotWrites;
  readonly keyId: KeyId | undefined;
  readonly epoch: number;
  /** The stored bytes of the current key's entry in `ns` (`getSync`), or undefined. */
  readCurrent(stateId: number, ns: string): Uint8Array | undefined;
  /** Records a slot as dirty in the open generation (call when `slot.gen !== writes.open`). */
  markDirty(slot: Slot): void;
  /** Called after a slot is added to a table (may evict others, never the new one). */
  slotAdded(): void;
  checkCurrentKeyInRange(): void;
  /** The timestamp given to restored entries that carry none (the restore's time). */
  stampOfUntimed(): number;
}

/**
 * The cache of one state on the LevelDB backend: deserialised stored values by key id (default
 * namespace) and by key id then namespace (others), like `HeapStateTable`. A miss reads LevelDB
 * synchronously (`getSync`) unless the state's key index says the key has no entry at all;
 * writes only mark the slot dirty, for the backend's write-back flush.
 */
export class LevelDbStateTable implements StateTable {
  readonly byReference = false;
  readonly def = new Map<KeyId, Slot>();
  /** Cached slots of other namespaces: namespace -> key id -> slot (one map per window, as on the heap). */
  readonly nsd = new Map<string, Map<KeyId, Slot>>();
  /**
   * Namespaces (not the default one) that may have rows in LevelDB with no slot here: a slot of
   * theirs was evicted, or a restore wrote them. In any other namespace every entry has a slot,
   * so a miss is an absent entry and needs no read (a new window's first element for each key).
   */
  readonly spilled = new Set<string>();
  private sweepDef: Iterator<Slot> | undefined;
  private sweepNsd: Iterator<Map<KeyId, Slot>> | undefined;

  constructor(
    private readonly cache: SlotCache,
    readonly state: RegisteredState,
    readonly meta: StateMeta,
  ) {}

  get(ns: string): unknown {
    const id = this.cache.keyId;
    if (id === undefined) throw noCurrentKey();
    const s = ns === "" ? this.def.get(id) : this.nsd.get(ns)?.get(id);
    if (s !== undefined) {
      s.epoch = this.cache.epoch;
      // handed out: the caller may change it in place, so a captured flush waiting for it takes it now
      if (s.gen !== 0 && s.gen !== this.cache.writes.open) this.cache.writes.settle(s);
      return s.v;
    }
    if (!this.meta.keys.has(id)) return undefined;
    return this.load(id, ns, this.mayBeOnDisk(ns) ? this.cache.readCurrent(this.meta.id, ns) : undefined).v;
  }

  set(ns: string, stored: unknown): void {
    const s = this.slot(ns);
    if (s.v === undefined) {
      if (!this.meta.keys.has(s.id)) this.cache.checkCurrentKeyInRange();
      this.meta.added(s.id);
    }
    s.v = stored;
    if (s.gen !== this.cache.writes.open) this.cache.markDirty(s);
  }

  delete(ns: string): void {
    const id = this.cache.keyId;
    if (id === undefined) throw noCurrentKey();
    if (!this.meta.keys.has(id)) return;
    const s = this.slot(ns);
    this.remove(s);
  }

  /**
   * Caches the purged value of an entry that was read from disk, not from the cache (TTL cleanup of
   * entries nobody accessed): `purged` undefined means nothing is left. Dirty, so a flush writes it.
   */
  adoptPurged(id: KeyId, ns: string, purged: unknown): void {
    const slot = new Slot(this, id, ns, purged, this.cache.epoch);
    slot.onDisk = true;
    const s = this.insert(slot);
    if (purged === undefined) this.meta.removed(id);
    this.cache.markDirty(s);
  }

  lookup(id: KeyId, ns: string): Slot | undefined {
    return ns === "" ? this.def.get(id) : this.nsd.get(ns)?.get(id);
  }

  /** Drops a slot from the cache (eviction). */
  evict(s: Slot): void {
    if (s.ns === "") this.def.delete(s.id);
    else {
      const m = this.nsd.get(s.ns);
      if (m !== undefined && m.delete(s.id) && m.size === 0) this.nsd.delete(s.ns);
    }
  }

  clearCache(): void {
    this.def.clear();
    this.nsd.clear();
    this.spilled.clear();
    this.sweepDef = undefined;
    this.sweepNsd = undefined;
  }

  /** Incremental TTL cleanup over the cached entries (entries only on disk: `cleanupExpired`). */
  sweep(n: number): void {
    for (let i = 0; i < n; i++) {
      if (this.sweepNsd === undefined) {
        this.sweepDef ??= this.def.values();
        const r = this.sweepDef.next();
        if (!r.done) {
          this.purgeSlot(r.value);
          continue;
        }
        this.sweepDef = undefined;
        this.sweepNsd = this.nsd.values();
      }
      const r = this.sweepNsd.next();
      if (r.done) {
        this.sweepNsd = undefined;
        if (this.def.size === 0 && this.nsd.size === 0) return;
        continue;
      }
      for (const s of r.value.values()) this.purgeSlot(s);
    }
  }

  /** Applies the TTL purge to every cached slot; returns how many entries went. */
  purgeCached(): number {
    let removed = 0;
    for (const s of this.def.values()) removed += this.purgeSlot(s);
    for (const m of this.nsd.values()) for (const s of m.values()) removed += this.purgeSlot(s);
    return removed;
  }

  private purgeSlot(s: Slot): number {
    const ttl = this.state.ttl;
    if (s.v === undefined || ttl === undefined) return 0;
    // the purge changes the value in place
    if (s.gen !== 0 && s.gen !== this.cache.writes.open) this.cache.writes.settle(s);
    const r = purge(this.state.codec.shape, s.v, ttl.ttlMs, ttl.clock());
    if (r === Purged.Empty) {
      this.remove(s);
      return 1;
    }
    if (r === Purged.Changed && s.gen !== this.cache.writes.open) this.cache.markDirty(s);
    return 0;
  }

  private remove(s: Slot): void {
    if (s.v === undefined) return;
    this.meta.removed(s.id);
    s.v = undefined;
    if (s.gen !== this.cache.writes.open) this.cache.markDirty(s);
  }

  /** The current key's slot for `ns`, loaded or created. */
  private slot(ns: string): Slot {
    const id = this.cache.keyId;
    if (id === undefined) throw noCurrentKey();
    const s = ns === "" ? this.def.get(id) : this.nsd.get(ns)?.get(id);
    if (s !== undefined) {
      s.epoch = this.cache.epoch;
      if (s.gen !== 0 && s.gen !== this.cache.writes.open) this.cache.writes.settle(s);
      return s;
    }
    return this.load(id, ns, this.meta.keys.has(id) && this.mayBeOnDisk(ns) ? this.cache.readCurrent(this.meta.id, ns) : undefined);
  }

  /** Whether an entry of `ns` without a slot may still have a row (see `spilled`). */
  private mayBeOnDisk(ns: string): boolean {
    return ns === "" || this.spilled.has(ns);
  }

  /**
   * Removes a cached entry and returns its stored value, for `drainNamespace` (a slot whose value
   * is undefined is an absent entry: nothing to take).
   */
  take(s: Slot): unknown {
    const v = s.v;
    if (v === undefined) return undefined;
    // handed out: a captured flush waiting for it takes it first
    if (s.gen !== 0 && s.gen !== this.cache.writes.open) this.cache.writes.settle(s);
    this.remove(s);
    return v;
  }

  private load(id: KeyId, ns: string, bytes: Uint8Array | undefined): Slot {
    const v = bytes === undefined ? undefined : this.state.codec.decode(bytes, this.cache.stampOfUntimed());
    const slot = new Slot(this, id, ns, v, this.cache.epoch);
    slot.onDisk = bytes !== undefined;
    return this.insert(slot);
  }

  private insert(s: Slot): Slot {
    if (s.ns === "") this.def.set(s.id, s);
    else {
      let m = this.nsd.get(s.ns);
      if (m === undefined) this.nsd.set(s.ns, (m = new Map()));
      m.set(s.id, s);
    }
    this.cache.slotAdded();
    return s;
  }
}
