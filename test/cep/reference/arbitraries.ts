/**
 * fast-check arbitraries for `PatternSpec`s that FlinkCEP accepts, and for small inputs.
 *
 * A raw draw is made valid by `toValidSpec`, which drops or changes what FlinkCEP would reject
 * (rules from Pattern.java, Quantifier.java and NFACompiler.java), plus a few shapes the
 * reference does not model (see `model.ts#assertSupported`). Mapping instead of filtering keeps
 * shrinking effective.
 */
import fc from "fast-check";
import type { EventTimeItem } from "./event-time.js";
import type {
  CondSpec,
  Contiguity,
  EvType,
  Inner,
  NotStage,
  PatternSpec,
  PositiveStage,
  QuantSpec,
  SkipSpec,
  StageSpec,
  TimedEv,
} from "./spec.js";

/** Which features a family of properties draws from. */
export interface Features {
  quantifiers: boolean;
  optional: boolean;
  greedy: boolean;
  nots: boolean;
  within: boolean;
  skips: boolean;
  iterative: boolean;
}

export const NONE: Features = { quantifiers: false, optional: false, greedy: false, nots: false, within: false, skips: false, iterative: false };

const NAMES = ["A", "B", "C", "D"];
const evType: fc.Arbitrary<EvType> = fc.constantFrom("a", "b", "c");

/** A condition draw; `iter` is resolved to an iterative condition on an earlier stage. */
type RawCond = CondSpec | { kind: "iter"; pick: number; own: boolean };

function condArb(iterative: boolean): fc.Arbitrary<RawCond> {
  const plain: Array<fc.WeightedArbitrary<RawCond>> = [
    { weight: 6, arbitrary: evType.map((type) => ({ kind: "type", type }) as const) },
    { weight: 1, arbitrary: evType.map((type) => ({ kind: "notType", type }) as const) },
    { weight: 2, arbitrary: fc.integer({ min: 0, max: 3 }).map((k) => ({ kind: "vGt", k }) as const) },
    { weight: 1, arbitrary: fc.integer({ min: 1, max: 4 }).map((k) => ({ kind: "vLt", k }) as const) },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: 4 }).map((k) => ({ kind: "vEq", k }) as const) },
    { weight: 1, arbitrary: fc.record({ type: evType, k: fc.integer({ min: 0, max: 2 }) }).map((r) => ({ kind: "typeAndVGt", ...r }) as const) },
    { weight: 1, arbitrary: fc.constant({ kind: "true" } as const) },
  ];
  if (iterative) plain.push({ weight: 3, arbitrary: fc.record({ pick: fc.nat(3), own: fc.boolean() }).map((r) => ({ kind: "iter", ...r }) as const) });
  return fc.oneof(...plain);
}

interface RawStage {
  role: "stage" | "notNext" | "notFollowedBy";
  contiguity: Contiguity;
  cond: RawCond;
  quant: QuantSpec;
  inner: Inner;
  optional: boolean;
  viaZero: boolean;
  greedy: boolean;
  until: RawCond | null;
}

function rawStageArb(f: Features): fc.Arbitrary<RawStage> {
  const quant: fc.Arbitrary<QuantSpec> = f.quantifiers
    ? fc.oneof(
        { weight: 3, arbitrary: fc.constant({ kind: "single" } as const) },
        {
          weight: 2,
          arbitrary: fc
            .record({ from: fc.integer({ min: 1, max: 3 }), extra: fc.integer({ min: 0, max: 2 }) })
            .map(({ from, extra }) => ({ kind: "times", from, to: from + extra }) as const),
        },
        {
          weight: 3,
          arbitrary: fc
            .record({ min: fc.integer({ min: 1, max: 3 }), via: fc.boolean() })
            .map(({ min, via }) => ({ kind: "looping", min, viaOneOrMore: via && min === 1 }) as const),
        },
      )
    : fc.constant({ kind: "single" } as const);
  return fc.record({
    role: f.nots ? fc.constantFrom<RawStage["role"]>("stage", "stage", "stage", "notNext", "notFollowedBy") : fc.constant("stage" as const),
    contiguity: fc.constantFrom<Contiguity>("next", "followedBy", "followedByAny"),
    cond: condArb(f.iterative),
    quant,
    inner: f.quantifiers ? fc.constantFrom<Inner>("relaxed", "relaxed", "consecutive", "combinations") : fc.constant("relaxed" as const),
    optional: f.optional ? fc.boolean() : fc.constant(false),
    viaZero: fc.boolean(),
    greedy: f.greedy ? fc.boolean() : fc.constant(false),
    until: f.quantifiers ? fc.oneof({ weight: 3, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: condArb(false) }) : fc.constant(null),
  });
}

