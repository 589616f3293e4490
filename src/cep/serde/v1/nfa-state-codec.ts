import { VigilError } from "../../../errors.js";
import type { Nfa } from "../../nfa/nfa.js";
import { NfaState, type ComputationState } from "../../nfa/nfa-state.js";

/** How events are written into a snapshot: JSON by default. */
export interface EventCodec<T> {
  encode(event: T): unknown;
  decode(json: unknown): T;
}

const identity: EventCodec<any> = { encode: (e) => e, decode: (j) => j };

/** Version 1 of the serialised NfaState: plain JSON, states referenced by name. */
interface SnapshotV1 {
  v: 1;
  time: number | null;
  nextSeq: number;
  nextNodeId: number;
  /** [name, node, startTs, startSeq, prevTs] */
  partials: Array<[string, number, number | null, number, number | null]>;
  completed: Array<[string, number, number | null, number, number | null]>;
  /** [seq, ts, event, refs] */
  events: Array<[number, number, unknown, number]>;
  /** [id, stage, seq, prev, refs] */
  nodes: Array<[number, string, number, number, number]>;
}

const finite = (n: number): number | null => (Number.isFinite(n) ? n : null);

/** Writes a key's NFA state (branches, held matches, shared buffer, time) as versioned bytes. */
export function serializeNfaState<T>(state: NfaState<T>, codec: EventCodec<T> = identity): Uint8Array {
  const cs = (c: ComputationState<T>): [string, number, number | null, number, number | null] => [
    c.state.name,
    c.node,
    finite(c.startTs),
    c.startSeq,
    finite(c.prevTs),
  ];
  const snapshot: SnapshotV1 = {
    v: 1,
    time: finite(state.time),
    nextSeq: state.nextSeq,
    nextNodeId: state.buffer.nextNodeId,
    partials: state.partials.map(cs),
    completed: state.completed.map(cs),
    events: [...state.buffer.events].map(([seq, e]) => [seq, e.ts, codec.encode(e.event), e.refs]),
    nodes: [...state.buffer.nodes].map(([id, n]) => [id, n.stage, n.seq, n.prev, n.refs]),
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
  const byName = new Map(nfa.states.map((s) => [s.name, s]));
  const cs = ([name, node, startTs, startSeq, prevTs]: SnapshotV1["partials"][number]): ComputationState<T> => {
    const st = byName.get(name);
    if (st === undefined) {
      throw new VigilError(`NFA state snapshot refers to state "${name}", which this pattern does not have`, { code: "STATE_INCOMPATIBLE" });
    }
    return { state: st, node, startTs: startTs ?? Infinity, startSeq, prevTs: prevTs ?? -Infinity };
  };
  const state = new NfaState<T>(nfa.start);
  state.time = snapshot.time ?? -Infinity;
  state.nextSeq = snapshot.nextSeq;
  state.buffer.nextNodeId = snapshot.nextNodeId;
  state.partials = snapshot.partials.map(cs);
  state.completed = snapshot.completed.map(cs);
  for (const [seq, ts, event, refs] of snapshot.events) state.buffer.events.set(seq, { event: codec.decode(event), ts, refs });
  for (const [id, stage, seq, prev, refs] of snapshot.nodes) state.buffer.nodes.set(id, { stage, seq, prev, refs });
  return state;
}
