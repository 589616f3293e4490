import type { Nfa } from "../nfa/nfa.js";
import type { NfaState } from "../nfa/nfa-state.js";
import type { PatternContext } from "../pattern/condition.js";

/** Whether time alone can change the NFA's states (it has a window): else it needs no timer. */
export function isTimed<T>(nfa: Nfa<T>): boolean {
  return nfa.windowMs > 0 || nfa.states.some((s) => s.windowMs !== undefined);
}

/**
 * When a key's NFAs next need their time advanced, after they were advanced to `now`: the
 * earliest `within` deadline of a live branch, or the very next time step when a completed match
 * is held back (it can be released by the next advance). +Infinity when time changes nothing:
 * no windows, or nothing in progress. Always after `now`.
 */
export function nextWake<T>(
  nfas: readonly Nfa<T>[],
  timed: readonly boolean[],
  states: ReadonlyArray<NfaState<T> | undefined>,
  now: number,
): number {
  let wake = Number.POSITIVE_INFINITY;
  for (let p = 0; p < states.length; p++) {
    const state = states[p];
    // time changes nothing in an NFA without windows
    if (state === undefined || !timed[p]) continue;
    wake = Math.min(wake, stateWake(nfas[p], state, now));
  }
  return wake;
}

/** `nextWake` for one NFA state, of an NFA with windows. */
export function stateWake<T>(nfa: Nfa<T>, state: NfaState<T>, now: number): number {
  const deadline = nextDeadline(nfa, state);
  return state.completed.length > 0 ? Math.min(nextAfter(now), deadline) : deadline;
}

/** The earliest time at which one of the state's branches expires (+Infinity if none). */
export function nextDeadline<T>(nfa: Nfa<T>, state: NfaState<T>): number {
  let deadline = Number.POSITIVE_INFINITY;
  const windowMs = nfa.windowMs;
  for (const cs of state.partials) {
    if (cs.startSeq < 0) continue;
    if (windowMs > 0 && cs.startTs + windowMs < deadline) deadline = cs.startTs + windowMs;
    const stageWindow = cs.state.windowMs;
    if (stageWindow !== undefined && cs.prevTs + stageWindow < deadline) deadline = cs.prevTs + stageWindow;
  }
  return deadline;
}

/** The smallest number above `t` (a timer there fires at the next watermark that moves at all). */
export function nextAfter(t: number): number {
  if (t === Number.NEGATIVE_INFINITY) return -Number.MAX_VALUE;
  if (!Number.isFinite(t)) return t;
  // |t| * EPSILON is at least one unit in the last place of t
  return t + Math.max(Math.abs(t) * Number.EPSILON, Number.MIN_VALUE);
}

/**
 * The conditions an event must fail to be skipped before buffering: inert for every pattern.
 * Null when some pattern cannot skip inert events, or when skipping could change results: with a
 * skip strategy and a window, the time at which an expired branch is noticed decides whether it
 * is pruned by a match or reported as timed out, so every event's time must reach the NFA.
 */
export function combinedInertConditions<T>(
  nfas: readonly Nfa<T>[],
  timed: readonly boolean[],
): ReadonlyArray<(event: T, ctx: PatternContext<T>) => boolean> | null {
  const all = new Set<(event: T, ctx: PatternContext<T>) => boolean>();
  for (let i = 0; i < nfas.length; i++) {
    const conditions = nfas[i].inertConditions;
    if (conditions === null || (timed[i] && nfas[i].skip.isSkipStrategy())) return null;
    for (const c of conditions) all.add(c);
  }
  return [...all];
}
