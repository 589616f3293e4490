import { StateError } from "../../errors.js";
import type {
  BackendOptions,
  InternalKvState,
  KeyedStateBackend,
  KeyedStateSnapshot,
  KeyGroupRange,
  SnapshotOptions,
  State,
  StateDescriptor,
  StateFor,
  StateKey,
} from "../api.js";
import { checkKeyGroupRange, checkMaxParallelism, keyGroupFor, keyGroupForEncoded, rangeContains } from "../key-group.js";
import { createHandle } from "./handles/create-handle.js";
import { encodedKeyOfId, keyIdOf, keyIdOfEncoded, type KeyId } from "./key-id.js";
import { codecForRun, RUN_BYTES, runValueBytes, unpackKeyGroup, type PackedRun } from "./packed-key-group.js";
import { RegisteredState } from "./registered-state.js";
import type { StateTable } from "./state-table.js";

/** A state's registration and its handle. */
export interface StateEntry {
  readonly state: RegisteredState;
  readonly handle: State & InternalKvState;
}

/** One entry of a snapshot, checked and in range. */
export interface RestoredEntry {
  readonly keyGroup: number;
  readonly stateName: string;
  readonly keyBytes: Uint8Array;
  readonly namespace: string;
  readonly value: Uint8Array;
}

/** A run of restored entries of one state and namespace in one key group, checked and in range (see `PackedRun`). */
export interface RestoredRun extends PackedRun {
  readonly keyGroup: number;
}

/**
 * What both backends share: the current key (and its id and lazily computed key group), the
 * registry of states and their handles, `applyToAllKeys`, and the checks on snapshots. A
 * subclass supplies the storage: a `StateTable` per state, and snapshot, restore, flush, close.
 */
export abstract class AbstractKeyedStateBackend implements KeyedStateBackend {
  readonly maxParallelism: number;
  readonly keyGroupRange: KeyGroupRange;
  protected readonly clock: () => number;
  /** The current key's id (see `keyIdOf`), read by the tables on every access; undefined before the first `setCurrentKey`. */
  keyId: KeyId | undefined = undefined;
  private currentKey: StateKey | undefined = undefined;
  private currentKeyGroup = -1;
  protected readonly states = new Map<string, StateEntry>();
  protected closed = false;
  /**
   * When the last restore ran (the backend's creation before any): the timestamp given to
   * restored entries that carry none but whose state has a TTL, on both backends alike.
   */
  restoredAt: number;

  constructor(options: BackendOptions) {
    checkMaxParallelism(options.maxParallelism);
    checkKeyGroupRange(options.keyGroupRange, options.maxParallelism);
    this.maxParallelism = options.maxParallelism;
    this.keyGroupRange = { start: options.keyGroupRange.start, end: options.keyGroupRange.end };
    this.clock = options.clock ?? Date.now;
    this.restoredAt = this.clock();
  }

  setCurrentKey(key: StateKey): void {
    if (key === this.currentKey) return;
    if (key === undefined) throw new StateError("the current key cannot be undefined", { code: "STATE_NO_KEY" });
    this.keyId = keyIdOf(key);
    this.currentKey = key;
    this.currentKeyGroup = -1;
  }

  getCurrentKey(): StateKey {
    if (this.currentKey === undefined) throw noCurrentKey();
    return this.currentKey;
  }

  getCurrentKeyGroup(): number {
    if (this.currentKeyGroup < 0) this.currentKeyGroup = keyGroupFor(this.getCurrentKey(), this.maxParallelism);
    return this.currentKeyGroup;
  }

  /** Whether the current key belongs to this backend's key groups. */
  currentKeyInRange(): boolean {
    if (this.keyGroupRange.start === 0 && this.keyGroupRange.end === this.maxParallelism - 1) return true;
    return rangeContains(this.keyGroupRange, this.getCurrentKeyGroup());
  }

  /** Throws `StateError` unless the current key belongs to this backend's key groups (checked when a key gets its first entry). */
  checkCurrentKeyInRange(): void {
    const kg = this.getCurrentKeyGroup();
    if (!rangeContains(this.keyGroupRange, kg)) {
      throw new StateError(
        `key ${describeKey(this.currentKey)} is in key group ${kg}, outside this backend's range [${this.keyGroupRange.start}, ${this.keyGroupRange.end}]`,
        { code: "STATE_KEY_OUT_OF_RANGE" },
      );
    }
  }

