import { equals, finite, getIndex } from "./values.js";

/**
 * What a compiled expression reads besides the current event: the events each stage has taken
 * so far and the current event time. Structurally FlinkCEP's context, `PatternContext`.
 */
export interface EvalContext {
  eventsFor(stage: string): readonly unknown[];
  timestamp(): number;
}

/** Reads an event's event time (epoch ms); `null` when it has none. */
export type TimeOf = (event: unknown) => number | null;

/**
 * A built-in function: its arity and its total implementation (never throws). `ctx` gives
 * `now()`, `timeOf` gives `time(e)`.
 */
export interface BuiltinFunction {
  readonly arity: number;
  readonly impl: (args: readonly unknown[], ctx: EvalContext, timeOf: TimeOf) => unknown;
}

/** Mean Earth radius in km (IUGG), used by `distanceKm`. */
export const EARTH_RADIUS_KM = 6371.0088;

const numbersOf = (list: unknown): number[] | null =>
  Array.isArray(list) ? list.filter((x): x is number => typeof x === "number" && Number.isFinite(x)) : null;

const onNumber = (f: (x: number) => number) => (args: readonly unknown[]): unknown =>
  typeof args[0] === "number" ? finite(f(args[0])) : null;

const onString = (f: (s: string) => string) => (args: readonly unknown[]): unknown =>
  typeof args[0] === "string" ? f(args[0]) : null;

const onStrings = (f: (s: string, t: string) => boolean) => (args: readonly unknown[]): unknown =>
  typeof args[0] === "string" && typeof args[1] === "string" ? f(args[0], args[1]) : false;

/**
 * Great-circle distance between two points given in decimal degrees, in km, by the haversine
 * formula on a sphere of radius {@link EARTH_RADIUS_KM}.
 */
export function haversineKm(lat1: number, lon1: number, lat2: number, lon2: number): number {
  const rad = Math.PI / 180;
  const dLat = (lat2 - lat1) * rad;
  const dLon = (lon2 - lon1) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(h)));
}

/**
 * The only functions an expression can call. Lists: `count first last sum avg min max`
 * (aggregates ignore elements that are not numbers); numbers: `abs floor ceil round` (`round`
 * rounds halves away from zero); strings: `len lower upper startsWith endsWith contains`
 * (`contains` also tests list membership); time: `time(e)`, `now()`; geography: `distanceKm`.
 * A wrong argument type gives `null` (`false` for the string tests).
 */
export const FUNCTIONS: ReadonlyMap<string, BuiltinFunction> = new Map<string, BuiltinFunction>([
  ["count", { arity: 1, impl: ([l]) => (Array.isArray(l) ? l.length : null) }],
  ["first", { arity: 1, impl: ([l]) => getIndex(l, 0) }],
  ["last", { arity: 1, impl: ([l]) => (Array.isArray(l) ? getIndex(l, l.length - 1) : null) }],
  ["sum", { arity: 1, impl: ([l]) => { const xs = numbersOf(l); return xs === null ? null : finite(xs.reduce((s, x) => s + x, 0)); } }],
  ["avg", { arity: 1, impl: ([l]) => { const xs = numbersOf(l); return xs === null || xs.length === 0 ? null : finite(xs.reduce((s, x) => s + x, 0) / xs.length); } }],
  ["min", { arity: 1, impl: ([l]) => { const xs = numbersOf(l); return xs === null || xs.length === 0 ? null : xs.reduce((m, x) => (x < m ? x : m)); } }],
  ["max", { arity: 1, impl: ([l]) => { const xs = numbersOf(l); return xs === null || xs.length === 0 ? null : xs.reduce((m, x) => (x > m ? x : m)); } }],
  ["abs", { arity: 1, impl: onNumber(Math.abs) }],
  ["floor", { arity: 1, impl: onNumber(Math.floor) }],
  ["ceil", { arity: 1, impl: onNumber(Math.ceil) }],
  ["round", { arity: 1, impl: onNumber((x) => Math.sign(x) * Math.round(Math.abs(x))) }],
  ["len", { arity: 1, impl: ([s]) => (typeof s === "string" ? [...s].length : Array.isArray(s) ? s.length : null) }],
  ["lower", { arity: 1, impl: onString((s) => s.toLowerCase()) }],
  ["upper", { arity: 1, impl: onString((s) => s.toUpperCase()) }],
  ["startsWith", { arity: 2, impl: onStrings((s, t) => s.startsWith(t)) }],
  ["endsWith", { arity: 2, impl: onStrings((s, t) => s.endsWith(t)) }],
  ["contains", {
    arity: 2,
    impl: ([s, t]) => (Array.isArray(s) ? s.some((x) => equals(x, t)) : typeof s === "string" && typeof t === "string" ? s.includes(t) : false),
  }],
  ["time", { arity: 1, impl: ([e], _ctx, timeOf) => timeOf(e) }],
  ["now", { arity: 0, impl: (_args, ctx) => ctx.timestamp() }],
  ["distanceKm", {
    arity: 4,
    impl: (args) => (args.every((x) => typeof x === "number" && Number.isFinite(x))
      ? finite(haversineKm(args[0] as number, args[1] as number, args[2] as number, args[3] as number))
      : null),
  }],
]);
