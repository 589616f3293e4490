import { mkdir, rm } from "node:fs/promises";
import { ClassicLevel } from "classic-level";
import { StateError } from "../../errors.js";
import type { BackendOptions, KeyedStateSnapshot, KeyGroupRange, SnapshotOptions, StateKey } from "../api.js";
import { checkKeyGroupRange, checkMaxParallelism, keyGroupForEncoded } from "../key-group.js";
import { AbstractKeyedStateBackend } from "../internal/abstract-keyed-state-backend.js";
import { encodedKeyOfId, keyFromId, keyIdOfEncoded, type KeyId } from "../internal/key-id.js";
import type { RegisteredState } from "../internal/registered-state.js";
import { purge, Purged } from "../internal/ttl.js";
import { dbKey, keyGroupBounds, parseDbKey } from "./db-key.js";
import { LevelDbStateTable, type Slot, type SlotCache } from "./leveldb-state-table.js";
import { StateMeta } from "./state-meta.js";
import { WriteBack } from "./write-back.js";

/** Tuning of the LevelDB backend's write-back cache. */
export interface LevelDbCacheOptions {
  /** Entries (state, key, namespace) kept deserialised in memory; default 100,000. */
  cacheEntries?: number;
  /**
   * Dirty entries that start an asynchronous flush (one `db.batch`); default half of
   * `cacheEntries`. Flushing late lets repeated writes to a hot entry coalesce into one
   * serialisation (see docs/state.md for the measurements).
   */
  flushThreshold?: number;
  /**
   * Most entries a flush (or the flush that starts a snapshot) serialises in one turn of the event
   * loop; default 1,000. A flush is cut into slices so that it never blocks the job for long.
   */
  flushSliceEntries?: number;
  /** Most time (ms) a slice of a flush serialises before it yields; default 4. */
  flushSliceMs?: number;
}

type Db = ClassicLevel<Uint8Array, Uint8Array>;

const READ_BATCH = 1024;
const WRITE_BATCH = 4096;

/**
 * Keyed state in LevelDB (classic-level), one store per operator subtask, in the manner of
 * Flink's RocksDB backend: entries are rows keyed `[key group][state id][key][namespace]` (see
 * `dbKey`), each holding one whole stored value (a list or a map is one row, because reads must be
 * synchronous and classic-level iterates only asynchronously). In front of LevelDB is a bounded
 * write-back cache of deserialised values (`LevelDbStateTable`): a hit costs what a heap access
 * costs; a miss is a synchronous `getSync` and a deserialisation; writes mark entries dirty, and
 * once `flushThreshold` are dirty, the next turn of the event loop captures them (O(1)) and a flush
 * serialises them in slices of `flushSliceEntries` entries or `flushSliceMs` ms per turn,
 * copy-on-write (`WriteBack`), writing them with asynchronous `db.batch` calls, during which they
 * stay cached (so reads never see LevelDB behind the cache).
 * Flushes run one at a time, in order. Eviction is CLOCK-like: an eviction pass drops the clean
 * entries not touched since the previous pass.
 *
 * The directory is working storage, wiped when the backend is created; durability comes from
 * `snapshot()` (checkpoints), as in Flink. No state access may run while `restore()` runs.
 */
export class LevelDbKeyedStateBackend extends AbstractKeyedStateBackend implements SlotCache {
  /** The eviction epoch: a slot touched since the last eviction pass carries the current one. */
  epoch = 1;
  private readonly metas = new Map<string, StateMeta>();
  private readonly metaById: StateMeta[] = [];
  private readonly tables = new Map<string, LevelDbStateTable>();
  /** Per state, the namespaces the last restore wrote (see `LevelDbStateTable.spilled`). */
  private readonly restoredNamespaces = new Map<string, Set<string>>();
  private readonly cacheEntries: number;
  readonly writes: WriteBack;
  private cached = 0;
  private evictAt: number;
  private encodedId: KeyId | undefined = undefined;
  private encoded: Uint8Array | undefined = undefined;
  /**
   * The previous `snapshot()` call since creation or the last restore: the base of an incremental
   * snapshot. `ok` settles true when its result was delivered, false when it failed.
   */
  private lastSnapshot: { readonly range: KeyGroupRange; readonly ok: Promise<boolean> } | undefined = undefined;

