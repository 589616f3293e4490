import { VigilError } from "../../../errors.js";
import type { Nfa } from "../../nfa/nfa.js";
import { NfaState, type ComputationState } from "../../nfa/nfa-state.js";
import type { BufferNode, EventEntry } from "../../shared-buffer/shared-buffer.js";

/** How events are written into a snapshot: JSON by default. */
export interface EventCodec<T> {
  encode(event: T): unknown;
  decode(json: unknown): T;
}

const identity: EventCodec<any> = { encode: (e) => e, decode: (j) => j };

/** [state name, node id (-1: none), startTs, startSeq, prevTs]; infinities as null. */
type CsV1 = [string, number, number | null, number, number | null];

/**
 * Version 1 of the serialised NfaState: plain JSON. States are referenced by name, nodes by an
 * id given at write time, oldest first, so a node's predecessor always has a smaller id.
 */
interface SnapshotV1 {
  v: 1;
  time: number | null;
  nextSeq: number;
  partials: CsV1[];
  completed: CsV1[];
  /** [seq, ts, event] */
  events: Array<[number, number, unknown]>;
  /** [id, stage, event seq, prev id (-1: none)] */
  nodes: Array<[number, string, number, number]>;
}

const finite = (n: number): number | null => (Number.isFinite(n) ? n : null);

/** Writes a key's NFA state (branches, held matches, shared buffer, time) as versioned bytes. */
export function serializeNfaState<T>(state: NfaState<T>, codec: EventCodec<T> = identity): Uint8Array {
  const ids = new Map<BufferNode<T>, number>();
  const nodes: SnapshotV1["nodes"] = [];
  const events: SnapshotV1["events"] = [];
  const seenEvents = new Set<EventEntry<T>>();
  const idOf = (node: BufferNode<T> | null): number => {
    if (node === null) return -1;
    const known = ids.get(node);
    if (known !== undefined) return known;
    const prev = idOf(node.prev); // predecessors first: ids grow along the chain
    const id = nodes.length;
    ids.set(node, id);
    nodes.push([id, node.stage, node.entry.seq, prev]);
    if (!seenEvents.has(node.entry)) {
      seenEvents.add(node.entry);
      events.push([node.entry.seq, node.entry.ts, codec.encode(node.entry.event)]);
    }
    return id;
  };
  const cs = (c: ComputationState<T>): CsV1 => [c.state.name, idOf(c.node), finite(c.startTs), c.startSeq, finite(c.prevTs)];
  const snapshot: SnapshotV1 = {
    v: 1,
    time: finite(state.time),
    nextSeq: state.nextSeq,
    partials: state.partials.map(cs),
    completed: state.completed.map(cs),
    events,
    nodes,
  };
  return new TextEncoder().encode(JSON.stringify(snapshot));
}

/** Reads bytes written by `serializeNfaState` for the same pattern back into an NfaState. */
export function deserializeNfaState<T>(nfa: Nfa<T>, bytes: Uint8Array, codec: EventCodec<T> = identity): NfaState<T> {
  let snapshot: SnapshotV1;
  try {
    snapshot = JSON.parse(new TextDecoder().decode(bytes)) as SnapshotV1;
  } catch (err) {
    throw new VigilError("NFA state snapshot is not valid JSON", { code: "STATE_CORRUPT", cause: err });
  }
  if (snapshot?.v !== 1) throw new VigilError(`unknown NFA state snapshot version ${snapshot?.v}`, { code: "STATE_CORRUPT" });
  const state = nfa.createState();
  const buffer = state.buffer;
  const entries = new Map<number, EventEntry<T>>();
  for (const [seq, ts, event] of snapshot.events) entries.set(seq, { event: codec.decode(event), ts, seq, refs: 0 });
  const nodes: Array<BufferNode<T>> = [];
  for (const [id, stage, seq, prevId] of snapshot.nodes) {
    const entry = entries.get(seq);
    if (entry === undefined || id !== nodes.length || prevId >= id) {
      throw new VigilError(`NFA state snapshot has a malformed node ${id}`, { code: "STATE_CORRUPT" });
    }
    const prev = prevId < 0 ? null : nodes[prevId];
    // reference counts are recomputed from the links rather than trusted from the bytes
    if (entry.refs++ === 0) buffer.eventCount++;
    if (prev !== null) prev.refs++;
    buffer.nodeCount++;
    nodes.push({ stage, entry, prev, refs: 0 });
  }
  const byName = new Map(nfa.states.map((s) => [s.name, s]));
  const cs = ([name, nodeId, startTs, startSeq, prevTs]: CsV1): ComputationState<T> => {
    const st = byName.get(name);
    if (st === undefined) {
      throw new VigilError(`NFA state snapshot refers to state "${name}", which this pattern does not have`, { code: "STATE_INCOMPATIBLE" });
    }
    if (startSeq < 0) return nfa.startCs;
    const node = nodeId < 0 ? null : nodes[nodeId];
    buffer.lock(node);
    return { state: st, node, startTs: startTs ?? Infinity, startSeq, prevTs: prevTs ?? -Infinity };
  };
  state.time = snapshot.time ?? -Infinity;
  state.nextSeq = snapshot.nextSeq;
  state.partials = snapshot.partials.map(cs);
  if (snapshot.completed.length > 0) state.completed = snapshot.completed.map(cs);
  return state;
}
