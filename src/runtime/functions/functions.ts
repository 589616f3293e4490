import type { RichFunction, Collector } from "./runtime-context.js";

/** `map`: a function, or an object with `map` and optional `open`/`close`. */
export type MapFunction<I, O> = ((value: I) => O) | (RichFunction & { map(value: I): O });
/** `filter`: keeps the records for which it returns true. */
export type FilterFunction<T> = ((value: T) => boolean) | (RichFunction & { filter(value: T): boolean });
/**
 * `flatMap`: emits zero or more records per input, either through `out` (as Flink) or by returning
 * an iterable (as TypeScript users expect); both may be used.
 */
export type FlatMapFunction<I, O> =
  | ((value: I, out: Collector<O>) => Iterable<O> | void)
  | (RichFunction & { flatMap(value: I, out: Collector<O>): Iterable<O> | void });
/** `reduce` on a keyed stream: combines the running value of a key with the next record. */
export type ReduceFunction<T> = ((a: T, b: T) => T) | (RichFunction & { reduce(a: T, b: T): T });

/** The plain function inside a function-or-object, bound to its object. */
export function unwrap<F extends (...args: any[]) => any>(fn: F | Record<string, unknown>, method: string): F {
  if (typeof fn === "function") return fn;
  const m = fn[method];
  if (typeof m !== "function") throw new TypeError(`expected a function or an object with a ${method}() method`);
  return m.bind(fn) as F;
}

/** The lifecycle hooks of a function-or-object (none for a plain function). */
export function lifecycleOf(fn: unknown): RichFunction {
  return typeof fn === "object" && fn !== null ? (fn as RichFunction) : {};
}

/**
 * A per-subtask copy of a user function object, as Flink gets by deserialising the function once
 * per parallel instance: a shallow copy of its own properties on the same prototype, so fields that
 * `open` sets (state handles) are per subtask. Plain functions are shared as they are.
 */
export function copyFunction<F>(fn: F): F {
  if (typeof fn !== "object" || fn === null) return fn;
  return Object.assign(Object.create(Object.getPrototypeOf(fn)) as object, fn) as F;
}