  private constructor(options: BackendOptions & LevelDbCacheOptions, private readonly db: Db) {
    super(options);
    this.cacheEntries = options.cacheEntries ?? 100_000;
    const flushThreshold = options.flushThreshold ?? Math.max(1, this.cacheEntries >>> 1);
    this.evictAt = this.cacheEntries;
    this.writes = new WriteBack(
      db,
      flushThreshold,
      (s) => {
        const bytes = encodedKeyOfId(s.id);
        return dbKey(keyGroupForEncoded(bytes, this.maxParallelism), s.table.meta.id, bytes, s.ns);
      },
      this.maxParallelism,
      { sliceEntries: options.flushSliceEntries ?? 1000, sliceMs: options.flushSliceMs ?? 4 },
    );
  }

  /** Opens a backend on a fresh store at `path` (anything there is deleted first). */
  static async open(options: BackendOptions & LevelDbCacheOptions & { path: string }): Promise<LevelDbKeyedStateBackend> {
    if (options.cacheEntries !== undefined) positiveInt(options.cacheEntries, "cacheEntries");
    if (options.flushThreshold !== undefined) positiveInt(options.flushThreshold, "flushThreshold");
    if (options.flushSliceEntries !== undefined) positiveInt(options.flushSliceEntries, "flushSliceEntries");
    if (options.flushSliceMs !== undefined && !(options.flushSliceMs > 0)) {
      throw new StateError(`flushSliceMs must be a positive number, got ${options.flushSliceMs}`, { code: "STATE_INVALID_ARGUMENT" });
    }
    checkMaxParallelism(options.maxParallelism);
    checkKeyGroupRange(options.keyGroupRange, options.maxParallelism);
    await rm(options.path, { recursive: true, force: true });
    await mkdir(options.path, { recursive: true });
    const db: Db = new ClassicLevel<Uint8Array, Uint8Array>(options.path, { keyEncoding: "view", valueEncoding: "view" });
    await db.open();
    try {
      return new LevelDbKeyedStateBackend(options, db);
    } catch (e) {
      await db.close();
      throw e;
    }
  }

  protected register(state: RegisteredState): LevelDbStateTable {
    const table = new LevelDbStateTable(this, state, this.metaFor(state.name));
    this.tables.set(state.name, table);
    for (const ns of this.restoredNamespaces.get(state.name) ?? []) table.spilled.add(ns);
    return table;
  }

  /**
   * As on the heap, when every entry of the namespace has a slot in the cache (the usual case for
   * a window: its entries were made since the last restore and none was evicted): the namespace's
   * slots in the order they were made, each removed through the write-back. Otherwise (see
   * `LevelDbStateTable.spilled`) every key of the state is read for it.
   */
  drainNamespace(stateName: string, namespace: string, fn: (value: unknown) => void): void {
    this.drain(stateName, namespace, this.tables.get(stateName), (table) => {
      if (table.spilled.has(namespace)) {
        for (const key of this.getKeys(stateName)) {
          this.setCurrentKey(key);
          const v = table.get(namespace);
          if (v === undefined) continue;
          table.delete(namespace);
          fn(v);
        }
        table.spilled.delete(namespace); // every row of it is deleted now (by the next flush)
        return;
      }
      table.nsd.get(namespace)?.forEach((s) => {
        const v = table.take(s);
        if (v === undefined) return;
        this.setCurrentKey(keyFromId(s.id));
        fn(v);
      });
    });
  }


  getKeys(stateName: string): StateKey[] {
    const meta = this.metas.get(stateName);
    return meta === undefined ? [] : Array.from(meta.keys.keys(), keyFromId);
  }

  size(): number {
    let n = 0;
    for (const m of this.metaById) n += m.count;
    return n;
  }

  readCurrent(stateId: number, ns: string): Uint8Array | undefined {
    if (this.encodedId !== this.keyId || this.encoded === undefined) {
      this.encoded = encodedKeyOfId(this.keyId!);
      this.encodedId = this.keyId;
    }
    return this.get(dbKey(this.getCurrentKeyGroup(), stateId, this.encoded, ns));
  }

  markDirty(slot: Slot): void {
    this.writes.markDirty(slot);
  }

  slotAdded(): void {
    if (++this.cached >= this.evictAt) this.evict();
  }

  /** The timestamp for stored entries without one (see `restoredAt`). */
  stampOfUntimed(): number {
    return this.restoredAt;
  }

  async flush(): Promise<void> {
    this.checkOpen();
    await this.writes.flush();
  }

