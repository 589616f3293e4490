/**
 * The keyed-state API, as Flink's: state is declared with a descriptor, obtained from the backend,
 * and always scoped to the backend's current key (set by the runtime before each record or timer)
 * and to the handle's current namespace (windows use the window as namespace; everything else
 * uses the default namespace ""). Every call is synchronous: the hot path never awaits.
 *
 * Values are to be treated as immutable once written: change a copy and `update()` it. The heap
 * backend keeps references and the LevelDB backend keeps bytes, so mutating a value in place
 * behaves differently on the two; writing it back behaves the same on both.
 */

/** A key of keyed state: what a `keyBy` selector returns. */
export type StateKey = string | number | boolean | bigint | null | readonly unknown[] | { readonly [k: string]: unknown };

/** Turns values into bytes and back, for the LevelDB backend and snapshots. */
export interface TypeSerializer<T> {
  serialize(value: T): Uint8Array;
  deserialize(bytes: Uint8Array): T;
}

/** When a state entry's time-to-live is reset. */
export type TtlUpdateType = "OnCreateAndWrite" | "OnReadAndWrite";
/** Whether an expired entry not yet cleaned up may still be returned. */
export type TtlStateVisibility = "NeverReturnExpired" | "ReturnExpiredIfNotCleanedUp";

/** Time-to-live of state entries, in processing time (the backend's clock), as Flink's `StateTtlConfig`. */
export interface StateTtlConfig {
  readonly ttlMs: number;
  readonly updateType: TtlUpdateType;
  readonly stateVisibility: TtlStateVisibility;
  /** Expired entries are also removed by a background sweep, not only when read. */
  readonly cleanupInBackground: boolean;
}

export type StateKind = "value" | "list" | "map" | "reducing" | "aggregating";

interface DescriptorBase<K extends StateKind> {
  readonly kind: K;
  /** Unique per operator; names the state in snapshots. */
  readonly name: string;
  readonly ttl?: StateTtlConfig;
}

export interface ValueStateDescriptor<T> extends DescriptorBase<"value"> {
  readonly defaultValue?: T;
  readonly serializer?: TypeSerializer<T>;
}
export interface ListStateDescriptor<T> extends DescriptorBase<"list"> {
  readonly serializer?: TypeSerializer<T>;
}
export interface MapStateDescriptor<UK, UV> extends DescriptorBase<"map"> {
  readonly keySerializer?: TypeSerializer<UK>;
  readonly valueSerializer?: TypeSerializer<UV>;
}
export interface ReducingStateDescriptor<T> extends DescriptorBase<"reducing"> {
  readonly reduce: (a: T, b: T) => T;
  readonly serializer?: TypeSerializer<T>;
}
/** Incremental aggregation, as Flink's `AggregateFunction`. `merge` is needed by merging (session) windows. */
export interface AggregateFunction<IN, ACC, OUT> {
  createAccumulator(): ACC;
  add(value: IN, accumulator: ACC): ACC;
  getResult(accumulator: ACC): OUT;
  merge?(a: ACC, b: ACC): ACC;
}
export interface AggregatingStateDescriptor<IN, ACC, OUT> extends DescriptorBase<"aggregating"> {
  readonly aggregate: AggregateFunction<IN, ACC, OUT>;
  readonly serializer?: TypeSerializer<ACC>;
}

export type StateDescriptor =
  | ValueStateDescriptor<any>
  | ListStateDescriptor<any>
  | MapStateDescriptor<any, any>
  | ReducingStateDescriptor<any>
  | AggregatingStateDescriptor<any, any, any>;

/** Common to every state handle. */
export interface State {
  /** Removes the current key's (and namespace's) entry. */
  clear(): void;
}

export interface ValueState<T> extends State {
  /** The value, or the descriptor's default (undefined when none) if nothing is stored. */
  value(): T | undefined;
  update(value: T): void;
}

export interface ListState<T> extends State {
  /** A snapshot of the list (empty when nothing is stored). */
  get(): T[];
  add(value: T): void;
  addAll(values: readonly T[]): void;
  update(values: readonly T[]): void;
}

export interface MapState<UK, UV> extends State {
  get(key: UK): UV | undefined;
  put(key: UK, value: UV): void;
  putAll(entries: Iterable<readonly [UK, UV]>): void;
  remove(key: UK): void;
  contains(key: UK): boolean;
  entries(): Array<[UK, UV]>;
  keys(): UK[];
  values(): UV[];
  isEmpty(): boolean;
}

export interface ReducingState<T> extends State {
  get(): T | undefined;
  add(value: T): void;
}

export interface AggregatingState<IN, OUT> extends State {
  get(): OUT | undefined;
  add(value: IN): void;
}

/** The runtime's view of a state handle: it can move between namespaces (windows). */
export interface InternalKvState {
  setCurrentNamespace(namespace: string): void;
  /**
   * True when a value read from this handle is the stored object itself (heap backend, no TTL):
   * an operator that changed it in place need not write it back. Otherwise it must `update`.
   */
  readonly storesByReference: boolean;
  /** Merges the given namespaces' entries into `target` (merging windows); needs `merge` for aggregating state. */
  mergeNamespaces(target: string, sources: readonly string[]): void;
}

export type StateFor<D> = D extends ValueStateDescriptor<infer T>
  ? ValueState<T>
  : D extends ListStateDescriptor<infer T>
    ? ListState<T>
    : D extends MapStateDescriptor<infer K, infer V>
      ? MapState<K, V>
      : D extends ReducingStateDescriptor<infer T>
        ? ReducingState<T>
        : D extends AggregatingStateDescriptor<infer I, any, infer O>
          ? AggregatingState<I, O>
          : never;

