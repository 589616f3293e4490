import { NO_NODE } from "../../../src/cep/shared-buffer/shared-buffer.js";
import type { NfaState } from "../../../src/index.js";

/**
 * Recomputes, from the live branches alone, which nodes and events the shared buffer must hold
 * and with what reference counts, and returns every difference from what it does hold.
 */
export function bufferDiscrepancies<T>(state: NfaState<T>): string[] {
  const buffer = state.buffer;
  const nodeRefs = new Map<number, number>();
  const eventRefs = new Map<number, number>();
  const holders = [...state.partials, ...state.completed].filter((cs) => cs.node !== NO_NODE);
  const visited = new Set<number>();
  const stack: number[] = [];
  for (const cs of holders) {
    nodeRefs.set(cs.node, (nodeRefs.get(cs.node) ?? 0) + 1);
    stack.push(cs.node);
  }
  while (stack.length > 0) {
    const id = stack.pop()!;
    if (visited.has(id)) continue;
    visited.add(id);
    const n = buffer.nodes.get(id);
    if (n === undefined) return [`node ${id} is referenced but missing`];
    eventRefs.set(n.seq, (eventRefs.get(n.seq) ?? 0) + 1);
    if (n.prev !== NO_NODE) {
      nodeRefs.set(n.prev, (nodeRefs.get(n.prev) ?? 0) + 1);
      stack.push(n.prev);
    }
  }
  const problems: string[] = [];
  for (const [id, n] of buffer.nodes) {
    if (!visited.has(id)) problems.push(`node ${id} (${n.stage}) is held but no live branch reaches it`);
    else if (n.refs !== nodeRefs.get(id)) problems.push(`node ${id} has refs ${n.refs}, expected ${nodeRefs.get(id)}`);
  }
  for (const [seq, e] of buffer.events) {
    if (!eventRefs.has(seq)) problems.push(`event ${seq} is held but no live node takes it`);
    else if (e.refs !== eventRefs.get(seq)) problems.push(`event ${seq} has refs ${e.refs}, expected ${eventRefs.get(seq)}`);
  }
  for (const seq of eventRefs.keys()) if (!buffer.events.has(seq)) problems.push(`event ${seq} is referenced but missing`);
  return problems;
}
