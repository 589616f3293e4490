/** Marks "no node": the chain of a partial match that has taken nothing yet. */
export const NO_NODE = -1;

/** An event held by the buffer, stored once however many branches took it. */
export interface EventEntry<T> {
  event: T;
  ts: number;
  /** Number of nodes that point at this event. */
  refs: number;
}

/**
 * One taken event of one branch: `stage` took event `seq`, after node `prev`.
 * `refs` counts the computation states and child nodes pointing here.
 */
export interface BufferNode {
  stage: string;
  seq: number;
  prev: number;
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
 * small node each, never a copy of the event. Nodes and events are reference-counted: releasing
 * the last reference to a node releases its event and, transitively, its predecessor, so the
 * buffer holds exactly what live partial matches can still reach.
 *
 * The accessor methods below are the only way the NFA touches the buffer; the representation
 * (two integer-keyed maps) is what the v1 serialiser writes.
 */
export class SharedBuffer<T> {
  readonly events = new Map<number, EventEntry<T>>();
  readonly nodes = new Map<number, BufferNode>();
  nextNodeId = 0;

  /** Number of distinct events held. */
  get eventCount(): number {
    return this.events.size;
  }

  /**
   * Adds a node for `stage` taking event `seq` after `prev` (NO_NODE for the first event of a
   * match). The new node starts with no references: the caller locks it for each holder.
   */
  put(stage: string, seq: number, event: T, ts: number, prev: number): number {
    let entry = this.events.get(seq);
    if (entry === undefined) {
      entry = { event, ts, refs: 0 };
      this.events.set(seq, entry);
    }
    entry.refs++;
    if (prev !== NO_NODE) this.nodes.get(prev)!.refs++;
    const id = this.nextNodeId++;
    this.nodes.set(id, { stage, seq, prev, refs: 0 });
    return id;
  }

  /** One more holder of `node`. */
  lock(node: number): void {
    if (node !== NO_NODE) this.nodes.get(node)!.refs++;
  }

  /** One holder fewer; frees the node, its event and its predecessors that nobody else holds. */
  release(node: number): void {
    while (node !== NO_NODE) {
      const n = this.nodes.get(node)!;
      if (--n.refs > 0) return;
      this.nodes.delete(node);
      const entry = this.events.get(n.seq)!;
      if (--entry.refs === 0) this.events.delete(n.seq);
      node = n.prev;
    }
  }

  /** Events taken by `stage` on the branch ending at `node`, oldest first. */
  eventsFor(node: number, stage: string): T[] {
    const out: T[] = [];
    for (let id = node; id !== NO_NODE; ) {
      const n = this.nodes.get(id)!;
      if (n.stage === stage) out.push(this.events.get(n.seq)!.event);
      id = n.prev;
    }
    return out.reverse();
  }

  /** Sequence numbers of the branch's events, oldest first. */
  sequence(node: number): number[] {
    const out: number[] = [];
    for (let id = node; id !== NO_NODE; id = this.nodes.get(id)!.prev) out.push(this.nodes.get(id)!.seq);
    return out.reverse();
  }

  /** Visits the branch's (stage, seq, ts) from newest to oldest. */
  walk(node: number, visit: (stage: string, seq: number, ts: number) => void): void {
    for (let id = node; id !== NO_NODE; ) {
      const n = this.nodes.get(id)!;
      visit(n.stage, n.seq, this.events.get(n.seq)!.ts);
      id = n.prev;
    }
  }

  /**
   * The branch ending at `node` as stage -> events, keys in `stageOrder` (pattern order), stages
   * that took nothing left out.
   */
  materialize(node: number, stageOrder: readonly string[]): Record<string, T[]> {
    const byStage = new Map<string, T[]>();
    for (let id = node; id !== NO_NODE; ) {
      const n = this.nodes.get(id)!;
      let list = byStage.get(n.stage);
      if (list === undefined) byStage.set(n.stage, (list = []));
      list.push(this.events.get(n.seq)!.event);
      id = n.prev;
    }
    const match: Record<string, T[]> = {};
    for (const stage of stageOrder) {
      const list = byStage.get(stage);
      if (list !== undefined) match[stage] = list.reverse();
    }
    return match;
  }
}
