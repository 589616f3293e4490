/**
 * After-match skip strategies applied to the enumerated matches, step by step as FlinkCEP's
 * `NFA.processMatchesAccordingToSkipStrategy` does after every `process` and `advanceTime`:
 *
 * 1. Completed matches wait in a queue ordered by their start event (`NFAState`'s
 *    `COMPUTATION_STATE_COMPARATOR`: start timestamp, then start event id; with sorted input,
 *    the start event's position). Ties between matches with the same start event are ordered
 *    as Vigil does: by their events' positions compared lexicographically (a proper prefix
 *    first). FlinkCEP leaves that order to its priority queue.
 * 2. With any strategy but noSkip, the earliest queued match is emitted only if no partial
 *    match alive at that step started strictly earlier (`isEarlier` uses `<= 0`).
 * 3. Emitting a match prunes every queued match and every partial match whose start event
 *    `shouldPrune` says so (`AfterMatchSkipStrategy.prune`, applied to both queues). Since a
 *    match can only grow out of a partial match with the same start event, pruning a start
 *    event removes every later match from it.
 *
 * Timed-out partial matches are reported at their step, before that step's emissions, and
 * only if their start event was not pruned before.
 */
import type { Completed, Expired, Timeline } from "./runs.js";
import type { Take } from "./run.js";

export interface Outcome {
  readonly matches: Completed[];
  readonly timeouts: Expired[];
}

export function applySkipStrategy(t: Timeline): Outcome {
  const skip = t.model.spec.skip;
  const pruned = new Set<number>();
  const live = (x: { start: number }) => !pruned.has(x.start);
  const matches: Completed[] = [];
  const timeouts: Expired[] = [];
  let queue: Completed[] = [];

  for (let step = 0; step < t.steps.length; step++) {
    timeouts.push(...t.expired.filter((x) => x.step === step && live(x)));
    queue.push(...t.completed.filter((x) => x.step === step && live(x)));
    queue.sort(byStartThenEvents);
    while (queue.length > 0) {
      const next = queue[0]!;
      if (skip.kind !== "noSkip" && [...t.alive[step]!].some((s) => live({ start: s }) && s < next.start)) break;
      queue.shift();
      matches.push(next);
      const prune = pruneRule(t, next);
      for (let s = 0; s <= lastIndexOf(next.takes); s++) if (prune(s)) pruned.add(s);
      queue = queue.filter(live);
    }
  }
  return { matches, timeouts };
}

/**
 * Which start events a just-emitted match prunes (`shouldPrune(startEventID, pruningId)`):
 * - noSkip: none.
 * - skipToNext: pruningId = the match's first event; prune start <= it
 *   (`SkipToNextStrategy`, `SkipRelativeToWholeMatchStrategy.shouldPrune` is `<= 0`).
 * - skipPastLastEvent: pruningId = the match's last event; prune start <= it.
 * - skipToFirst(name) / skipToLast(name): pruningId = first / last event of `name` in the
 *   match; prune start < it (`SkipToElementStrategy.shouldPrune` is `< 0`). A match without
 *   `name` prunes nothing (`getPruningId` returns null; no `throwExceptionOnMiss`), but the
 *   strategy still holds matches back (`isSkipStrategy()` is true).
 */
function pruneRule(t: Timeline, match: Completed): (start: number) => boolean {
  const skip = t.model.spec.skip;
  const first = Math.min(...match.takes.map((x) => x.index));
  const last = lastIndexOf(match.takes);
  switch (skip.kind) {
    case "noSkip":
      return () => false;
    case "skipToNext":
      return (s) => s <= first;
    case "skipPastLastEvent":
      return (s) => s <= last;
    case "skipToFirst":
    case "skipToLast": {
      const k = t.model.stages.findIndex((st) => st.name === skip.stage);
      const named = match.takes.filter((x) => x.stage === k).map((x) => x.index);
      if (named.length === 0) return () => false;
      const pruningId = skip.kind === "skipToFirst" ? Math.min(...named) : Math.max(...named);
      return (s) => s < pruningId;
    }
  }
}

function lastIndexOf(takes: readonly Take[]): number {
  return Math.max(...takes.map((x) => x.index));
}

function byStartThenEvents(a: Completed, b: Completed): number {
  if (a.start !== b.start) return a.start - b.start;
  const ea = a.takes.map((x) => x.index).sort((x, y) => x - y);
  const eb = b.takes.map((x) => x.index).sort((x, y) => x - y);
  for (let j = 0; j < Math.min(ea.length, eb.length); j++) if (ea[j] !== eb[j]) return ea[j]! - eb[j]!;
  return ea.length - eb.length;
}
