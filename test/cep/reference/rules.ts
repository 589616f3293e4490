/**
 * The rules of FlinkCEP matching, stated over a *labelled run* (`run.ts`): a start event and,
 * for each event from there on, what the run did with it (took it for a stage, or skipped it
 * while waiting for a stage). Each rule is a small predicate with the FlinkCEP code it encodes
 * (not-stages: `not-stages.ts`); the
 * enumeration in `runs.ts` tries every label for every event and keeps the runs all rules
 * accept. Nothing here steps an automaton: the rules read the run's labels directly.
 *
 * Citations are to flink-libraries/flink-cep/src/main/java/org/apache/flink/cep/:
 * `NFACompiler` = nfa/compiler/NFACompiler.java, `NFA` = nfa/NFA.java, `Pattern` =
 * pattern/Pattern.java (Flink 1.16+; notFollowedBy at the end came with FLINK-26941).
 */
import { greedyAllows } from "./greedy.js";
import { allOptionalBetween, max, min, type Model } from "./model.js";
import { notMatches } from "./not-stages.js";
import { countOf, eventsForOf, lastLabel, lastTakeStage, trailingSkips, type Run } from "./run.js";
import { evalCond, greedyEffective, type Ev, type EventsFor } from "./spec.js";

// ---- conditions as FlinkCEP builds them ---------------------------------------------------

/**
 * Take condition of stage `k`: its condition AND NOT its `until`
 * (`NFACompiler.extendWithUntilCondition(getTakeCondition(p), until, true)`, used for every
 * state of a looping stage).
 */
export function takeCondition(m: Model, k: number, e: Ev, ctx: EventsFor): boolean {
  const s = m.stages[k]!;
  if (s.until !== undefined && evalCond(s.until, e, ctx, s.name)) return false;
  return evalCond(s.cond, e, ctx, s.name);
}

function plainCondition(m: Model, k: number, e: Ev, ctx: EventsFor): boolean {
  const s = m.stages[k]!;
  return evalCond(s.cond, e, ctx, s.name);
}

// ---- R1: the order of takes ---------------------------------------------------------------

/**
 * A run moves forward through the stages and waits for one stage at a time: every event it
 * skipped since its latest take was skipped while waiting for the stage it takes or skips for
 * now. (An ignore edge never leads back: a loop's ignore state `createLooping` and an optional
 * stage's ignore state `createSingletonState(..., isOptional)` have take and ignore edges but
 * no proceed edge, so once a run has skipped an event waiting for a stage it must take that
 * stage next.)
 */
export function waitsFor(run: Run, k: number): boolean {
  return trailingSkips(run).every((l) => l.act === "skip" && l.stage === k);
}

/**
 * Leaving the latest stage `from` for a later stage `to`: `from` has taken at least its
 * minimum (the mandatory states of `createTimesState` have no proceed edge), and every stage in
 * between is optional (their first state has a proceed edge, `createSingletonState` with
 * `isOptional`).
 */
export function canMoveOn(m: Model, run: Run, from: number, to: number): boolean {
  return countOf(run, from) >= min(m, from) && allOptionalBetween(m, from, to);
}

// ---- R2: taking an event ------------------------------------------------------------------

/** The first event of a run: taken by a stage that only optional stages precede (start state proceeds). */
export function mayStartWith(m: Model, k: number, e: Ev): boolean {
  const ctx: EventsFor = () => [];
  return allOptionalBetween(m, -1, k) && takeCondition(m, k, e, ctx) && greedyAllows(m, { start: 0, labels: [] }, k, e, ctx);
}

/** Taking event `e` for stage `k` after the run's labels so far. */
export function mayTake(m: Model, run: Run, k: number, e: Ev): boolean {
  const last = lastTakeStage(run);
  const ctx = eventsForOf(m, run);
  if (k < last || !waitsFor(run, k)) return false;
  if (k === last) return countOf(run, k) < max(m, k) && takeCondition(m, k, e, ctx);
  return canMoveOn(m, run, last, k) && takeCondition(m, k, e, ctx) && greedyAllows(m, run, k, e, ctx);
}

// ---- R3: skipping an event ----------------------------------------------------------------

/** Skipping event `e` while waiting for stage `k` (its next occurrence if it is the current stage). */
export function maySkip(m: Model, run: Run, k: number, e: Ev): boolean {
  const last = lastTakeStage(run);
  const ctx = eventsForOf(m, run);
  if (k < last || !waitsFor(run, k)) return false;
  if (k === last) return countOf(run, k) < max(m, k) && innerSkipAllowed(m, k, e, ctx);
  return canMoveOn(m, run, last, k) && outerSkipAllowed(m, k, e, ctx) && greedyAllows(m, run, k, e, ctx);
}

