/**
 * Facts about a `PatternSpec` that the reference's rules refer to: positive stages by index,
 * where each not-stage sits, the window. Nothing here looks at events.
 */
import {
  maxCount,
  minCount,
  positiveStages,
  type NotStage,
  type PatternSpec,
  type PositiveStage,
  type TimedEv,
} from "./spec.js";

/** A not-stage and the positive stage right before it (FlinkCEP forbids a not-stage first). */
export interface NotRule {
  readonly not: NotStage;
  /** Index (among positive stages) of the stage the not-stage follows. */
  readonly after: number;
  /** Whether it is the pattern's last stage. */
  readonly atEnd: boolean;
}

export interface Model {
  readonly spec: PatternSpec;
  readonly input: readonly TimedEv[];
  /** The positive stages, in pattern order; runs refer to them by index. */
  readonly stages: readonly PositiveStage[];
  readonly nots: readonly NotRule[];
  /** The not-stage ending the pattern, if any. */
  readonly endNot: NotRule | undefined;
  /** `within` in ms; undefined: no window. */
  readonly windowMs: number | undefined;
}

export function makeModel(spec: PatternSpec, input: readonly TimedEv[]): Model {
  assertSupported(spec);
  const stages = positiveStages(spec);
  const nots: NotRule[] = [];
  let positivesSoFar = 0;
  spec.stages.forEach((s, i) => {
    if (s.kind === "stage") positivesSoFar++;
    else nots.push({ not: s, after: positivesSoFar - 1, atEnd: i === spec.stages.length - 1 });
  });
  const endNot = nots.find((n) => n.atEnd);
  return { spec, input, stages, nots, endNot, windowMs: spec.withinMs };
}

export const min = (m: Model, k: number): number => minCount(m.stages[k]!);
export const max = (m: Model, k: number): number => maxCount(m.stages[k]!);

/** Every positive stage strictly between `from` and `to` may be skipped (`optional`). */
export function allOptionalBetween(m: Model, from: number, to: number): boolean {
  for (let k = from + 1; k < to; k++) if (!m.stages[k]!.optional) return false;
  return true;
}

/** Index in `spec.stages` of positive stage `k`. */
export function specIndexOf(m: Model, k: number): number {
  return m.spec.stages.indexOf(m.stages[k]!);
}

/**
 * The positive stage whose `greedy` guards the state a run waits in for positive stage `k` (or,
 * with `k = stages.length`, the Pending state of a trailing notFollowedBy): the positive stage
 * before it, also across a notFollowedBy (no state of its own) or a notNext (its state is then
 * the guarded one: `throughNotNext`).
 */
export function greedyGuardOf(m: Model, k: number): { stage: number; throughNotNext: boolean } | undefined {
  const from = k < m.stages.length ? specIndexOf(m, k) : m.spec.stages.length;
  let throughNotNext = false;
  for (let i = from - 1; i >= 0; i--) {
    const s = m.spec.stages[i]!;
    if (s.kind === "stage") return { stage: m.stages.indexOf(s), throughNotNext };
    if (s.kind === "notNext") throughNotNext = true;
  }
  return undefined;
}

/**
 * The notFollowedBy stages "before" positive stage `k` in FlinkCEP's sense
 * (`NFACompiler.getCurrentNotCondition`): walking back from `k` over optional stages and
 * notFollowedBy stages, every notFollowedBy met.
 */
export function notFollowedByBefore(m: Model, k: number): NotStage[] {
  const out: NotStage[] = [];
  for (let i = specIndexOf(m, k) - 1; i >= 0; i--) {
    const s = m.spec.stages[i]!;
    if (s.kind === "notFollowedBy") out.push(s);
    else if (s.kind === "stage" && s.optional) continue;
    else break;
  }
  return out;
}

/**
 * The reference covers the patterns the generators make. Shapes whose FlinkCEP behaviour hangs
 * on compiler details beyond these rules are refused here rather than matched wrongly.
 */
function assertSupported(spec: PatternSpec): void {
  const st = spec.stages;
  const fail: (why: string) => never = (why) => {
    throw new Error(`reference: unsupported spec (${why})`);
  };
  if (st[0]?.kind !== "stage") fail("the first stage must be positive");
  st.forEach((s, i) => {
    const prev = st[i - 1];
    const next = st[i + 1];
    if (s.kind !== "stage") {
      // Pattern.notNext / notFollowedBy: "Specifying a pattern with an optional path to NOT
      // condition is not supported yet."
      if (prev?.kind !== "stage" || prev.optional) fail("a not-stage must follow a non-optional positive stage");
      if (next !== undefined && next.kind !== "stage") fail("two not-stages in a row");
      if (s.kind === "notFollowedBy" && next === undefined && spec.withinMs === undefined) fail("notFollowedBy at the end needs within");
    } else {
      if (s.greedy && s.until !== undefined && s.optional && notFollowedByBeforeSpec(st, i)) {
        fail("greedy with until on an optional loop after a notFollowedBy (originalStateMap misses the copied sink)");
      }
      if (s.greedy && s.inner === "combinations") fail("greedy with allowCombinations");
      // Pattern.checkIfPreviousPatternGreedy; across a not-stage it is not checked, not generated either
      const guard = [...st.slice(0, i)].reverse().find((x) => x.kind === "stage");
      if (s.optional && guard !== undefined && guard.kind === "stage" && guard.greedy) fail("optional after greedy");
    }
  });
  if (st.every((s) => s.kind !== "stage" || s.optional)) fail("a pattern that can match the empty sequence");
}

function notFollowedByBeforeSpec(st: PatternSpec["stages"], i: number): boolean {
  for (let j = i - 1; j >= 0; j--) {
    const s = st[j]!;
    if (s.kind === "notFollowedBy") return true;
    if (s.kind === "stage" && s.optional) continue;
    return false;
  }
  return false;
}
