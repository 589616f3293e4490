/**
 * Greedy as a rule over a labelled run. Citations as in `rules.ts`.
 *
 * `NFACompiler.updateWithGreedyCondition` ANDs NOT(condition of the greedy stage) onto every
 * edge of the state after it: the first state of the next stage (a notFollowedBy in between has
 * no state of its own), the Pending state of a trailing notFollowedBy, or the state of a notNext
 * right after it. So while a run sits in that state (skipping, or taking the next stage's first
 * event) no event may satisfy the greedy stage's condition: the loop is left only on an event it
 * cannot take. A notNext state is passed on the first event after the loop, so there the
 * condition guards that one event only, including the notNext's own stop and its ignore edge to
 * Final. (An optional stage may not follow a greedy one: `Pattern.checkIfPreviousPatternGreedy`.)
 *
 * Two compiler details are kept:
 * - with `until`, `createLooping` first copies that state unmodified and proceeds to the copy on
 *   an event satisfying `until` (`originalStateMap`): a run that left the loop on such an event
 *   waits without the greedy condition;
 * - `createLooping` modifies the sink it is given, which for an optional loop after a
 *   notFollowedBy is `copyWithoutTransitiveNots`'s copy; the loop's first state still proceeds
 *   to the unmodified original. So a run that skipped such a loop waits without it.
 */
import { greedyGuardOf, notFollowedByBefore, type Model } from "./model.js";
import { countOf, lastLabel, type Run } from "./run.js";
import { evalCond, greedyEffective, type Ev, type EventsFor } from "./spec.js";

/**
 * Whether event `e` may be skipped or taken by a run waiting for positive stage `k` (or, with
 * `k = stages.length`, in the Pending state of a trailing notFollowedBy).
 */
export function greedyAllows(m: Model, run: Run, k: number, e: Ev, ctx: EventsFor): boolean {
  const guard = greedyGuardOf(m, k);
  if (guard === undefined) return true;
  // past a notNext state only its own (first) event is guarded
  if (guard.throughNotNext && lastLabel(run).act !== "take") return true;
  return !greedyBlocks(m, run, guard.stage, e, ctx);
}

/** Whether the greedy stage `g` keeps event `e` from the run's state after `g`. */
export function greedyBlocks(m: Model, run: Run, g: number, e: Ev, ctx: EventsFor): boolean {
  const x = m.stages[g]!;
  if (!greedyEffective(x)) return false;
  if (x.quant.kind === "looping" && x.optional && notFollowedByBefore(m, g).length > 0 && countOf(run, g) === 0) return false;
  if (x.until !== undefined && evalCond(x.until, leavingEvent(m, run, e), ctx, x.name)) return false;
  return evalCond(x.cond, e, ctx, x.name);
}

/** The event on which the run left its latest stage: the one after its latest take (`e` if that is now). */
function leavingEvent(m: Model, run: Run, e: Ev): Ev {
  let j = run.labels.length;
  while (j > 0 && run.labels[j - 1]!.act !== "take") j--;
  return j === run.labels.length ? e : m.input[run.start + j]!.event;
}