  /**
   * Incremental snapshots: the write-back marks the key group of every entry it writes; the set is
   * swapped when a snapshot's content is fixed (the flush that starts its scan). An incremental
   * snapshot then scans only the key groups marked since the previous call (one iterator per run of
   * contiguous changed key groups, all on one LevelDB snapshot), so its cost is that of what
   * changed. A key group written to and back to what it was counts as changed.
   *
   * If the previous call fails, an incremental snapshot based on it is rejected too
   * (`STATE_SNAPSHOT_BASE_FAILED`), and the next snapshot is full.
   */
  async snapshot(range?: KeyGroupRange, options?: SnapshotOptions): Promise<KeyedStateSnapshot> {
    this.checkOpen();
    const r = this.snapshotRange(range);
    const base = this.lastSnapshot;
    const incremental = options?.incremental === true && base !== undefined && base.range.start === r.start && base.range.end === r.end;
    let settle!: (ok: boolean) => void;
    const self = { range: { start: r.start, end: r.end }, ok: new Promise<boolean>((resolve) => (settle = resolve)) };
    this.lastSnapshot = self;
    try {
      // the flush captures the dirty entries (copy-on-write, O(1)) and swaps the changed key groups
      // synchronously, in this call, then serialises and writes them in slices; the LevelDB
      // snapshot is taken in the same link of the write chain, after that flush's last batch and
      // before any later write, so it sees exactly the state as of this call
      const read = await this.writes.snapshotFlush((changed) => {
        const runs = incremental ? changedRuns(changed, r) : [r];
        return { changed, runs, dbSnapshot: runs.length === 0 ? undefined : this.db.snapshot() };
      });
      const keyGroups: KeyedStateSnapshot["keyGroups"] = {};
      let unchanged: number[] | undefined = undefined;
      if (incremental) {
        unchanged = [];
        for (let kg = r.start; kg <= r.end; kg++) {
          if (read.changed[kg] === 0) unchanged.push(kg);
          else keyGroups[kg] = [];
        }
      }
      if (read.dbSnapshot !== undefined) {
        try {
          for (const run of read.runs) await this.scan(run, read.dbSnapshot, keyGroups);
        } finally {
          await read.dbSnapshot.close();
        }
      }
      if (incremental && !(await base!.ok)) {
        throw new StateError("the previous snapshot, the base of this incremental one, failed; the next snapshot will be full", {
          code: "STATE_SNAPSHOT_BASE_FAILED",
          retriable: true,
        });
      }
      settle(true);
      return unchanged === undefined
        ? { version: 1, maxParallelism: this.maxParallelism, keyGroups }
        : { version: 1, maxParallelism: this.maxParallelism, keyGroups, unchanged };
    } catch (e) {
      settle(false);
      // the caller does not have this snapshot: it cannot be the base of the next one
      if (this.lastSnapshot === self) this.lastSnapshot = undefined;
      throw e;
    }
  }

  /** Adds the entries of the key groups of `range`, as of `dbSnapshot`, to `keyGroups`. */
  private async scan(range: KeyGroupRange, dbSnapshot: ReturnType<Db["snapshot"]>, keyGroups: KeyedStateSnapshot["keyGroups"]): Promise<void> {
    const it = this.db.iterator({ ...keyGroupBounds(range), snapshot: dbSnapshot });
    try {
      for (let rows = await it.nextv(READ_BATCH); rows.length > 0; rows = await it.nextv(READ_BATCH)) {
        for (const [k, v] of rows) {
          const p = parseDbKey(k);
          const meta = this.metaById[p.stateId];
          if (meta === undefined) throw new StateError(`corrupt LevelDB state store: unknown state id ${p.stateId}`, { code: "STATE_CORRUPT" });
          (keyGroups[p.keyGroup] ??= []).push([meta.name, p.keyBytes, p.namespace, v]);
        }
      }
    } finally {
      await it.close();
    }
  }

  async restore(snapshots: readonly KeyedStateSnapshot[]): Promise<void> {
    this.checkOpen();
    const entries = [...this.entriesInRange(snapshots)];
    this.restoredAt = this.clock();
    for (const t of this.tables.values()) t.clearCache();
    for (const m of this.metaById) m.reset();
    // the restored rows are on disk only: their namespaces must be read on a miss
    this.restoredNamespaces.clear();
    for (const e of entries) {
      let set = this.restoredNamespaces.get(e.stateName);
      if (set === undefined) this.restoredNamespaces.set(e.stateName, (set = new Set()));
      set.add(e.namespace);
    }
    for (const [name, t] of this.tables) for (const ns of this.restoredNamespaces.get(name) ?? []) t.spilled.add(ns);
    this.writes.dropOpen();
    this.cached = 0;
    // the next snapshot is full: its base would be state this restore replaces
    this.lastSnapshot = undefined;
    this.writes.resetChanged();
    await this.writes.enqueue(async () => {
      await this.db.clear();
      const seen = new Set<string>();
      let batch = this.db.batch();
      for (const e of entries) {
        const meta = this.metaFor(e.stateName);
        const key = dbKey(e.keyGroup, meta.id, e.keyBytes, e.namespace);
        const k = key.toString("latin1");
        if (!seen.has(k)) {
          seen.add(k);
          meta.added(keyIdOfEncoded(e.keyBytes));
        }
        batch.put(key, e.value);
        if (batch.length >= WRITE_BATCH) {
          await batch.write();
          batch = this.db.batch();
        }
      }
      await batch.write();
    });
  }