  getPartitionedState<D extends StateDescriptor>(descriptor: D): StateFor<D> & InternalKvState {
    this.checkOpen();
    const existing = this.states.get(descriptor?.name);
    if (existing !== undefined) {
      if (existing.state.descriptor.kind !== descriptor.kind) {
        throw new StateError(`state "${descriptor.name}" is ${existing.state.descriptor.kind} state; it cannot be obtained as ${descriptor.kind} state`, {
          code: "STATE_INCOMPATIBLE_DESCRIPTOR",
        });
      }
      return existing.handle as unknown as StateFor<D> & InternalKvState;
    }
    const state = new RegisteredState(descriptor, this.clock);
    const handle = createHandle(state, this.register(state));
    this.states.set(state.name, { state, handle });
    return handle as unknown as StateFor<D> & InternalKvState;
  }

  applyToAllKeys(stateName: string, fn: (key: StateKey) => void): void {
    const previous = this.currentKey;
    try {
      for (const key of this.getKeys(stateName)) {
        this.setCurrentKey(key);
        fn(key);
      }
    } finally {
      if (previous !== undefined) this.setCurrentKey(previous);
    }
  }

  /**
   * The frame of both backends' `drainNamespace`: its checks (not the default namespace, a state
   * without TTL), then `walk` (skipped when the state has no table), then the previous current key
   * put back.
   */
  protected drain<T extends { readonly state: RegisteredState }>(stateName: string, namespace: string, table: T | undefined, walk: (table: T) => void): void {
    this.checkOpen();
    if (namespace === "") throw new StateError("drainNamespace: the default namespace cannot be drained", { code: "STATE_INVALID_ARGUMENT" });
    if (table === undefined) return;
    if (table.state.ttl !== undefined) throw new StateError(`drainNamespace: state "${stateName}" has a TTL`, { code: "STATE_INVALID_ARGUMENT" });
    const previous = this.currentKey;
    try {
      walk(table);
    } finally {
      if (previous !== undefined) this.setCurrentKey(previous);
    }
  }

  /** Removes expired entries of every state with a TTL and background cleanup; resolves to how many entries went. */
  abstract cleanupExpired(): Promise<number>;
  abstract getKeys(stateName: string): StateKey[];
  abstract flush(): Promise<void>;
  abstract snapshot(range?: KeyGroupRange, options?: SnapshotOptions): Promise<KeyedStateSnapshot>;
  abstract restore(snapshots: readonly KeyedStateSnapshot[]): Promise<void>;
  abstract size(): number;
  abstract close(): Promise<void>;

  /** Creates the storage of a newly registered state (and loads what a restore left for it). */
  protected abstract register(state: RegisteredState): StateTable;

  protected checkOpen(): void {
    if (this.closed) throw new StateError("the state backend is closed", { code: "STATE_CLOSED" });
  }

  /** The range to snapshot: this backend's, or `range` (checked). */
  protected snapshotRange(range: KeyGroupRange | undefined): KeyGroupRange {
    if (range === undefined) return this.keyGroupRange;
    checkKeyGroupRange(range, this.maxParallelism);
    return range;
  }

