import { AfterMatchSkipStrategy, ConsumingStrategy, Pattern, type SkipKind } from "../../cep/index.js";
import type { RuleEvent } from "./build-pattern.js";

/*
 * A module pattern file is imported in a module namespace of its own (tsx), so the `Pattern` it
 * builds comes from its own copy of Vigil's modules, never the loader's: `instanceof Pattern`
 * fails, and `compile()` rejects it. A Pattern is immutable data (its fields and the condition
 * functions), so the loader re-creates the same chain in its own copy, after checking that every
 * field is what this version of the CEP layer keeps. That reads `Pattern._f`, which is internal
 * to src/cep; the check below is what makes a Pattern from another version an error instead of
 * a rule that runs differently.
 */

type Fields = Pattern<RuleEvent>["_f"];

const FIELD_NAMES: ReadonlyArray<keyof Fields> = ["name", "previous", "quantifier", "times", "condition", "until", "windowMs", "stageWindowMs", "skip", "group"];
const QUANTIFIER_KEYS = ["kind", "consuming", "inner", "optional", "greedy"];
const QUANTIFIER_KINDS = new Set(["single", "looping", "times"]);
const CONSUMING = new Set<string>(Object.values(ConsumingStrategy));
const SKIPS: Record<SkipKind, (stage: string) => AfterMatchSkipStrategy> = {
  noSkip: () => AfterMatchSkipStrategy.noSkip(),
  skipToNext: () => AfterMatchSkipStrategy.skipToNext(),
  skipPastLastEvent: () => AfterMatchSkipStrategy.skipPastLastEvent(),
  skipToFirst: (stage) => AfterMatchSkipStrategy.skipToFirst(stage),
  skipToLast: (stage) => AfterMatchSkipStrategy.skipToLast(stage),
};
/** Bounds on what is walked, so a cyclic or absurd object cannot hang the loader. */
const MAX_STAGES = 10_000;
const MAX_GROUP_DEPTH = 64;

/** Why a value is not usable as a pattern. */
class NotAPattern extends Error {}

/**
 * The `pattern` of a module file as a `Pattern` of this copy of Vigil: the value itself when it
 * is one, else a re-creation of a Pattern built by another copy (see above). `skip`, when
 * given, replaces the pattern's after-match strategy (the file's `afterMatch`). Returns an
 * error message when the value is not a Vigil Pattern, or is one of an incompatible version.
 */
export function adoptPattern(value: unknown, skip?: AfterMatchSkipStrategy): { pattern: Pattern<RuleEvent> } | { error: string } {
  if (!looksLikePattern(value)) return { error: `is not a Vigil Pattern (got ${describeValue(value)}); build it with Pattern.begin(...)` };
  try {
    return { pattern: new Adopter().chain(value, 0, skip) };
  } catch (err) {
    if (!(err instanceof NotAPattern)) throw err;
    return { error: `is a Pattern this version of Vigil cannot run (${err.message}); build it with the Vigil that loads it` };
  }
}

/** Names of a pattern's single stages in pattern order (groups expanded), and which are negative. */
export function stagesOf(pattern: Pattern<RuleEvent>): { names: string[]; negative: Map<string, string> } {
  const names: string[] = [];
  const negative = new Map<string, string>();
  const walk = (p: Pattern<RuleEvent>): void => {
    for (const stage of p.stages()) {
      const f = stage._f;
      if (f.group !== null) {
        walk(f.group);
        continue;
      }
      names.push(f.name);
      if (f.quantifier.consuming === ConsumingStrategy.NOT_NEXT) negative.set(f.name, "notNext");
      if (f.quantifier.consuming === ConsumingStrategy.NOT_FOLLOW) negative.set(f.name, "notFollowedBy");
    }
  };
  walk(pattern);
  return { names, negative };
}

function looksLikePattern(value: unknown): value is { _f: unknown } {
  if (value instanceof Pattern) return true;
  if (typeof value !== "object" || value === null) return false;
  const f = (value as { _f?: unknown })._f;
  return typeof f === "object" && f !== null && typeof (value as { stages?: unknown }).stages === "function";
}

class Adopter {
  /** Foreign stage to its copy: a chain is re-created once even when reached twice. */
  private readonly copies = new Map<object, Pattern<RuleEvent>>();

  /** Copies the chain ending at `last` (first stage first), with `skip` on every stage when given. */
  chain(last: unknown, depth: number, skip?: AfterMatchSkipStrategy): Pattern<RuleEvent> {
    if (depth > MAX_GROUP_DEPTH) throw new NotAPattern(`groups nested deeper than ${MAX_GROUP_DEPTH}`);
    const stages: object[] = [];
    for (let p: unknown = last; p !== null; p = fieldsOf(p).previous) {
      if (stages.length >= MAX_STAGES) throw new NotAPattern(`more than ${MAX_STAGES} stages, or a cycle`);
      stages.push(p as object);
    }
    let previous: Pattern<RuleEvent> | null = null;
    for (const stage of stages.reverse()) previous = this.stage(stage, previous, depth, skip);
    return previous as Pattern<RuleEvent>;
  }

