import type { KeyId } from "../internal/key-id.js";

/**
 * What the LevelDB backend knows of a state without reading the disk: its id in LevelDB keys,
 * and an exact index of the keys that have entries (with how many namespaces each), kept in
 * memory because `getKeys` and `size` are synchronous and classic-level has no synchronous
 * iterator. The index doubles as a filter: a key absent from it needs no LevelDB read.
 */
export class StateMeta {
  /** Key id -> number of namespaces with an entry. */
  readonly keys = new Map<KeyId, number>();
  /** Number of (key, namespace) entries. */
  count = 0;

  constructor(
    readonly id: number,
    readonly name: string,
  ) {}

  added(id: KeyId): void {
    const n = this.keys.get(id);
    this.keys.set(id, n === undefined ? 1 : n + 1);
    this.count++;
  }

  removed(id: KeyId): void {
    const n = this.keys.get(id);
    if (n === undefined) return;
    if (n <= 1) this.keys.delete(id);
    else this.keys.set(id, n - 1);
    this.count--;
  }

  reset(): void {
    this.keys.clear();
    this.count = 0;
  }
}
