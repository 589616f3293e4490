/**
 * Builds the real fluent `Pattern` from a `PatternSpec` (the engine side of the property tests).
 * With `contextFree`, conditions that read no earlier events are one-parameter functions, so the
 * compiler sees them as context-free (and the CEP operator's inert-event skipping is exercised).
 */
import { AfterMatchSkipStrategy, Pattern } from "../../../src/cep/index.js";
import { evalCond, type CondSpec, type Ev, type PatternSpec, type PositiveStage, type SkipSpec } from "./spec.js";

export function buildPattern(spec: PatternSpec, options: { contextFree?: boolean } = {}): Pattern<Ev, Ev> {
  const condition = options.contextFree === true ? contextFreeCondition : anyCondition;
  const [first, ...rest] = spec.stages;
  if (first === undefined || first.kind !== "stage") throw new Error("a spec starts with a positive stage");
  let p = quantify(Pattern.begin<Ev>(first.name, skipStrategy(spec.skip)).where(condition(first.cond, first.name)), first, condition);
  for (const s of rest) {
    if (s.kind !== "stage") {
      p = s.kind === "notNext" ? p.notNext(s.name) : p.notFollowedBy(s.name);
      p = p.where(condition(s.cond, s.name));
    } else {
      const attached = s.contiguity === "next" ? p.next(s.name) : s.contiguity === "followedBy" ? p.followedBy(s.name) : p.followedByAny(s.name);
      p = quantify(attached.where(condition(s.cond, s.name)), s, condition);
    }
  }
  if (spec.withinMs !== undefined) p = p.within(spec.withinMs);
  return p;
}

/** Applies the quantifier and its options in an order FlinkCEP accepts. */
function quantify(p: Pattern<Ev, Ev>, s: PositiveStage, condition: typeof anyCondition): Pattern<Ev, Ev> {
  // times(0, to) / timesOrMore(0): FlinkCEP's Pattern.times(from, to) turns from 0 into optional
  const zero = s.optional && s.optionalViaZero === true;
  if (s.quant.kind === "times") {
    if (zero) p = p.times(0, s.quant.to);
    else p = s.quant.from === s.quant.to ? p.times(s.quant.from) : p.times(s.quant.from, s.quant.to);
  }
  if (s.quant.kind === "looping") p = zero ? p.timesOrMore(0) : s.quant.viaOneOrMore ? p.oneOrMore() : p.timesOrMore(s.quant.min);
  if (s.inner === "consecutive") p = p.consecutive();
  if (s.inner === "combinations") p = p.allowCombinations();
  if (s.greedy) p = p.greedy();
  if (s.optional && !zero) p = p.optional();
  if (s.until !== undefined) p = p.until(condition(s.until, s.name));
  return p;
}

const NO_EVENTS = (): readonly Ev[] => [];

function contextFreeCondition(c: CondSpec, ownStage: string) {
  if (c.kind !== "vGtFirstOf" && c.kind !== "vGtLastOwn") return (e: Ev) => evalCond(c, e, NO_EVENTS, ownStage);
  return anyCondition(c, ownStage);
}

function anyCondition(c: CondSpec, ownStage: string) {
  return (e: Ev, ctx: { eventsFor(stage: string): readonly Ev[] }) => evalCond(c, e, (stage) => ctx.eventsFor(stage), ownStage);
}

function skipStrategy(s: SkipSpec): AfterMatchSkipStrategy {
  switch (s.kind) {
    case "noSkip":
      return AfterMatchSkipStrategy.noSkip();
    case "skipToNext":
      return AfterMatchSkipStrategy.skipToNext();
    case "skipPastLastEvent":
      return AfterMatchSkipStrategy.skipPastLastEvent();
    case "skipToFirst":
      return AfterMatchSkipStrategy.skipToFirst(s.stage);
    case "skipToLast":
      return AfterMatchSkipStrategy.skipToLast(s.stage);
  }
}
