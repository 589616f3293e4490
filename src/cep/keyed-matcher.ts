import { compile } from "./compile.js";
import { NO_CONTEXT, type Match, type MatchCollector, type Nfa } from "./nfa/nfa.js";
import type { PatternContext } from "./pattern/condition.js";
import type { NfaState } from "./nfa/nfa-state.js";
import { Pattern } from "./pattern/pattern.js";

/** Receives a keyed matcher's output, with the key each match belongs to. */
export interface KeyedCollector<T, K> {
  match(match: Match<T>, key: K): void;
  timeout?(partial: Match<T>, timestamp: number, key: K): void;
}

/**
 * One pattern over a stream of many keys, in arrival order: an `NfaState` per key that has
 * something in progress, and none for the others. This is what the keyed CEP operator runs once
 * events are in timestamp order; it is also usable on its own for in-order input.
 *
 * It does per event only what can matter: an event that fails every condition of the pattern
 * and provably changes no state (`Nfa.isInert`) is dropped before the key is even computed; an
 * event of a key with nothing in progress creates state only if it can start a match
 * (`Nfa.canStart`); a key whose state becomes empty is forgotten. So the key map holds the
 * keys with live partial matches, not every key ever seen. Results are those of feeding each
 * key's events to `nfa.process`; a skipped event only delays when that key's timeouts surface
 * (at its next event or `advanceTime`). Patterns with both a skip strategy and a window skip
 * nothing: there the moment an expired branch is noticed decides between a timeout and a prune. A forgotten key starts again with a fresh time, which
 * matters only for out-of-order input in arrival order.
 */
export class KeyedMatcher<T, K = unknown> {
  readonly nfa: Nfa<T>;
  private readonly states = new Map<K, NfaState<T>>();
  private readonly inert: ReadonlyArray<(event: T, ctx: PatternContext<T>) => boolean> | null;
  private currentKey!: K;
  private readonly forward: MatchCollector<T>;

  constructor(
    pattern: Pattern<T, any> | Nfa<T>,
    private readonly keyOf: (event: T) => K,
    out: KeyedCollector<T, K>,
  ) {
    this.nfa = pattern instanceof Pattern ? compile(pattern) : pattern;
    // With a skip strategy and a window, when an expired branch is noticed decides whether a match
    // prunes it or it times out, so every event's time must reach the NFA: no inert skipping.
    const timed = this.nfa.windowMs > 0 || this.nfa.states.some((st) => st.windowMs !== undefined);
    this.inert = timed && this.nfa.skip.isSkipStrategy() ? null : this.nfa.inertConditions;
    this.forward = {
      match: (m) => out.match(m, this.currentKey),
      timeout: out.timeout === undefined ? undefined : (m, ts) => out.timeout!(m, ts, this.currentKey),
    };
  }

  /** Feeds one event; its key's state advances to `timestamp` first. */
  process(event: T, timestamp: number): void {
    const inert = this.inert;
    if (inert !== null) {
      // Nfa.isInert, inlined: this is the whole cost of most events
      let i = 0;
      while (i < inert.length && !inert[i](event, NO_CONTEXT)) i++;
      if (i === inert.length) return;
    }
    const key = this.keyOf(event);
    let state = this.states.get(key);
    if (state === undefined) {
      if (!this.nfa.canStart(event, timestamp)) return;
      state = this.nfa.createState();
      this.states.set(key, state);
    }
    this.currentKey = key;
    this.nfa.process(state, event, timestamp, this.forward);
    if (state.isEmpty) this.states.delete(key);
  }

  /** Advances every key's time (a watermark): fires timeouts and trailing notFollowedBy matches. */
  advanceTime(timestamp: number): void {
    for (const [key, state] of this.states) {
      this.currentKey = key;
      this.nfa.advanceTime(state, timestamp, this.forward);
      if (state.isEmpty) this.states.delete(key);
    }
  }

  /** Keys with something in progress. */
  get liveKeys(): number {
    return this.states.size;
  }

  /** Live partial matches over all keys (a full scan: for metrics, not per event). */
  get partialMatchCount(): number {
    let n = 0;
    for (const s of this.states.values()) n += s.partialMatchCount;
    return n;
  }

  /** Events held in all keys' shared buffers (a full scan). */
  get bufferEntryCount(): number {
    let n = 0;
    for (const s of this.states.values()) n += s.bufferEntryCount;
    return n;
  }

  /** The state of one key, if it has anything in progress (for inspection and snapshots). */
  stateOf(key: K): NfaState<T> | undefined {
    return this.states.get(key);
  }
}