  /**
   * The entries of `snapshots` that fall in this backend's key groups, in order. Throws
   * `StateError` on a snapshot of another version or max parallelism, or whose recorded key group
   * of an entry is not its key's.
   */
  protected *entriesInRange(snapshots: readonly KeyedStateSnapshot[]): Generator<RestoredEntry> {
    for (const s of snapshots) checkSnapshot(s, this.maxParallelism);
    for (const s of snapshots) {
      for (const [group, entries] of Object.entries(s.keyGroups)) {
        const keyGroup = Number(group);
        if (!rangeContains(this.keyGroupRange, keyGroup)) continue;
        for (const [stateName, keyBytes, namespace, value] of entries) {
          if (keyGroupForEncoded(keyBytes, this.maxParallelism) !== keyGroup) {
            throw new StateError(`snapshot entry of state "${stateName}" is recorded in key group ${keyGroup}, but its key hashes elsewhere`, {
              code: "STATE_SNAPSHOT_INVALID",
            });
          }
          yield { keyGroup, stateName, keyBytes, namespace, value };
        }
      }
      // packed key groups, entry by entry: stored forms become the bytes they would have had
      for (const run of this.packedRunsOf(s)) {
        const codec = (run.flags & RUN_BYTES) !== 0 ? undefined : codecForRun(run.name, run.flags);
        const items = run.items;
        for (let k = 0; k < items.length; k += 2) {
          yield {
            keyGroup: run.keyGroup,
            stateName: run.name,
            keyBytes: encodedKeyOfId(items[k] as KeyId),
            namespace: run.namespace,
            value: runValueBytes(codec, run.flags, items[k + 1]),
          };
        }
      }
    }
  }

  /**
   * The entries of `snapshots` in this backend's key groups as runs, in order: an entry of
   * `keyGroups` is a run of one (its value as bytes), a packed key group gives its runs as they
   * are. Checked as `entriesInRange` checks.
   */
  protected *runsInRange(snapshots: readonly KeyedStateSnapshot[]): Generator<RestoredRun> {
    for (const s of snapshots) checkSnapshot(s, this.maxParallelism);
    for (const s of snapshots) {
      for (const [group, entries] of Object.entries(s.keyGroups)) {
        const keyGroup = Number(group);
        if (!rangeContains(this.keyGroupRange, keyGroup)) continue;
        for (const [name, keyBytes, namespace, value] of entries) {
          if (keyGroupForEncoded(keyBytes, this.maxParallelism) !== keyGroup) {
            throw new StateError(`snapshot entry of state "${name}" is recorded in key group ${keyGroup}, but its key hashes elsewhere`, {
              code: "STATE_SNAPSHOT_INVALID",
            });
          }
          yield { keyGroup, name, flags: RUN_BYTES, namespace, items: [keyIdOfEncoded(keyBytes), value] };
        }
      }
      yield* this.packedRunsOf(s);
    }
  }

  private *packedRunsOf(s: KeyedStateSnapshot): Generator<RestoredRun> {
    if (s.packed === undefined) return;
    for (const [group, bytes] of Object.entries(s.packed)) {
      const keyGroup = Number(group);
      if (!rangeContains(this.keyGroupRange, keyGroup)) continue;
      for (const run of unpackKeyGroup(bytes, keyGroup, this.maxParallelism)) yield { ...run, keyGroup };
    }
  }
}

/**
 * Throws `StateError` unless `s` is a complete (not incremental) version-1 snapshot of
 * `maxParallelism` key groups.
 */
export function checkSnapshot(s: KeyedStateSnapshot, maxParallelism: number): void {
  if (
    s === null ||
    typeof s !== "object" ||
    s.version !== 1 ||
    typeof s.keyGroups !== "object" ||
    s.keyGroups === null ||
    (s.packed !== undefined && (typeof s.packed !== "object" || s.packed === null))
  ) {
    throw new StateError("not a version-1 keyed state snapshot", { code: "STATE_SNAPSHOT_INVALID" });
  }
  if (s.unchanged !== undefined) {
    throw new StateError(
      "an incremental snapshot (with `unchanged` key groups) cannot be restored: resolve its unchanged key groups from the earlier snapshots first",
      { code: "STATE_INCOMPLETE_SNAPSHOT" },
    );
  }
  if (s.maxParallelism !== maxParallelism) {
    throw new StateError(`snapshot has maxParallelism ${s.maxParallelism}; this backend has ${maxParallelism} (max parallelism cannot change on restore)`, {
      code: "STATE_SNAPSHOT_INCOMPATIBLE",
    });
  }
}

/** The error for state used before `setCurrentKey`. */
export function noCurrentKey(): StateError {
  return new StateError("no current key: call setCurrentKey before using keyed state", { code: "STATE_NO_KEY" });
}

function describeKey(key: unknown): string {
  try {
    return typeof key === "bigint" ? `${key}n` : JSON.stringify(key) ?? String(key);
  } catch {
    return String(key);
  }
}