  async cleanupExpired(): Promise<number> {
    this.checkOpen();
    const byId = new Map<number, LevelDbStateTable>();
    let removed = 0;
    for (const t of this.tables.values()) {
      if (!t.state.ttl?.background) continue;
      byId.set(t.meta.id, t);
      removed += t.purgeCached();
    }
    if (byId.size === 0) return removed;
    // entries not cached: scan the keys, re-read each candidate synchronously (the scan's
    // snapshot may be older than the cache), and purge through the cache so a flush writes it
    const it = this.db.keys(keyGroupBounds(this.keyGroupRange));
    try {
      for (let keys = await it.nextv(READ_BATCH); keys.length > 0 && !this.closed; keys = await it.nextv(READ_BATCH)) {
        for (const k of keys) {
          const p = parseDbKey(k);
          const t = byId.get(p.stateId);
          if (t === undefined) continue;
          const id = keyIdOfEncoded(p.keyBytes);
          if (t.lookup(id, p.namespace) !== undefined) continue;
          const bytes = this.get(k);
          if (bytes === undefined) continue;
          const ttl = t.state.ttl!;
          const now = ttl.clock();
          const stored = t.state.codec.decode(bytes, this.restoredAt);
          const r = purge(t.state.codec.shape, stored, ttl.ttlMs, now);
          if (r === Purged.Unchanged) continue;
          t.adoptPurged(id, p.namespace, r === Purged.Empty ? undefined : stored);
          if (r === Purged.Empty) removed++;
        }
      }
    } finally {
      await it.close();
    }
    return removed;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    try {
      await this.writes.flush();
    } finally {
      this.closed = true;
      this.writes.closed = true;
      await this.writes.settled();
      await this.db.close();
    }
  }

  private get(key: Uint8Array): Uint8Array | undefined {
    try {
      return this.db.getSync(key);
    } catch (cause) {
      throw new StateError(`LevelDB read failed: ${String(cause)}`, { code: "STATE_IO", retriable: true, cause });
    }
  }

  private metaFor(name: string): StateMeta {
    let meta = this.metas.get(name);
    if (meta === undefined) {
      if (this.metaById.length > 0xffff) throw new StateError("too many states in one backend (65,536)", { code: "STATE_LIMIT" });
      meta = new StateMeta(this.metaById.length, name);
      this.metas.set(name, meta);
      this.metaById.push(meta);
    }
    return meta;
  }

  /** Drops the clean, unpinned entries not touched since the previous pass (CLOCK-like). */
  private evict(): void {
    const epoch = this.epoch;
    const flushed = this.writes.flushedSeq;
    for (const t of this.tables.values()) {
      for (const s of t.def.values()) {
        if (s.gen === 0 && s.pin <= flushed && s.epoch < epoch) {
          t.def.delete(s.id);
          this.cached--;
        }
      }
      for (const [ns, m] of t.nsd) {
        for (const s of m.values()) {
          if (s.gen === 0 && s.pin <= flushed && s.epoch < epoch) {
            m.delete(s.id);
            this.cached--;
            // its row is now in LevelDB only: a miss in this namespace has to read
            if (s.onDisk) t.spilled.add(ns);
          }
        }
        if (m.size === 0) t.nsd.delete(ns);
      }
    }
    this.epoch++;
    this.evictAt = Math.max(this.cacheEntries, this.cached + (this.cacheEntries >>> 2) + 1);
  }
}

/** The runs of contiguous key groups of `range` marked in `changed`, in order. */
function changedRuns(changed: Uint8Array, range: KeyGroupRange): KeyGroupRange[] {
  const runs: KeyGroupRange[] = [];
  for (let kg = range.start; kg <= range.end; kg++) {
    if (changed[kg] === 0) continue;
    const start = kg;
    while (kg < range.end && changed[kg + 1] !== 0) kg++;
    runs.push({ start, end: kg });
  }
  return runs;
}

function positiveInt(n: number, what: string): number {
  if (!Number.isInteger(n) || n < 1) throw new StateError(`${what} must be a positive integer, got ${n}`, { code: "STATE_INVALID_ARGUMENT" });
  return n;
}
