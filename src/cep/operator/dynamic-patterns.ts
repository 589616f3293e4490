import { VigilError } from "../../errors.js";
import type { TypeSerializer } from "../../state/api.js";
import type { Nfa } from "../nfa/nfa.js";
import type { NfaState } from "../nfa/nfa-state.js";
import type { Pattern } from "../pattern/pattern.js";
import { deserializeNfaState, serializeNfaState, type EventCodec } from "../serde/v1/nfa-state-codec.js";

/**
 * A pattern of a dynamic CEP operator as it travels and is checkpointed: its id (names its
 * per-key state and its outputs), the name of its lineage (versions of one rule share a name:
 * a new version replaces the old one) and the document it is made from, which the operator's
 * factory turns into a `Pattern`. The document must be plain data (it is stored in checkpoints).
 */
export interface PatternDefinition<D = unknown> {
  readonly id: string;
  readonly name: string;
  readonly document: D;
}

/**
 * A change of a dynamic CEP operator's pattern set, sent on its broadcast control stream.
 *
 * - `put`: `id` becomes active (starts new partial matches). Every other active pattern of the
 *   same `name` (default: the id) starts draining. An id already present is re-activated.
 * - `drain`: `id` starts no new partial matches; it finishes the ones it has, then is dropped.
 * - `remove` (by `id`, or every pattern of a `name`): dropped at once with its per-key state.
 */
export type PatternUpdate<D = unknown> =
  | { readonly op: "put"; readonly id: string; readonly name?: string; readonly document: D }
  | { readonly op: "drain"; readonly id: string }
  | { readonly op: "remove"; readonly id: string }
  | { readonly op: "remove"; readonly name: string };

/** Turns a definition into a pattern (or an already compiled NFA); throws when it cannot. */
export type PatternFactory<T, D = unknown> = (definition: PatternDefinition<D>) => Pattern<T, any> | Nfa<T>;

/** What the operator tells its listener about its pattern set (in the subtask that changed). */
export interface PatternSetChange {
  /** `restored`: in the set of the checkpoint the operator was restored from (with its `state`). */
  readonly kind: "added" | "restored" | "reactivated" | "draining" | "retired" | "removed" | "rejected";
  readonly id: string;
  readonly name: string;
  readonly state?: "active" | "draining";
  /** For `rejected`: why the factory or the update failed. */
  readonly reason?: string;
}

/** A pattern's entry in the operator's broadcast state: plain data, replaced (never mutated) on change. */
export interface StoredPattern<D = unknown> extends PatternDefinition<D> {
  readonly state: "active" | "draining";
  /** Starts only on events after this time (null: no bound). In event time: the newest event time seen when it was added. */
  readonly startFrom: number | null;
  /** Starts only on events at or before this time (null: no bound). Set when it starts draining. */
  readonly startUntil: number | null;
  /** Order of arrival: patterns run in this order for each event. */
  readonly seq: number;
}

/** Name of the broadcast state holding the pattern set (stable: it names the state in checkpoints). */
export const CEP_PATTERNS_STATE = "cep-patterns";

/** One key's NFA states of a dynamic operator, by pattern id, and the key's timer. */
export interface KeyPatternStates<T> {
  readonly states: Map<string, NfaState<T>>;
  timer: number;
}

const VERSION = 1;
const HEADER = 13;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Bytes of a key's NFA states by pattern id, in the same format as the static operator's
 * `nfaStatesSerializer` (so a job switching to dynamic patterns keeps its checkpointed partial
 * matches). The set of patterns is looked up when (de)serialising: a state of a pattern that is
 * no longer there is dropped, on both sides.
 */
export function dynamicStatesSerializer<T>(nfaOf: (id: string) => Nfa<T> | undefined, codec: EventCodec<T>): TypeSerializer<KeyPatternStates<T>> {
  return {
    serialize(value) {
      const parts: Uint8Array[] = [];
      let size = HEADER;
      for (const [id, s] of value.states) {
        if (nfaOf(id) === undefined) continue;
        const idBytes = encoder.encode(id);
        const bytes = serializeNfaState(s, codec);
        parts.push(idBytes, bytes);
        size += 8 + idBytes.length + bytes.length;
      }
      const out = new Uint8Array(size);
      const view = new DataView(out.buffer);
      out[0] = VERSION;
      view.setFloat64(1, value.timer);
      view.setUint32(9, parts.length / 2);
      let at = HEADER;
      for (const p of parts) {
        view.setUint32(at, p.length);
        out.set(p, at + 4);
        at += 4 + p.length;
      }
      return out;
    },
    deserialize(bytes) {
      if (bytes.length < HEADER || bytes[0] !== VERSION) {
        throw new VigilError(`CEP NFA states: unknown format version ${bytes[0]}`, { code: "STATE_CORRUPT" });
      }
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      const timer = view.getFloat64(1);
      const count = view.getUint32(9);
      const states = new Map<string, NfaState<T>>();
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
        const body = take();
        const nfa = nfaOf(id);
        if (nfa !== undefined) states.set(id, deserializeNfaState(nfa, body, codec));
      }
      return { states, timer };
    },
  };
}

/** Checks the shape of an update from the control stream; returns why it is not one, or undefined. */
export function invalidUpdate(u: unknown): string | undefined {
  if (typeof u !== "object" || u === null) return "not an object";
  const x = u as Record<string, unknown>;
  const str = (k: string) => typeof x[k] === "string" && (x[k] as string).length > 0;
  switch (x.op) {
    case "put":
      if (!str("id")) return "put: id must be a non-empty string";
      if (x.name !== undefined && !str("name")) return "put: name must be a non-empty string";
      return undefined;
    case "drain":
      return str("id") ? undefined : "drain: id must be a non-empty string";
    case "remove":
      return str("id") || str("name") ? undefined : "remove: needs an id or a name";
    default:
      return `unknown op ${JSON.stringify(x.op)} (expected put, drain or remove)`;
  }
}