function skipArb(f: Features): fc.Arbitrary<{ kind: SkipSpec["kind"]; pick: number }> {
  const kinds: SkipSpec["kind"][] = f.skips ? ["noSkip", "skipToNext", "skipPastLastEvent", "skipToFirst", "skipToLast"] : ["noSkip"];
  return fc.record({ kind: fc.constantFrom(...kinds), pick: fc.nat(3) });
}

export function specArb(f: Features): fc.Arbitrary<PatternSpec> {
  return fc
    .record({
      stages: fc.array(rawStageArb(f), { minLength: 2, maxLength: 4 }),
      within: f.within ? fc.oneof({ weight: 1, arbitrary: fc.constant(null) }, { weight: 2, arbitrary: fc.integer({ min: 1, max: 8 }) }) : fc.constant(null),
      endWithin: fc.integer({ min: 1, max: 8 }),
      skip: skipArb(f),
    })
    .map((raw) => toValidSpec(raw.stages, raw.within, raw.endWithin, raw.skip));
}

/** Turns a raw draw into a spec FlinkCEP (and the reference) accepts. */
export function toValidSpec(
  raws: readonly RawStage[],
  within: number | null,
  endWithin: number,
  skipRaw: { kind: SkipSpec["kind"]; pick: number },
): PatternSpec {
  const stages: StageSpec[] = [];
  raws.forEach((raw, i) => {
    const name = NAMES[i]!;
    const prev = stages[i - 1];
    // a not-stage needs a non-optional positive stage right before it (Pattern.notNext /
    // notFollowedBy "optional path to NOT condition"); not two in a row (see model.ts)
    const canBeNot = prev !== undefined && prev.kind === "stage" && !prev.optional;
    if (raw.role !== "stage" && canBeNot) {
      stages.push({ kind: raw.role, name, cond: resolveCond(raw.cond, stages, name, true) } satisfies NotStage);
      return;
    }
    const quant = raw.quant;
    const looping = quant.kind === "looping";
    const single = quant.kind === "single";
    // the stage whose greedy guards this one: the previous positive one, across a not-stage
    const guard = [...stages].reverse().find((x) => x.kind === "stage");
    const afterGreedy = guard !== undefined && guard.kind === "stage" && guard.greedy;
    // consecutive / allowCombinations need a looping or times quantifier (Quantifier.consecutive / combinations)
    const inner: Inner = single ? "relaxed" : raw.inner;
    // until only on looping stages (Pattern.until)
    const until = looping && raw.until !== null ? resolveCond(raw.until, stages, name, false) : undefined;
    // greedy: not on a singleton (Quantifier.greedy), not with allowCombinations; the stage after it
    // may not be optional (Pattern.checkIfPreviousPatternGreedy)
    const greedy = raw.greedy && !single && inner !== "combinations";
    // optional: never after greedy (also across a not-stage), not as a greedy until-loop after a
    // notFollowedBy (see model.ts), never making the pattern empty (fixOptionality)
    const optional = raw.optional && !afterGreedy && !(greedy && until !== undefined && afterNotFollowedBy(stages));
    // times(0, to) / timesOrMore(0) are another way to write optional (from / min 1 only)
    const lowest = quant.kind === "times" ? quant.from : quant.kind === "looping" ? quant.min : 0;
    const optionalViaZero = optional && raw.viaZero && lowest === 1;
    const stage: PositiveStage = {
      kind: "stage",
      name,
      contiguity: raw.contiguity,
      cond: resolveCond(raw.cond, stages, name, false),
      quant,
      inner,
      optional,
      ...(optionalViaZero ? { optionalViaZero } : {}),
      greedy,
      ...(until !== undefined ? { until } : {}),
    };
    stages.push(stage);
  });
  fixOptionality(stages);
  const last = stages[stages.length - 1]!;
  const withinMs = within ?? (last.kind === "notFollowedBy" ? endWithin : undefined);
  const positives = stages.filter((s): s is PositiveStage => s.kind === "stage");
  const named = positives[skipRaw.pick % positives.length]!.name;
  const skip: SkipSpec =
    skipRaw.kind === "skipToFirst" || skipRaw.kind === "skipToLast" ? { kind: skipRaw.kind, stage: named } : { kind: skipRaw.kind };
  return { stages, skip, ...(withinMs !== undefined ? { withinMs } : {}) };
}

