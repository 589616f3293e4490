/**
 * The slow, obvious reference matcher: FlinkCEP's matches for a `PatternSpec` over a sorted,
 * timestamped input ending with `{ watermark: Infinity }`, found by enumerating labelled runs
 * (`runs.ts`, rules in `rules.ts`) and applying the after-match skip strategy
 * (`after-match.ts`). Results are in the engine's shape (stage name -> events), so tests can
 * compare them with `runPattern`'s after `normalize`.
 */
import { applySkipStrategy } from "./after-match.js";
import type { Take } from "./run.js";
import { enumerateRuns, type FeedItem } from "./runs.js";
import type { Ev, PatternSpec } from "./spec.js";
import type { Model } from "./model.js";

export type MatchRecord = Record<string, Ev[]>;

export interface ReferenceResult {
  readonly matches: MatchRecord[];
  readonly timeouts: Array<{ match: MatchRecord; timestamp: number }>;
}

/**
 * FlinkCEP's matches and timed-out partial matches when `feed` is given to the NFA in this
 * order (events, and watermarks between them), followed by `{ watermark: Infinity }`.
 */
export function referenceRun(spec: PatternSpec, feed: readonly FeedItem[]): ReferenceResult {
  const timeline = enumerateRuns(spec, feed);
  const outcome = applySkipStrategy(timeline);
  const m = timeline.model;
  return {
    matches: outcome.matches.map((x) => toRecord(m, x.takes)),
    timeouts: outcome.timeouts.map((x) => ({ match: toRecord(m, x.takes), timestamp: x.timestamp })),
  };
}

/** Stage name -> taken events in arrival order, keys in pattern order, stages without events absent. */
function toRecord(m: Model, takes: readonly Take[]): MatchRecord {
  const out: MatchRecord = {};
  m.stages.forEach((s, k) => {
    const evs = takes.filter((x) => x.stage === k).map((x) => m.input[x.index]!.event);
    if (evs.length > 0) out[s.name] = evs;
  });
  return out;
}

// ---- comparing results as multisets ------------------------------------------------------

/** `a:[0,3] b:[5]`: stage -> event ids, in the record's own key order. */
export function matchKey(m: Record<string, readonly { id: number }[]>): string {
  return Object.entries(m)
    .map(([k, evs]) => `${k}:[${evs.map((e) => e.id).join(",")}]`)
    .join(" ");
}

export function timeoutKey(t: { match: Record<string, readonly { id: number }[]>; timestamp: number }): string {
  return `${matchKey(t.match)} @${t.timestamp}`;
}

/** Sorted keys, so two multisets are equal iff the arrays are equal. */
export function multiset<X>(xs: readonly X[], key: (x: X) => string): string[] {
  return xs.map(key).sort();
}
