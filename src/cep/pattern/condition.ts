/**
 * What a condition sees besides the event: the events already taken by this partial match, and
 * the current event's time. Valid only during the call.
 */
export interface PatternContext<T> {
  /** Events already accepted for `stageName` in this partial match, in order (read-only). */
  eventsFor(stageName: string): readonly T[];
  /** Event time of the event being tested, in ms. */
  timestamp(): number;
}

/** A user condition: `(event, ctx) => boolean`, as FlinkCEP's `IterativeCondition`. */
export type Condition<F, T = F> = (event: F, ctx: PatternContext<T>) => boolean;

/**
 * A compiled condition with a printable form, so `describe()` can show the NFA's edges.
 * `isTrue` marks the constant true condition so the evaluator can skip calling it.
 */
export interface Cond<T> {
  readonly test: (event: T, ctx: PatternContext<T>) => boolean;
  readonly text: string;
  readonly isTrue?: boolean;
  /**
   * The condition's value for an event that fails every user condition in it (each leaf false),
   * known at build time. The NFA uses it to prove that such "inert" events change nothing.
   */
  readonly inert: boolean;
  /** The user conditions (leaves) it is built from. */
  readonly leaves: readonly UserLeaf<T>[];
}

/** A user condition as written, and whether it can be evaluated without a context. */
export interface UserLeaf<T> {
  readonly test: (event: T, ctx: PatternContext<T>) => boolean;
  /** True when the function cannot read `ctx`: declared with one parameter, or marked `contextFree`. */
  readonly contextFree: boolean;
}

const TRUE: Cond<any> = { test: () => true, text: "true", isTrue: true, inert: true, leaves: [] };

/** The always-true condition. */
export function trueCond<T>(): Cond<T> {
  return TRUE as Cond<T>;
}

/** Wraps a user function; its printed form is `fn.description` if set, else its source. */
export function userCond<T>(fn: Condition<any, any>): Cond<T> {
  if (typeof fn !== "function") throw new TypeError("a condition must be a function (event, ctx) => boolean");
  const described = (fn as { description?: unknown }).description;
  const text = typeof described === "string" ? described : compactSource(fn);
  // called as written (no wrapper): a condition returns a boolean, as FlinkCEP's does
  const test = fn as (e: T, ctx: PatternContext<T>) => boolean;
  const contextFree = fn.length < 2 || (fn as { contextFree?: unknown }).contextFree === true;
  return { test, text, inert: false, leaves: [{ test, contextFree }] };
}

export function andCond<T>(a: Cond<T> | undefined, b: Cond<T>): Cond<T> {
  if (a === undefined || a.isTrue) return b;
  if (b.isTrue) return a;
  const ta = a.test;
  const tb = b.test;
  return { test: (e, ctx) => ta(e, ctx) && tb(e, ctx), text: `(${a.text}) AND (${b.text})`, inert: a.inert && b.inert, leaves: [...a.leaves, ...b.leaves] };
}

export function orCond<T>(a: Cond<T> | undefined, b: Cond<T>): Cond<T> {
  if (a === undefined) return b;
  if (a.isTrue || b.isTrue) return TRUE as Cond<T>;
  const ta = a.test;
  const tb = b.test;
  return { test: (e, ctx) => ta(e, ctx) || tb(e, ctx), text: `(${a.text}) OR (${b.text})`, inert: a.inert || b.inert, leaves: [...a.leaves, ...b.leaves] };
}

export function notCond<T>(a: Cond<T>): Cond<T> {
  const ta = a.test;
  return { test: (e, ctx) => !ta(e, ctx), text: `NOT (${a.text})`, inert: !a.inert, leaves: a.leaves };
}

function compactSource(fn: Function): string {
  const src = fn.toString().replace(/\s+/g, " ").trim();
  return src.length > 80 ? `${src.slice(0, 77)}...` : src;
}
