/** Runs the engine and the reference on one case and explains any difference. */
import { runPattern } from "../../../src/cep/index.js";
import { buildPattern } from "./build-pattern.js";
import { matchKey, multiset, referenceRun, timeoutKey } from "./reference.js";
import { describeSpec, type PatternSpec, type TimedEv } from "./spec.js";
import type { FeedItem } from "./runs.js";
import { eventTimeFeed, type EventTimeItem } from "./event-time.js";

export type Mode = "arrival" | "eventTime";

export interface CheckOptions {
  /** Also compare timed-out partial matches (as multisets, with their timestamps). */
  readonly timeouts?: boolean;
}

/** Throws an Error naming the pattern, the input, and the expected and actual results when they differ. */
export function assertSameAsReference(spec: PatternSpec, input: readonly FeedItem[], mode: Mode, opts: CheckOptions = {}): void {
  const problem = differenceFromReference(spec, input, mode, opts);
  if (problem !== null) throw new Error(problem);
}

export function differenceFromReference(spec: PatternSpec, input: readonly FeedItem[], mode: Mode, opts: CheckOptions = {}): string | null {
  const expected = referenceRun(spec, input);
  const actual = runPattern(buildPattern(spec), [...input, { watermark: Infinity }], { mode });
  const lines: string[] = [];
  diff("matches", multiset(expected.matches, matchKey), multiset(actual.matches, matchKey), lines);
  if (opts.timeouts) diff("timeouts", multiset(expected.timeouts, timeoutKey), multiset(actual.timeouts, timeoutKey), lines);
  if (lines.length === 0) return null;
  return [
    `engine and reference disagree (mode ${mode})`,
    `pattern: ${describeSpec(spec)}`,
    `input:   ${describeFeed(input)}`,
    ...lines,
    `spec JSON: ${JSON.stringify(spec)}`,
  ].join("\n");
}

function diff(what: string, expected: string[], actual: string[], out: string[]): void {
  if (expected.join("|") === actual.join("|")) return;
  const missing = minus(expected, actual);
  const extra = minus(actual, expected);
  out.push(`${what} expected: ${show(expected)}`);
  out.push(`${what} actual:   ${show(actual)}`);
  if (missing.length > 0) out.push(`  missing from engine: ${show(missing)}`);
  if (extra.length > 0) out.push(`  extra in engine:     ${show(extra)}`);
}

function minus(a: string[], b: string[]): string[] {
  const rest = [...b];
  return a.filter((x) => {
    const i = rest.indexOf(x);
    if (i < 0) return true;
    rest.splice(i, 1);
    return false;
  });
}

function show(xs: string[]): string {
  return xs.length === 0 ? "(none)" : xs.map((x) => `{${x}}`).join(" ");
}

/**
 * eventTime mode on out-of-order input with watermarks: the reference runs on the events in
 * the order the operator releases them; late events must be reported as late.
 */
export function assertEventTimeSameAsReference(spec: PatternSpec, items: readonly EventTimeItem[], opts: CheckOptions = {}): void {
  const { feed, late } = eventTimeFeed(items);
  const expected = referenceRun(spec, feed);
  const actual = runPattern(buildPattern(spec), [...items, { watermark: Infinity }], { mode: "eventTime" });
  const lines: string[] = [];
  diff("matches", multiset(expected.matches, matchKey), multiset(actual.matches, matchKey), lines);
  if (opts.timeouts) diff("timeouts", multiset(expected.timeouts, timeoutKey), multiset(actual.timeouts, timeoutKey), lines);
  const ids = (xs: readonly TimedEv[]) => xs.map((x) => String(x.event.id)).sort();
  diff("late", ids(late), ids(actual.late as TimedEv[]), lines);
  if (lines.length === 0) return;
  throw new Error(
    [
      "engine and reference disagree (eventTime, out of order)",
      `pattern:  ${describeSpec(spec)}`,
      `input:    ${describeFeed(items)}`,
      `fed:      ${describeFeed(feed)}`,
      ...lines,
      `spec JSON: ${JSON.stringify(spec)}`,
    ].join("\n"),
  );
}

/** `#0:a1@0 W3 #1:c2@4`: events (id:type v@timestamp) and watermarks. */
function describeFeed(xs: readonly FeedItem[]): string {
  return xs.map((x) => ("watermark" in x ? `W${x.watermark}` : `#${x.event.id}:${x.event.type}${x.event.v}@${x.timestamp}`)).join(" ");
}