/**
 * Between two events of the same stage, the stage's inner contiguity decides
 * (`NFACompiler.getInnerIgnoreCondition`, extended with `until`):
 * consecutive (STRICT): nothing may be skipped; relaxed (SKIP_TILL_NEXT, the default): only an
 * event that does not satisfy the condition; allowCombinations (SKIP_TILL_ANY): any event.
 * Either way an event satisfying `until` cannot be skipped (nor taken): it ends the loop.
 */
function innerSkipAllowed(m: Model, k: number, e: Ev, ctx: EventsFor): boolean {
  const s = m.stages[k]!;
  if (s.until !== undefined && evalCond(s.until, e, ctx, s.name)) return false;
  switch (s.inner) {
    case "consecutive":
      return false;
    case "relaxed":
      return !plainCondition(m, k, e, ctx);
    case "combinations":
      return true;
  }
}

/**
 * Before a stage's first event, its own contiguity decides (`NFACompiler.getIgnoreCondition`
 * on the stage's first state; `until` is not part of it): next (STRICT): nothing may be
 * skipped; followedBy (SKIP_TILL_NEXT): only an event that does not satisfy the stage's
 * condition ("takes the first match"); followedByAny (SKIP_TILL_ANY): any event.
 */
function outerSkipAllowed(m: Model, k: number, e: Ev, ctx: EventsFor): boolean {
  switch (m.stages[k]!.contiguity) {
    case "next":
      return false;
    case "followedBy":
      return !plainCondition(m, k, e, ctx);
    case "followedByAny":
      return true;
  }
}

// ---- R4: completion -----------------------------------------------------------------------

/**
 * A take of event `e` for stage `k` completes a match when the stage has its minimum and only
 * optional stages follow (`NFA.findFinalStateAfterProceed` follows proceed edges to the Final
 * state). A pattern ending with a not-stage never completes on a take. The proceed edges are
 * evaluated on the event just taken, in the context of the run before it: a notFollowedBy in
 * between has no edge of its own there (it only adds stop edges), but a notNext right after `k`
 * does, with condition NOT(not condition); so `begin(a).notNext(b).followedBy(c).optional()`
 * completes on `a` only if `a` itself does not satisfy `b`. (A greedy stage would add its own
 * condition there; an optional stage after a greedy one is not generated.)
 */
export function takeCompletes(m: Model, run: Run, k: number, e: Ev): boolean {
  const newCount = countOf(run, k) + 1;
  if (m.endNot !== undefined || newCount < min(m, k) || !allOptionalBetween(m, k, m.stages.length)) return false;
  const notNextAfter = m.nots.find((n) => n.after === k && n.not.kind === "notNext");
  return notNextAfter === undefined || !notMatches(m, run, notNextAfter, e);
}

/**
 * After a take the run lives on (as a partial match) unless the take went straight to the
 * Final state: the last stage, full, with nothing after it.
 */
export function liveOnAfterTake(m: Model, k: number, newCount: number): boolean {
  return !(m.endNot === undefined && k === m.stages.length - 1 && newCount === max(m, k));
}

/**
 * notFollowedBy at the end (FLINK-26941): a Pending state after the last stage, with an ignore
 * edge for events not matching the not condition. It is reached by the last stage's take when
 * the stage is full, else by its proceed edge on the next event. The run skips that event.
 */
export function maySkipPending(m: Model, run: Run, e: Ev): boolean {
  const n = m.endNot;
  if (n === undefined || n.not.kind !== "notFollowedBy") return false;
  if (!greedyAllows(m, run, m.stages.length, e, eventsForOf(m, run))) return false;
  const l = lastLabel(run);
  if (l.act === "skipPending") return true;
  return l.act === "take" && l.stage === n.after && countOf(run, n.after) >= min(m, n.after);
}

/**
 * Whether the run sits in the Pending state; when its window ends it is emitted as a match
 * (`NFA.advanceTime`: a timed-out Pending state goes to `potentialMatches`, not to timeouts).
 */
export function inPending(m: Model, run: Run): boolean {
  const n = m.endNot;
  if (n === undefined || n.not.kind !== "notFollowedBy") return false;
  const l = lastLabel(run);
  return l.act === "skipPending" || (l.act === "take" && l.stage === n.after && countOf(run, n.after) === max(m, n.after));
}

// ---- R5: within ---------------------------------------------------------------------------

/**
 * `within` is strict and checked whenever time advances, which it does before each event
 * (`advanceTime(ts)` runs before `process`) and at each watermark: `NFA.isStateTimedOut` is
 * `timestamp - startTimestamp >= windowTime`. So a run sees event `i` only if
 * `ts(i) - ts(start) < within`.
 */
export function windowClosedAt(m: Model, run: Run, time: number): boolean {
  if (m.windowMs === undefined) return false;
  return time - m.input[run.start]!.timestamp >= m.windowMs;
}
