/** An event held by the buffer, stored once however many branches took it. */
export interface EventEntry<T> {
  readonly event: T;
  readonly ts: number;
  /** Arrival number of the event within its key. */
  readonly seq: number;
  /** Number of nodes that point at this event. */
  refs: number;
}

/**
 * One taken event of one branch: `stage` took `entry`, after node `prev` (null: the first event
 * of the match). `refs` counts the computation states and child nodes pointing here.
 */
export interface BufferNode<T> {
  readonly stage: string;
  readonly entry: EventEntry<T>;
  readonly prev: BufferNode<T> | null;
  refs: number;
}

/**
 * The shared buffer of one key's partial matches.
 *
 * FlinkCEP keeps one node per (event, stage) with several versioned edges and recovers a branch's
 * path by Dewey-number compatibility. We give every branch its own immutable chain of nodes
 * instead: a node has exactly one predecessor, so branches that share a prefix share its nodes
 * (a persistent linked list), a match is recovered by one walk with no version search, and two
 * branches that take the same event into the same stage after different prefixes cost one extra
 * small node each, never a copy of the event. Nodes link to each other directly (no id tables on
 * the hot path); ids exist only in the serialised form.
 *
 * Nodes and events are reference-counted: releasing the last reference to a node releases its
 * event and, transitively, its predecessor. The counts are what the buffer accounts as held
 * (`eventCount`, `nodeCount`); a property test recomputes them from the live branches after every
 * event. The accessor methods below are the only way the NFA touches the buffer.
 */
export class SharedBuffer<T> {
  /** Distinct events held (referenced by at least one node). */
  eventCount = 0;
  /** Nodes held (referenced by a branch or a later node). */
  nodeCount = 0;
  /** The entry of the event being processed: every branch that takes it shares this one. */
  private current: EventEntry<T> | null = null;

  /**
   * Adds a node for `stage` taking event `seq` after `prev`. The new node starts with no
   * references: the caller locks it for each holder.
   */
  put(stage: string, seq: number, event: T, ts: number, prev: BufferNode<T> | null): BufferNode<T> {
    let entry = this.current;
    if (entry === null || entry.seq !== seq) {
      entry = { event, ts, seq, refs: 0 };
      this.current = entry;
    }
    if (entry.refs++ === 0) this.eventCount++;
    if (prev !== null) prev.refs++;
    this.nodeCount++;
    return { stage, entry, prev, refs: 0 };
  }

  /** The event being processed is done: no later `put` will share its entry. */
  endEvent(): void {
    this.current = null;
  }

  /** One more holder of `node`. */
  lock(node: BufferNode<T> | null): void {
    if (node !== null) node.refs++;
  }

  /** One holder fewer; frees the node, its event and its predecessors that nobody else holds. */
  release(node: BufferNode<T> | null): void {
    while (node !== null) {
      if (--node.refs > 0) return;
      this.nodeCount--;
      if (--node.entry.refs === 0) this.eventCount--;
      node = node.prev;
    }
  }

  /** Events taken by `stage` on the branch ending at `node`, oldest first. */
  eventsFor(node: BufferNode<T> | null, stage: string): T[] {
    const out: T[] = [];
    for (let n = node; n !== null; n = n.prev) if (n.stage === stage) out.push(n.entry.event);
    return out.reverse();
  }

  /** Arrival numbers of the branch's events, oldest first. */
  sequence(node: BufferNode<T> | null): number[] {
    const out: number[] = [];
    for (let n = node; n !== null; n = n.prev) out.push(n.entry.seq);
    return out.reverse();
  }

  /**
   * The branch ending at `node` as stage -> events, keys in `stageOrder` (pattern order), stages
   * that took nothing left out.
   */
  materialize(node: BufferNode<T> | null, stageOrder: readonly string[]): Record<string, T[]> {
    const byStage = new Map<string, T[]>();
    for (let n = node; n !== null; n = n.prev) {
      let list = byStage.get(n.stage);
      if (list === undefined) byStage.set(n.stage, (list = []));
      list.push(n.entry.event);
    }
    const match: Record<string, T[]> = {};
    for (const stage of stageOrder) {
      const list = byStage.get(stage);
      if (list !== undefined) match[stage] = list.reverse();
    }
    return match;
  }
}