/** Optional stages must not make the pattern match the empty sequence: then the first stage is mandatory. */
function fixOptionality(stages: StageSpec[]): void {
  const first = stages[0];
  if (stages.every((s) => s.kind !== "stage" || s.optional) && first !== undefined && first.kind === "stage") {
    stages[0] = { ...first, optional: false, optionalViaZero: false };
  }
}

/** Whether the next stage follows a notFollowedBy, directly or through optional stages. */
function afterNotFollowedBy(stages: readonly StageSpec[]): boolean {
  for (let i = stages.length - 1; i >= 0; i--) {
    const s = stages[i]!;
    if (s.kind === "notFollowedBy") return true;
    if (s.kind === "stage" && s.optional) continue;
    return false;
  }
  return false;
}

/** Resolves `iter` to an iterative condition on an earlier positive stage (or the own stage). */
function resolveCond(c: RawCond, earlier: readonly StageSpec[], own: string, isNot: boolean): CondSpec {
  if (c.kind !== "iter") return c;
  const candidates = earlier.filter((s) => s.kind === "stage").map((s) => s.name);
  if (c.own && !isNot) return { kind: "vGtLastOwn" };
  if (candidates.length === 0) return { kind: "vGtLastOwn" };
  return { kind: "vGtFirstOf", stage: candidates[c.pick % candidates.length]! };
}

/** Inputs: up to `maxLength` events, small alphabet, non-decreasing timestamps. */
export function inputArb(maxLength: number): fc.Arbitrary<TimedEv[]> {
  return fc
    .array(fc.record({ type: evType, v: fc.integer({ min: 0, max: 4 }), dt: fc.integer({ min: 0, max: 2 }) }), { minLength: Math.min(3, maxLength), maxLength, size: "max" })
    .map((raws) => {
      let ts = 0;
      return raws.map((r, id) => {
        ts += r.dt;
        return { event: { id, type: r.type, v: r.v }, timestamp: ts };
      });
    });
}

/**
 * Out-of-order input for eventTime mode: events with timestamps in 0..12 in any order, with
 * watermarks in between (some events end up late). Event ids are arrival positions among events.
 */
export function eventTimeInputArb(maxLength: number): fc.Arbitrary<EventTimeItem[]> {
  const item = fc.oneof(
    { weight: 5, arbitrary: fc.record({ type: evType, v: fc.integer({ min: 0, max: 4 }), ts: fc.integer({ min: 0, max: 12 }) }) },
    { weight: 1, arbitrary: fc.record({ wm: fc.integer({ min: 0, max: 12 }) }) },
  );
  return fc.array(item, { minLength: Math.min(3, maxLength), maxLength, size: "max" }).map((raws) => {
    let id = 0;
    return raws.map((r): EventTimeItem => ("wm" in r ? { watermark: r.wm } : { event: { id: id++, type: r.type, v: r.v }, timestamp: r.ts }));
  });
}

/**
 * Arrival-mode input with watermarks between the events: events with non-decreasing timestamps,
 * and watermarks anywhere (possibly ahead of later events: time then stays where it is).
 */
export function arrivalWithWatermarksArb(maxLength: number): fc.Arbitrary<EventTimeItem[]> {
  return fc
    .tuple(inputArb(maxLength), fc.array(fc.record({ at: fc.nat(maxLength), wm: fc.integer({ min: 0, max: 3 * maxLength }) }), { maxLength: 4 }))
    .map(([events, wms]) => {
      const out: EventTimeItem[] = [];
      events.forEach((e, i) => {
        for (const w of wms) if (w.at === i) out.push({ watermark: w.wm });
        out.push(e);
      });
      for (const w of wms) if (w.at >= events.length) out.push({ watermark: w.wm });
      return out;
    });
}