/** An inclusive range of key groups, as Flink's `KeyGroupRange`. */
export interface KeyGroupRange {
  readonly start: number;
  readonly end: number;
}

/**
 * A backend's state for a range of key groups, in a form that survives the process: per key group,
 * the serialised entries of every state. Restoring it into a backend that owns another range keeps
 * only the key groups in that range (rescaling).
 */
export interface KeyedStateSnapshot {
  readonly version: 1;
  readonly maxParallelism: number;
  /**
   * key group -> entries, each `[stateName, key bytes, namespace, value bytes]`. A full snapshot
   * omits empty key groups; an incremental one has every changed key group of its range, with an
   * empty array when none of its entries is left.
   */
  readonly keyGroups: Record<number, Array<[string, Uint8Array, string, Uint8Array]>>;
  /**
   * Incremental snapshots only: the key groups of the range whose entries are exactly those of the
   * backend's previous `snapshot()` call (ascending; their entries are not in `keyGroups`). Every
   * key group of the range is either here or a key of `keyGroups`, never both. `restore()` refuses
   * a snapshot that has this field (`STATE_INCOMPLETE_SNAPSHOT`): resolve it against the earlier
   * snapshots first.
   */
  readonly unchanged?: readonly number[];
  /**
   * Snapshots taken with `packed` only: key groups stored whole, key group -> bytes (the heap
   * backend's packed format, docs/state.md), instead of entry by entry in `keyGroups`. A key group
   * is in at most one of `keyGroups`, `packed` and `unchanged`. `restore()` reads it on both
   * backends; whoever stores a snapshot must keep it.
   */
  readonly packed?: Record<number, Uint8Array>;
}

/** How to take a snapshot. */
export interface SnapshotOptions {
  /**
   * Leave out key groups unchanged since the previous snapshot, listing them in `unchanged` (where
   * the backend can: LevelDB; the heap backend always takes a full snapshot). Honoured only when
   * there was a `snapshot()` call, full or incremental, since the backend was created or last
   * restored, with the same range; otherwise the snapshot is full, without `unchanged`.
   */
  readonly incremental?: boolean;
  /**
   * The backend may put whole key groups in `packed` instead of listing their entries in
   * `keyGroups` (the heap backend does: one serialisation per key group instead of one per entry,
   * about 10 times cheaper). For callers that keep the snapshot as it is (checkpoint storage);
   * without it, every key group is listed entry by entry.
   */
  readonly packed?: boolean;
}

/**
 * Keyed state of one operator subtask: entries are scoped to (state, key, namespace) and grouped
 * by key group. All reads and writes are synchronous; `flush`, `snapshot`, `restore` and `close`
 * are the only asynchronous calls.
 */
export interface KeyedStateBackend {
  readonly maxParallelism: number;
  /** The key groups this backend owns. */
  readonly keyGroupRange: KeyGroupRange;
  /** Sets the key that every state handle reads and writes until the next call. */
  setCurrentKey(key: StateKey): void;
  getCurrentKey(): StateKey;
  /** The current key's key group. */
  getCurrentKeyGroup(): number;
  /** The handle for a descriptor, created on first use; the same handle for the same name. */
  getPartitionedState<D extends StateDescriptor>(descriptor: D): StateFor<D> & InternalKvState;
  /** Every key that has an entry in the named state (any namespace). */
  getKeys(stateName: string): StateKey[];
  /** Calls `fn` with the current key set to each key that has an entry in the named state. */
  applyToAllKeys(stateName: string, fn: (key: StateKey) => void): void;
  /**
   * Removes every entry of one namespace of the named state at once, calling `fn` for each first,
   * in the order the entries were created, with the current key set to the entry's key and the
   * stored value (the state must have no TTL). What a window operator uses to fire a window for
   * all its keys. Optional: only backends that keep a namespace's entries together have it (the
   * heap); where it is missing, use `applyToAllKeys`.
   */
  drainNamespace?(stateName: string, namespace: string, fn: (value: unknown) => void): void;
  /** Writes buffered changes to durable storage (a no-op on heap). */
  flush(): Promise<void>;
  /** All entries of the owned key groups (or of `range`), serialised. */
  snapshot(range?: KeyGroupRange, options?: SnapshotOptions): Promise<KeyedStateSnapshot>;
  /**
   * Loads the entries of the snapshots that fall in this backend's range; existing state is
   * replaced. Refuses a snapshot with `unchanged`; the next snapshot after a restore is full.
   */
  restore(snapshots: readonly KeyedStateSnapshot[]): Promise<void>;
  /** Number of (state, key, namespace) entries held. */
  size(): number;
  close(): Promise<void>;
  /**
   * Removes every expired entry of the states whose TTL has `cleanupInBackground`, wherever it
   * is (on LevelDB: on disk too); resolves to the number of entries removed. The runtime may
   * call it on a processing-time timer. Optional so that other implementations stay valid; both
   * built-in backends have it.
   */
  cleanupExpired?(): Promise<number>;
}

/** Options common to backends. */
export interface BackendOptions {
  maxParallelism: number;
  keyGroupRange: KeyGroupRange;
  /** Processing-time clock for TTL (ms). Defaults to `Date.now`. */
  clock?: () => number;
}

/** Builds a backend for one operator subtask; the runtime calls it once per keyed operator subtask. */
export interface StateBackendFactory {
  readonly name: string;
  create(options: BackendOptions & { operatorId: string; subtaskIndex: number }): Promise<KeyedStateBackend>;
}