  private stage(foreign: object, previous: Pattern<RuleEvent> | null, depth: number, skip?: AfterMatchSkipStrategy): Pattern<RuleEvent> {
    const known = this.copies.get(foreign);
    if (known !== undefined && skip === undefined) return known;
    if (foreign instanceof Pattern && skip === undefined && previous === foreign._f.previous) return foreign as Pattern<RuleEvent>;
    const f = fieldsOf(foreign);
    const at = `stage ${JSON.stringify(f.name)}`;
    const fields: Fields = {
      name: f.name,
      previous,
      quantifier: checkQuantifier(f.quantifier, at),
      times: checkTimes(f.times, at),
      condition: checkCond(f.condition, `${at}: condition`),
      until: checkCond(f.until, `${at}: until`),
      windowMs: checkWindow(f.windowMs, at),
      stageWindowMs: checkWindow(f.stageWindowMs, at),
      skip: skip ?? copySkip(f.skip, at),
      group: f.group === null ? null : this.chain(f.group, depth + 1),
    };
    const copy = Object.create(Pattern.prototype) as Pattern<RuleEvent>;
    Object.defineProperty(copy, "_f", { value: Object.freeze(fields), enumerable: true });
    this.copies.set(foreign, copy);
    return copy;
  }
}

/** A stage's fields, with exactly the keys this version keeps. */
function fieldsOf(p: unknown): Record<keyof Fields, any> {
  const f = (p as { _f?: unknown } | null)?._f;
  if (typeof f !== "object" || f === null) throw new NotAPattern("a stage without fields");
  const keys = Object.keys(f);
  const extra = keys.filter((k) => !(FIELD_NAMES as readonly string[]).includes(k));
  const missing = FIELD_NAMES.filter((k) => !keys.includes(k));
  if (extra.length > 0 || missing.length > 0) {
    throw new NotAPattern(`its stages have ${[...extra.map((k) => `an unknown field ${k}`), ...missing.map((k) => `no field ${k}`)].join(", ")}`);
  }
  const fields = f as Record<keyof Fields, any>;
  if (typeof fields.name !== "string") throw new NotAPattern("a stage without a name");
  return fields;
}

function checkQuantifier(q: any, at: string): Fields["quantifier"] {
  const ok =
    typeof q === "object" && q !== null &&
    Object.keys(q).length === QUANTIFIER_KEYS.length && QUANTIFIER_KEYS.every((k) => k in q) &&
    QUANTIFIER_KINDS.has(q.kind) && CONSUMING.has(q.consuming) && CONSUMING.has(q.inner) &&
    typeof q.optional === "boolean" && typeof q.greedy === "boolean";
  if (!ok) throw new NotAPattern(`${at}: an unknown quantifier`);
  return Object.freeze({ ...q }) as Fields["quantifier"];
}

function checkTimes(t: any, at: string): Fields["times"] {
  if (t === undefined) return undefined;
  if (typeof t !== "object" || t === null || !Number.isInteger(t.from) || !Number.isInteger(t.to)) throw new NotAPattern(`${at}: unknown times`);
  return Object.freeze({ from: t.from as number, to: t.to as number });
}

function checkCond(c: any, at: string): Fields["condition"] {
  if (c === undefined) return undefined;
  const ok =
    typeof c === "object" && c !== null && typeof c.test === "function" && typeof c.text === "string" &&
    typeof c.inert === "boolean" && (c.isTrue === undefined || typeof c.isTrue === "boolean") &&
    Array.isArray(c.leaves) && c.leaves.every((l: any) => typeof l?.test === "function" && typeof l.contextFree === "boolean");
  if (!ok) throw new NotAPattern(`${at} is not a compiled condition`);
  return c as Fields["condition"];
}

function checkWindow(ms: any, at: string): number | undefined {
  if (ms === undefined || (typeof ms === "number" && Number.isFinite(ms) && ms > 0)) return ms as number | undefined;
  throw new NotAPattern(`${at}: an unknown window`);
}

function copySkip(skip: any, at: string): AfterMatchSkipStrategy {
  if (skip instanceof AfterMatchSkipStrategy) return skip;
  const make = typeof skip?.kind === "string" && Object.hasOwn(SKIPS, skip.kind) ? SKIPS[skip.kind as SkipKind] : undefined;
  if (make === undefined) throw new NotAPattern(`${at}: an unknown after-match strategy`);
  const copy = make(typeof skip.patternName === "string" ? skip.patternName : "");
  return skip.throwOnMiss === true ? copy.throwExceptionOnMiss() : copy;
}

function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (value === undefined) return "nothing";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "function") return "a function";
  if (typeof value !== "object") return `a ${typeof value}`;
  const keys = Object.keys(value);
  return keys.length === 0 ? "an empty object" : `an object with ${keys.slice(0, 5).join(", ")}${keys.length > 5 ? ", ..." : ""}`;
}

/** The smallest FIRST_AND_LAST window set on any stage of `pattern` (groups included), if any. */
export function ownWindowMs(pattern: Pattern<RuleEvent>): number | undefined {
  let min: number | undefined;
  const walk = (p: Pattern<RuleEvent>): void => {
    for (const stage of p.stages()) {
      const { windowMs, group } = stage._f;
      if (windowMs !== undefined && (min === undefined || windowMs < min)) min = windowMs;
      if (group !== null) walk(group);
    }
  };
  walk(pattern);
  return min;
}
