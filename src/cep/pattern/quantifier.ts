/** How a stage consumes events relative to the previous one (FlinkCEP's `ConsumingStrategy`). */
export enum ConsumingStrategy {
  /** `next`: the very next event. */
  STRICT = "STRICT",
  /** `followedBy`: skips events that do not match, takes the first that does. */
  SKIP_TILL_NEXT = "SKIP_TILL_NEXT",
  /** `followedByAny`: every later matching event may be taken (branches). */
  SKIP_TILL_ANY = "SKIP_TILL_ANY",
  /** `notFollowedBy`. */
  NOT_FOLLOW = "NOT_FOLLOW",
  /** `notNext`. */
  NOT_NEXT = "NOT_NEXT",
}

/** Whether a stage takes one event, loops, or repeats a bounded number of times. */
export type QuantifierKind = "single" | "looping" | "times";

/**
 * A stage's quantifier. Immutable: builder methods return new quantifiers.
 * `inner` is the contiguity between a loop's own events (default relaxed, as in FlinkCEP).
 */
export interface Quantifier {
  readonly kind: QuantifierKind;
  readonly consuming: ConsumingStrategy;
  readonly inner: ConsumingStrategy;
  readonly optional: boolean;
  readonly greedy: boolean;
}

/** Bounds of a `times`/looping quantifier: at least `from`, at most `to` (loops: `from` then unbounded). */
export interface Times {
  readonly from: number;
  readonly to: number;
}

export function singleQuantifier(consuming: ConsumingStrategy): Quantifier {
  return { kind: "single", consuming, inner: ConsumingStrategy.SKIP_TILL_NEXT, optional: false, greedy: false };
}

export function isNot(q: Quantifier): boolean {
  return q.consuming === ConsumingStrategy.NOT_FOLLOW || q.consuming === ConsumingStrategy.NOT_NEXT;
}

/** A compact printed form, e.g. `times(2,4) greedy optional`. */
export function quantifierText(q: Quantifier, times: Times | undefined): string {
  const parts: string[] = [];
  if (q.kind === "looping") parts.push(times && times.from > 1 ? `timesOrMore(${times.from})` : "oneOrMore");
  if (q.kind === "times" && times) parts.push(times.from === times.to ? `times(${times.from})` : `times(${times.from},${times.to})`);
  if (q.kind !== "single" && q.inner === ConsumingStrategy.STRICT) parts.push("consecutive");
  if (q.kind !== "single" && q.inner === ConsumingStrategy.SKIP_TILL_ANY) parts.push("allowCombinations");
  if (q.greedy) parts.push("greedy");
  if (q.optional) parts.push("optional");
  return parts.join(" ");
}
