/**
 * A plain-data description of a FlinkCEP pattern (`PatternSpec`), small enough to generate at
 * random, print in a failure message and read back. `build-pattern.ts` turns it into the real
 * fluent `Pattern`; `reference.ts` matches it by brute force. Both evaluate conditions with
 * `evalCond` below, so the two sides can only disagree about *matching*, never about what a
 * condition means.
 */

/** The events of the property tests: a small alphabet so that matches are common. */
export type EvType = "a" | "b" | "c";
export interface Ev {
  /** Arrival index in the input (0-based); what matches are compared by. */
  readonly id: number;
  readonly type: EvType;
  readonly v: number;
}
export interface TimedEv {
  readonly event: Ev;
  readonly timestamp: number;
}

/**
 * A condition. The iterative ones read `ctx.eventsFor(stage)` (FlinkCEP's
 * `IterativeCondition.Context#getEventsForPattern`): the events the partial match has already
 * taken for that stage, not counting the event under test.
 */
export type CondSpec =
  | { readonly kind: "type"; readonly type: EvType }
  | { readonly kind: "notType"; readonly type: EvType }
  | { readonly kind: "vGt"; readonly k: number }
  | { readonly kind: "vLt"; readonly k: number }
  | { readonly kind: "vEq"; readonly k: number }
  | { readonly kind: "typeAndVGt"; readonly type: EvType; readonly k: number }
  /** `v > first event of stage.v`; true while that stage has taken nothing. */
  | { readonly kind: "vGtFirstOf"; readonly stage: string }
  /** `v > last event of own stage.v`; true for the stage's first event (an increasing run). */
  | { readonly kind: "vGtLastOwn" }
  | { readonly kind: "true" };

export type Contiguity = "next" | "followedBy" | "followedByAny";
export type Inner = "relaxed" | "consecutive" | "combinations";

export type QuantSpec =
  | { readonly kind: "single" }
  /** `times(from)` when from === to, else `times(from, to)`; from >= 1. */
  | { readonly kind: "times"; readonly from: number; readonly to: number }
  /** `oneOrMore()` (min 1, `viaOneOrMore`) or `timesOrMore(min)`. */
  | { readonly kind: "looping"; readonly min: number; readonly viaOneOrMore: boolean };

export interface PositiveStage {
  readonly kind: "stage";
  readonly name: string;
  /** How the stage is attached to the previous one (ignored for the first stage). */
  readonly contiguity: Contiguity;
  readonly cond: CondSpec;
  readonly quant: QuantSpec;
  readonly inner: Inner;
  readonly optional: boolean;
  /** Write `optional` as `times(0, to)` / `timesOrMore(0)` (only when from / min is 1). */
  readonly optionalViaZero?: boolean;
  readonly greedy: boolean;
  readonly until?: CondSpec;
}

export interface NotStage {
  readonly kind: "notNext" | "notFollowedBy";
  readonly name: string;
  readonly cond: CondSpec;
}

export type StageSpec = PositiveStage | NotStage;

export type SkipSpec =
  | { readonly kind: "noSkip" }
  | { readonly kind: "skipToNext" }
  | { readonly kind: "skipPastLastEvent" }
  | { readonly kind: "skipToFirst"; readonly stage: string }
  | { readonly kind: "skipToLast"; readonly stage: string };

export interface PatternSpec {
  /** In pattern order; the first is a positive stage (`Pattern.begin`). */
  readonly stages: readonly StageSpec[];
  /** `within(ms)` (FIRST_AND_LAST) on the last stage, if set. */
  readonly withinMs?: number;
  readonly skip: SkipSpec;
}

/** Events taken so far by a partial match, per stage name (what `ctx.eventsFor` returns). */
export type EventsFor = (stage: string) => readonly Ev[];

/** What a condition means, for both the real pattern and the reference. */
export function evalCond(cond: CondSpec, e: Ev, eventsFor: EventsFor, ownStage: string): boolean {
  switch (cond.kind) {
    case "type":
      return e.type === cond.type;
    case "notType":
      return e.type !== cond.type;
    case "vGt":
      return e.v > cond.k;
    case "vLt":
      return e.v < cond.k;
    case "vEq":
      return e.v === cond.k;
    case "typeAndVGt":
      return e.type === cond.type && e.v > cond.k;
    case "vGtFirstOf": {
      const taken = eventsFor(cond.stage);
      return taken.length === 0 || e.v > taken[0]!.v;
    }
    case "vGtLastOwn": {
      const taken = eventsFor(ownStage);
      return taken.length === 0 || e.v > taken[taken.length - 1]!.v;
    }
    case "true":
      return true;
  }
}

