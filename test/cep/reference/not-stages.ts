/**
 * Not-stages (notNext, notFollowedBy) as rules over a labelled run: which not-stages watch the
 * run's next event, and how a trailing notNext completes a match. Citations as in `rules.ts`.
 */
import { greedyBlocks } from "./greedy.js";
import { min, notFollowedByBefore, type Model, type NotRule } from "./model.js";
import { countOf, eventsForOf, lastLabel, lastTakeStage, trailingSkips, type Run } from "./run.js";
import { evalCond, type Ev } from "./spec.js";

/**
 * The not-stages that watch the run's next event. If that event satisfies one of them, the
 * run is discarded with every branch it would have grown on that event: `NFA.doProcess` sets
 * `shouldDiscardPath` when any new state of a computation state is a Stop state and then drops
 * all of that computation state's retained successors. Successors that are Final states were
 * already added to `potentialMatches` and are still emitted - except that no Final state is
 * reached through a notNext state whose condition holds (its proceed edge needs NOT(condition)).
 */
export function watchingNots(m: Model, run: Run): NotRule[] {
  return m.nots.filter((n) => (n.not.kind === "notNext" ? notNextWatches(m, run, n) : notFollowedByWatches(m, run, n)));
}

/**
 * notNext: the event right after the stage before it, once that stage may be left there
 * (NFACompiler makes the notNext state the sink of that stage: reached by its take when the
 * stage is full, else by a proceed edge, which only states with `count >= min` have and ignore
 * states never have).
 */
function notNextWatches(m: Model, run: Run, n: NotRule): boolean {
  const l = lastLabel(run);
  return l.act === "take" && l.stage === n.after && countOf(run, n.after) >= min(m, n.after);
}

/**
 * notFollowedBy: from the first event of the stage before it until the first event of a stage
 * after it (inclusive). NFACompiler adds the stop edge to every state of the stage before it
 * except its first state (`addStopStateToLooping` on looping, mandatory and optional times
 * states), to the first state of the stage after it and of the optional stages after that
 * (`addStopStates`, via `getCurrentNotCondition`), and to the Pending state of a trailing
 * notFollowedBy. Taking an event for a later stage leads into copies of the following states
 * without those stop edges (`copyWithoutTransitiveNots`).
 *
 * Two compiler details are kept, both about ignore states built by `createSingletonState` with
 * `addStopStates`, i.e. with the notFollowedBy stages *before* their own stage:
 * - the ignore state of an optional `times(from, to)` occurrence (after `from` events) carries
 *   the notFollowedBy before that stage, not the one after it;
 * - the ignore state of an optional stage carries the notFollowedBy before it even when an
 *   earlier optional stage has taken an event (the copy only follows proceed edges; ignore
 *   edges keep their original target).
 */
function notFollowedByWatches(m: Model, run: Run, n: NotRule): boolean {
  const last = lastTakeStage(run);
  if (inOptionalTimesTail(m, run, last)) return notFollowedByBefore(m, last).includes(n.not);
  const waiting = waitingForOptional(m, run);
  if (waiting !== undefined) return notFollowedByBefore(m, waiting).includes(n.not);
  return last === n.after && countOf(run, n.after) >= 1;
}

/** The optional stage whose first event the run has started skipping for (it sits in its ignore state). */
function waitingForOptional(m: Model, run: Run): number | undefined {
  const skips = trailingSkips(run);
  const first = skips[0];
  if (first === undefined || first.act !== "skip" || first.stage === lastTakeStage(run)) return undefined;
  return m.stages[first.stage]!.optional ? first.stage : undefined;
}

/** The run is skipping events between optional occurrences of a `times(from, to)` stage `k`. */
function inOptionalTimesTail(m: Model, run: Run, k: number): boolean {
  const q = m.stages[k]!.quant;
  if (q.kind !== "times" || q.from === q.to) return false;
  const c = countOf(run, k);
  const skips = trailingSkips(run);
  return c >= q.from && c < q.to && skips.length > 0 && skips.every((l) => l.act === "skip" && l.stage === k);
}

/** Whether a not-stage's condition holds for `e` in the run's context. */
export function notMatches(m: Model, run: Run, n: NotRule, e: Ev): boolean {
  return evalCond(n.not.cond, e, eventsForOf(m, run), n.not.name);
}

/**
 * Whether a watching not-stage stops the run on `e`: its condition holds, and for a notNext
 * after a greedy stage, the greedy condition does not block the notNext state's stop edge
 * (greedy.ts); the loop then simply goes on taking.
 */
export function notStops(m: Model, run: Run, n: NotRule, e: Ev): boolean {
  if (!notMatches(m, run, n, e)) return false;
  return n.not.kind !== "notNext" || !greedyBlocks(m, run, n.after, e, eventsForOf(m, run));
}

/**
 * notNext at the end: the notNext state's IGNORE edge to Final fires on the next event when it
 * does not satisfy the not condition (`createMiddleStates`: "so that the proceed to final is
 * not fired"). The match is the run's events; the ignored event is not part of it.
 */
export function notNextEndCompletes(m: Model, run: Run, e: Ev): boolean {
  const n = m.endNot;
  if (n === undefined || n.not.kind !== "notNext" || !notNextWatches(m, run, n)) return false;
  return !notMatches(m, run, n, e) && !greedyBlocks(m, run, n.after, e, eventsForOf(m, run));
}
