/**
 * Non-keyed state of an operator subtask. Vigil has one kind so far: broadcast state, a map per
 * descriptor name that every subtask holds in full (the same broadcast elements reach every
 * subtask, so every copy is equal, and restoring at another parallelism just copies it).
 */
export interface OperatorStateStore {
  /** The broadcast map state of this name, created empty on first use. */
  getBroadcastState<K, V>(name: string): Map<K, V>;
  /** Names of the broadcast states in use. */
  names(): string[];
}

/** Plain in-memory implementation, snapshotted as arrays of entries. */
export class HeapOperatorStateStore implements OperatorStateStore {
  private readonly broadcast = new Map<string, Map<unknown, unknown>>();

  getBroadcastState<K, V>(name: string): Map<K, V> {
    let m = this.broadcast.get(name);
    if (m === undefined) {
      m = new Map();
      this.broadcast.set(name, m);
    }
    return m as Map<K, V>;
  }

  names(): string[] {
    return [...this.broadcast.keys()];
  }

  snapshot(): Record<string, Array<[unknown, unknown]>> {
    const out: Record<string, Array<[unknown, unknown]>> = {};
    for (const [name, m] of this.broadcast) out[name] = [...m.entries()];
    return out;
  }

  restore(snapshot: Record<string, Array<[unknown, unknown]>>): void {
    for (const [name, entries] of Object.entries(snapshot)) this.broadcast.set(name, new Map(entries));
  }
}
