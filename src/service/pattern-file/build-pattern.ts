import { AfterMatchSkipStrategy, Pattern, PatternError, WithinType, compile, type Nfa } from "../../cep/index.js";
import type { EvalContext } from "../expr/index.js";
import { parseDuration } from "./duration.js";
import { childPointer, type RuleIssue } from "./issue.js";
import { isGroup, type RuleDoc, type SingleStageDoc, type StageDoc } from "./rule-doc.js";
import type { StageIndex } from "./stage-index.js";

/** A compiled condition of one stage, as the loader made it from the stage's expressions. */
export interface StageConditions {
  readonly where: (event: unknown, ctx: EvalContext) => boolean;
  readonly or?: (event: unknown, ctx: EvalContext) => boolean;
  readonly until?: (event: unknown, ctx: EvalContext) => boolean;
}

/** The events of pattern files are JSON values. */
export type RuleEvent = unknown;

/**
 * Builds the fluent `Pattern` of a validated rule and compiles it once. Any `PatternError` (or
 * other error) from the builder or compiler becomes an issue at the pointer of the stage it
 * names (the rule's `/stages` when it names none, `/afterMatch` for skip strategies).
 */
export function buildPattern(
  file: string,
  doc: RuleDoc,
  index: StageIndex,
  conditions: ReadonlyMap<string, StageConditions>,
): { pattern: Pattern<RuleEvent>; nfa: Nfa<RuleEvent> } | { issues: RuleIssue[] } {
  const pointers = new Map<string, string>(index.stages.map((s) => [s.name, s.pointer]));
  let current = "/stages";
  try {
    const skip = skipStrategy(doc);
    const build = (stages: readonly StageDoc[], pointer: string, skipOf?: AfterMatchSkipStrategy): Pattern<RuleEvent> => {
      let pattern: Pattern<RuleEvent> | undefined;
      stages.forEach((stage, i) => {
        const at = childPointer(pointer, i);
        const target: string | Pattern<RuleEvent> = isGroup(stage) ? build(stage.group, childPointer(at, "group")) : stage.name;
        if (typeof target !== "string") pointers.set(groupName(target), at);
        current = at;
        pattern = pattern === undefined ? Pattern.begin<RuleEvent>(target, skipOf) : append(pattern, target, stage);
        pattern = isGroup(stage) ? applyOptions(pattern, stage) : applySingle(pattern, stage, conditions.get(stage.name));
      });
      if (pattern === undefined) throw new Error("empty stage list"); // the schema forbids it
      return pattern;
    };
    let pattern = build(doc.stages, "/stages", skip);
    current = "/within";
    if (doc.within !== undefined) pattern = pattern.within(durationMs(doc.within));
    current = "/stages";
    return { pattern, nfa: compile(pattern) };
  } catch (err) {
    const stage = err instanceof PatternError ? err.stage : undefined;
    let pointer = stage === undefined ? current : (pointers.get(stage) ?? current);
    if (err instanceof PatternError && /skip/i.test(err.rule)) pointer = "/afterMatch";
    const message = err instanceof Error ? err.message : String(err);
    return { issues: [{ file, pointer, message: err instanceof PatternError ? message : `cannot build the pattern: ${message}` }] };
  }
}

function skipStrategy(doc: RuleDoc): AfterMatchSkipStrategy {
  const am = doc.afterMatch;
  switch (am?.strategy) {
    case undefined:
    case "noSkip":
      return AfterMatchSkipStrategy.noSkip();
    case "skipToNext":
      return AfterMatchSkipStrategy.skipToNext();
    case "skipPastLastEvent":
      return AfterMatchSkipStrategy.skipPastLastEvent();
    case "skipToFirst":
      return AfterMatchSkipStrategy.skipToFirst(am.stage ?? "");
    case "skipToLast":
      return AfterMatchSkipStrategy.skipToLast(am.stage ?? "");
  }
}

function append(pattern: Pattern<RuleEvent>, target: string | Pattern<RuleEvent>, stage: StageDoc): Pattern<RuleEvent> {
  switch (stage.contiguity ?? "followedBy") {
    case "next":
      return pattern.next(target);
    case "followedBy":
      return pattern.followedBy(target);
    case "followedByAny":
      return pattern.followedByAny(target);
    case "notNext":
      return pattern.notNext(target as string); // the schema allows not-contiguities only on single stages
    case "notFollowedBy":
      return pattern.notFollowedBy(target as string);
  }
}

function applySingle(pattern: Pattern<RuleEvent>, stage: SingleStageDoc, cond: StageConditions | undefined): Pattern<RuleEvent> {
  if (cond === undefined) throw new Error(`internal: no compiled condition for stage ${stage.name}`);
  let p = pattern.where(cond.where);
  if (cond.or !== undefined) p = p.or(cond.or);
  p = applyOptions(p, stage);
  if (cond.until !== undefined) p = p.until(cond.until);
  if (stage.within !== undefined) p = p.within(durationMs(stage.within), WithinType.PREVIOUS_AND_CURRENT);
  return p;
}

/** Quantifier and its options, in the order the builder accepts them. */
function applyOptions(pattern: Pattern<RuleEvent>, stage: StageDoc): Pattern<RuleEvent> {
  let p = pattern;
  const q = stage.quantifier;
  if (q !== undefined) {
    if ("atLeast" in q) p = q.atLeast === 1 ? p.oneOrMore() : p.timesOrMore(q.atLeast);
    else if (Array.isArray(q.times)) p = p.times(q.times[0], q.times[1]);
    else p = p.times(q.times);
  }
  if (stage.consecutive === true) p = p.consecutive();
  if (stage.allowCombinations === true) p = p.allowCombinations();
  if (stage.greedy === true) p = p.greedy();
  if (stage.optional === true) p = p.optional();
  return p;
}

function durationMs(d: string | number): number {
  const parsed = parseDuration(d);
  if ("error" in parsed) throw new Error(parsed.error); // checked by the loader before building
  return parsed.ms;
}

/** The name the engine gives a group stage: its stages' names in parentheses. */
function groupName(group: Pattern<RuleEvent>): string {
  return `(${group.stages().map((s) => s.name).join(" ")})`;
}
