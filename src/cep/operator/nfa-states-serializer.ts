import { VigilError } from "../../errors.js";
import type { TypeSerializer } from "../../state/api.js";
import type { Nfa } from "../nfa/nfa.js";
import type { NfaState } from "../nfa/nfa-state.js";
import { deserializeNfaState, serializeNfaState, type EventCodec } from "../serde/v1/nfa-state-codec.js";

/** One key's NFA states and the timer set for them (the operator's `cep-nfa` keyed state). */
export interface KeyNfaStates<T> {
  /** One slot per pattern of the operator, in its order; undefined when that pattern has nothing in progress. */
  readonly states: Array<NfaState<T> | undefined>;
  /** When the key's NFAs next need time to advance (a `within` deadline), as set on the timer service; +Infinity: none. */
  timer: number;
}

const VERSION = 1;
/** version (1) + timer (8) + count (4) */
const HEADER = 13;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Bytes of a key's NFA states: version byte, timer (float64), entry count (u32), then per pattern that has a
 * state: its id (u32 length + UTF-8) and `serializeNfaState`'s bytes (u32 length + bytes).
 * States are stored by pattern id, not position, so a job restored with patterns added,
 * removed or reordered keeps the states of the patterns it still has (a removed pattern's
 * state is dropped; an added one starts empty). A state written for a pattern of the same id
 * but another shape fails with `STATE_INCOMPATIBLE` when a state name no longer exists.
 */
export function nfaStatesSerializer<T>(
  patterns: ReadonlyArray<{ readonly id: string; readonly nfa: Nfa<T> }>,
  codec: EventCodec<T>,
): TypeSerializer<KeyNfaStates<T>> {
  const indexOf = new Map(patterns.map((p, i) => [p.id, i]));
  return {
    serialize(value) {
      const parts: Uint8Array[] = [];
      const states = value.states;
      for (let i = 0; i < states.length; i++) {
        const s = states[i];
        if (s !== undefined) addEntry(parts, patterns[i].id, s, codec);
      }
      return encodeEntries(value.timer, parts);
    },
    deserialize(bytes) {
      const states: Array<NfaState<T> | undefined> = new Array(patterns.length).fill(undefined);
      const timer = decodeEntries(bytes, (id, body) => {
        const i = indexOf.get(id);
        if (i !== undefined) states[i] = deserializeNfaState(patterns[i].nfa, body, codec);
      });
      return { states, timer };
    },
  };
}

/** Adds one entry (a pattern's id and state) to the parts of `encodeEntries`. */
export function addEntry<T>(parts: Uint8Array[], id: string, state: NfaState<T>, codec: EventCodec<T>): void {
  parts.push(encoder.encode(id), serializeNfaState(state, codec));
}

/** The bytes of a key's states (the format of `nfaStatesSerializer`), of its timer and entries. */
export function encodeEntries(timer: number, parts: readonly Uint8Array[]): Uint8Array {
  let size = HEADER;
  for (const p of parts) size += 4 + p.length;
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  out[0] = VERSION;
  view.setFloat64(1, timer);
  view.setUint32(9, parts.length / 2);
  let at = HEADER;
  for (const p of parts) {
    view.setUint32(at, p.length);
    out.set(p, at + 4);
    at += 4 + p.length;
  }
  return out;
}

/** Reads the bytes of `encodeEntries`: hands each entry's pattern id and state bytes to `entry`, returns the timer. */
export function decodeEntries(bytes: Uint8Array, entry: (id: string, body: Uint8Array) => void): number {
  if (bytes.length < HEADER || bytes[0] !== VERSION) {
    throw new VigilError(`CEP NFA states: unknown format version ${bytes[0]}`, { code: "STATE_CORRUPT" });
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const timer = view.getFloat64(1);
  const count = view.getUint32(9);
  let at = HEADER;
  const take = (): Uint8Array => {
    if (at + 4 > bytes.length) throw new VigilError("CEP NFA states: truncated", { code: "STATE_CORRUPT" });
    const len = view.getUint32(at);
    if (at + 4 + len > bytes.length) throw new VigilError("CEP NFA states: truncated", { code: "STATE_CORRUPT" });
    const part = bytes.subarray(at + 4, at + 4 + len);
    at += 4 + len;
    return part;
  };
  for (let k = 0; k < count; k++) {
    const id = decoder.decode(take());
    entry(id, take());
  }
  return timer;
}