// ---- stage helpers (facts about the spec, no matching) ------------------------------------

export function positiveStages(spec: PatternSpec): PositiveStage[] {
  return spec.stages.filter((s): s is PositiveStage => s.kind === "stage");
}

/** Least number of events the stage must take when it is not skipped. */
export function minCount(s: PositiveStage): number {
  switch (s.quant.kind) {
    case "single":
      return 1;
    case "times":
      return s.quant.from;
    case "looping":
      return s.quant.min;
  }
}

/** Most events the stage may take (Infinity for loops). */
export function maxCount(s: PositiveStage): number {
  switch (s.quant.kind) {
    case "single":
      return 1;
    case "times":
      return s.quant.to;
    case "looping":
      return Infinity;
  }
}

/**
 * Whether `greedy` changes anything. NFACompiler applies greedy by `updateWithGreedyCondition`
 * on the state after the stage: from `createLooping` for loops, and from `createTimesState`
 * only when `times.getFrom() != times.getTo()`; on an exact `times(n)` it does nothing.
 */
export function greedyEffective(s: PositiveStage): boolean {
  return s.greedy && (s.quant.kind === "looping" || (s.quant.kind === "times" && s.quant.from < s.quant.to));
}

/** A short, readable, re-buildable rendering of a spec for failure messages. */
export function describeSpec(spec: PatternSpec): string {
  const parts: string[] = [];
  spec.stages.forEach((s, i) => {
    if (s.kind !== "stage") {
      parts.push(`.${s.kind}("${s.name}").where(${condText(s.cond)})`);
      return;
    }
    const attach = i === 0 ? `Pattern.begin("${s.name}", ${skipText(spec.skip)})` : `.${s.contiguity}("${s.name}")`;
    let q = "";
    const zero = s.optional && s.optionalViaZero === true;
    if (s.quant.kind === "times") {
      const from = zero ? 0 : s.quant.from;
      q += from === s.quant.to ? `.times(${from})` : `.times(${from},${s.quant.to})`;
    }
    if (s.quant.kind === "looping") q += zero ? ".timesOrMore(0)" : s.quant.viaOneOrMore ? ".oneOrMore()" : `.timesOrMore(${s.quant.min})`;
    if (s.inner === "consecutive") q += ".consecutive()";
    if (s.inner === "combinations") q += ".allowCombinations()";
    if (s.greedy) q += ".greedy()";
    if (s.optional && !zero) q += ".optional()";
    if (s.until) q += `.until(${condText(s.until)})`;
    parts.push(`${attach}.where(${condText(s.cond)})${q}`);
  });
  if (spec.withinMs !== undefined) parts.push(`.within(${spec.withinMs})`);
  return parts.join("");
}

export function condText(c: CondSpec): string {
  switch (c.kind) {
    case "type":
      return `type==${c.type}`;
    case "notType":
      return `type!=${c.type}`;
    case "vGt":
      return `v>${c.k}`;
    case "vLt":
      return `v<${c.k}`;
    case "vEq":
      return `v==${c.k}`;
    case "typeAndVGt":
      return `type==${c.type}&&v>${c.k}`;
    case "vGtFirstOf":
      return `v>first(${c.stage}).v`;
    case "vGtLastOwn":
      return "v>last(own).v";
    case "true":
      return "true";
  }
}

export function skipText(s: SkipSpec): string {
  return s.kind === "skipToFirst" || s.kind === "skipToLast" ? `${s.kind}("${s.stage}")` : `${s.kind}()`;
}

/** Input rendering for failure messages: `a3@0 b1@2 ...` (type, v, @timestamp), ids are positions. */
export function describeInput(input: readonly TimedEv[]): string {
  return input.map((t) => `#${t.event.id}:${t.event.type}${t.event.v}@${t.timestamp}`).join(" ");
}
