import type { TypeSerializer } from "../../state/api.js";
import type { Nfa } from "../nfa/nfa.js";
import type { NfaState } from "../nfa/nfa-state.js";
import type { Pattern } from "../pattern/pattern.js";
import { deserializeNfaState, type EventCodec } from "../serde/v1/nfa-state-codec.js";
import { addEntry, decodeEntries, encodeEntries } from "./nfa-states-serializer.js";

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

/** What `CEP.dynamicPatterns` (and a `DynamicCepOperator`) needs besides the streams: where its patterns come from. */
export interface DynamicPatternsOptions<T, D> {
  /**
   * The patterns to run when the operator opens (called at every open, so after a restart it
   * should return the set wanted now). Without restored state they are the set. With restored
   * state (a checkpoint's set, draining versions included) each is put as an update would be,
   * and, with `removeUnlisted` (default true), restored patterns whose name is not among them
   * are removed.
   */
  readonly initial: ReadonlyArray<PatternDefinition<D>> | (() => ReadonlyArray<PatternDefinition<D>>);
  /** Makes a pattern of a definition (on `put`, and for the patterns of a restored checkpoint); throws when it cannot (the update is then rejected and logged). */
  readonly factory: PatternFactory<T, D>;
  /** Restored patterns whose name `initial` does not list are removed (default true). */
  readonly removeUnlisted?: boolean;
  /** Told about every change of the pattern set (in-process listeners: logs, the service's rule list). */
  readonly onChange?: (change: PatternSetChange) => void;
}

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
      for (const [id, s] of value.states) if (nfaOf(id) !== undefined) addEntry(parts, id, s, codec);
      return encodeEntries(value.timer, parts);
    },
    deserialize(bytes) {
      const states = new Map<string, NfaState<T>>();
      const timer = decodeEntries(bytes, (id, body) => {
        const nfa = nfaOf(id);
        if (nfa !== undefined) states.set(id, deserializeNfaState(nfa, body, codec));
      });
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
