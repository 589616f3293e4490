/**
 * The storage seam between the state handles (one implementation, shared by every backend, so
 * semantics cannot drift) and a backend: the stored values of one state under the backend's
 * current key, by namespace. A stored value is never `undefined` (that means "absent"); the
 * handles may mutate a stored object in place and then `set` it again, which is how the LevelDB
 * backend learns it is dirty.
 */
export interface StateTable {
  /** Whether `get` returns the stored object itself (the heap), so changing it in place changes the entry. */
  readonly byReference: boolean;
  /** The stored value under the current key and `ns`, or undefined. */
  get(ns: string): unknown;
  /** Stores `stored` (not undefined) under the current key and `ns`. */
  set(ns: string, stored: unknown): void;
  /** Removes the entry under the current key and `ns`, if any. */
  delete(ns: string): void;
  /** Incremental TTL cleanup: examines about `n` entries of any key, removing expired parts. */
  sweep(n: number): void;
}
