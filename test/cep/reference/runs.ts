/**
 * Brute-force enumeration of every labelled run the rules in `rules.ts` accept, from every
 * start event, and the timeline facts the after-match skip strategies need.
 *
 * Time is a list of steps, as FlinkCEP's NFA sees it: before each event the time advances to
 * the event's timestamp (windows expire: `NFA.advanceTime`), then the event is processed
 * (`NFA.process`); a watermark between events is one more advance, and the final
 * `{ watermark: Infinity }` is the last step.
 */
import { makeModel, type Model } from "./model.js";
import { notNextEndCompletes, notStops, watchingNots } from "./not-stages.js";
import { countOf, takesOf, type Label, type Run, type Take } from "./run.js";
import {
  inPending,
  liveOnAfterTake,
  maySkip,
  maySkipPending,
  mayStartWith,
  mayTake,
  takeCompletes,
  windowClosedAt,
} from "./rules.js";
import type { PatternSpec, TimedEv } from "./spec.js";

/** The input as the NFA receives it: events in processing order, watermarks in between. */
export type FeedItem = TimedEv | { readonly watermark: number };

export type Step = { readonly kind: "advance"; readonly time: number } | { readonly kind: "process"; readonly event: number };

/** A match found by the enumeration, before any skip strategy. */
export interface Completed {
  readonly start: number;
  readonly takes: readonly Take[];
  /** The step at which FlinkCEP completes it (adds it to `potentialMatches`). */
  readonly step: number;
}

/** A partial match whose window ended (at step `step`), with FlinkCEP's reported time. */
export interface Expired {
  readonly start: number;
  readonly takes: readonly Take[];
  readonly step: number;
  readonly timestamp: number;
}

export interface Timeline {
  readonly model: Model;
  readonly steps: readonly Step[];
  readonly completed: Completed[];
  readonly expired: Expired[];
  /** `alive[step]`: start events of the partial matches alive after that step. */
  readonly alive: Array<Set<number>>;
}

interface Clock {
  readonly steps: Step[];
  /** `processStep[i]`: index of the step processing event `i`. */
  readonly processStep: number[];
  /** `advancesBefore[i]`: the advance steps between event `i - 1` and event `i` (`i = n`: after the last). */
  readonly advancesBefore: number[][];
}

export function enumerateRuns(spec: PatternSpec, feed: readonly FeedItem[]): Timeline {
  const events = feed.filter((x): x is TimedEv => "event" in x);
  const m = makeModel(spec, events);
  const clock = makeClock(feed);
  const t: Timeline & { clock: Clock } = {
    model: m,
    steps: clock.steps,
    completed: [],
    expired: [],
    alive: clock.steps.map(() => new Set<number>()),
    clock,
  };
  events.forEach((ev, s) => {
    for (let k = 0; k < m.stages.length; k++) {
      if (mayStartWith(m, k, ev.event)) afterTake(t, { start: s, labels: [] }, k, s, false);
    }
  });
  return t;
}

/**
 * Steps: before each event, an advance of the clock to its timestamp, then the event;
 * watermarks as extra advances; a final advance to Infinity. The clock never goes back
 * (cep-api.md, runPattern "arrival": "time never moves backwards"; engine-api.md:
 * `process` "advances this key's time to max(time, timestamp) first"), and every advance
 * checks the windows at the clock's time, moved or not. A watermark not above the previous
 * watermark is ignored. (With sorted events and watermarks no further than the next event,
 * this is exactly FlinkCEP's `advanceTime(ts)` before each `process`.)
 */
function makeClock(feed: readonly FeedItem[]): Clock {
  const steps: Step[] = [];
  const processStep: number[] = [];
  const advancesBefore: number[][] = [[]];
  let now = -Infinity;
  let lastWatermark = -Infinity;
  const advance = (time: number) => {
    now = Math.max(now, time);
    advancesBefore[advancesBefore.length - 1]!.push(steps.length);
    steps.push({ kind: "advance", time: now });
  };
  for (const item of [...feed, { watermark: Infinity }]) {
    if ("watermark" in item) {
      if (item.watermark <= lastWatermark) continue;
      lastWatermark = item.watermark;
      advance(item.watermark);
      continue;
    }
    advance(item.timestamp);
    processStep.push(steps.length);
    steps.push({ kind: "process", event: processStep.length - 1 });
    advancesBefore.push([]);
  }
  return { steps, processStep, advancesBefore };
}

type Work = Timeline & { clock: Clock };

/** Records what a take of event `i` for stage `k` leads to, and follows the run on. */
function afterTake(t: Work, before: Run, k: number, i: number, discarded: boolean): void {
  const completes = takeCompletes(t.model, before, k, t.model.input[i]!.event);
  const run: Run = { start: before.start, labels: [...before.labels, { act: "take", stage: k }] };
  if (completes) t.completed.push({ start: run.start, takes: takesOf(run), step: t.clock.processStep[i]! });
  if (!discarded && liveOnAfterTake(t.model, k, countOf(run, k))) follow(t, run);
}

/**
 * The run is alive after processing its last event. It lives through the time advances that
 * follow unless its window ends in one of them; then every label is tried for the next event.
 */
function follow(t: Work, run: Run): void {
  const m = t.model;
  const i = run.start + run.labels.length;
  t.alive[t.clock.processStep[i - 1]!]!.add(run.start);
  for (const a of t.clock.advancesBefore[i]!) {
    const step = t.steps[a] as { time: number };
    if (windowClosedAt(m, run, step.time)) return expire(t, run, a);
    t.alive[a]!.add(run.start);
  }
  if (i === m.input.length) return;

  const e = m.input[i]!.event;
  const here = t.clock.processStep[i]!;
  const stoppedBy = watchingNots(m, run).filter((nr) => notStops(m, run, nr, e));
  const discarded = stoppedBy.length > 0;
  // A Final state reached on this very event is emitted even so (rules.ts, watchingNots) -
  // unless the way to it crossed a notNext state, whose proceed edge needs NOT(condition).
  const finalsSurvive = stoppedBy.every((nr) => nr.not.kind === "notFollowedBy");
  if (!discarded && notNextEndCompletes(m, run, e)) t.completed.push({ start: run.start, takes: takesOf(run), step: here });
  for (let k = 0; k < m.stages.length; k++) {
    if (mayTake(m, run, k, e) && finalsSurvive) afterTake(t, run, k, i, discarded);
    if (!discarded && maySkip(m, run, k, e)) follow(t, extend(run, { act: "skip", stage: k }));
  }
  if (!discarded && maySkipPending(m, run, e)) follow(t, extend(run, { act: "skipPending" }));
}

/** The run's window ended at `step`: a Pending run is a match, any other a timed-out partial match. */
function expire(t: Work, run: Run, step: number): void {
  const m = t.model;
  if (inPending(m, run)) {
    t.completed.push({ start: run.start, takes: takesOf(run), step });
    return;
  }
  // NFA.advanceTime reports `startTimestamp + windowTime`
  const timestamp = m.input[run.start]!.timestamp + m.windowMs!;
  t.expired.push({ start: run.start, takes: takesOf(run), step, timestamp });
}

function extend(run: Run, l: Label): Run {
  return { start: run.start, labels: [...run.labels, l] };
}
