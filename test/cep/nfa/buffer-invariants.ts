import type { BufferNode, EventEntry } from "../../../src/cep/shared-buffer/shared-buffer.js";
import type { NfaState } from "../../../src/index.js";

/**
 * Recomputes, from the live branches alone, which nodes and events the shared buffer must hold
 * and with what reference counts, and returns every difference from what it accounts as held.
 */
export function bufferDiscrepancies<T>(state: NfaState<T>): string[] {
  const buffer = state.buffer;
  const nodeRefs = new Map<BufferNode<T>, number>();
  const eventRefs = new Map<EventEntry<T>, number>();
  const visited = new Set<BufferNode<T>>();
  const stack: BufferNode<T>[] = [];
  for (const cs of [...state.partials, ...state.completed]) {
    if (cs.node === null) continue;
    nodeRefs.set(cs.node, (nodeRefs.get(cs.node) ?? 0) + 1);
    stack.push(cs.node);
  }
  while (stack.length > 0) {
    const n = stack.pop()!;
    if (visited.has(n)) continue;
    visited.add(n);
    eventRefs.set(n.entry, (eventRefs.get(n.entry) ?? 0) + 1);
    if (n.prev !== null) {
      nodeRefs.set(n.prev, (nodeRefs.get(n.prev) ?? 0) + 1);
      stack.push(n.prev);
    }
  }
  const problems: string[] = [];
  if (buffer.nodeCount !== visited.size) problems.push(`buffer accounts ${buffer.nodeCount} nodes, live branches reach ${visited.size}`);
  if (buffer.eventCount !== eventRefs.size) problems.push(`buffer accounts ${buffer.eventCount} events, live branches reach ${eventRefs.size}`);
  for (const n of visited) if (n.refs !== nodeRefs.get(n)) problems.push(`node ${n.stage}@${n.entry.seq} has refs ${n.refs}, expected ${nodeRefs.get(n)}`);
  for (const [e, refs] of eventRefs) if (e.refs !== refs) problems.push(`event ${e.seq} has refs ${e.refs}, expected ${refs}`);
  return problems;
}
