import { FORBIDDEN_NAMES } from "./parser.js";

/**
 * Value semantics of the condition language. Values are JSON values (`undefined` never escapes:
 * a missing field is `null`). Every operation is total: a type mismatch gives `null` (or `false`
 * for a comparison), never an exception, so one odd event cannot stop a job.
 */

/** Falsy values: `false`, `null`, `0`, `""` and the empty list; everything else is truthy. */
export function truthy(v: unknown): boolean {
  if (v === true) return true;
  if (v === false || v === null || v === undefined || v === 0 || v === "") return false;
  if (typeof v === "number") return !Number.isNaN(v);
  if (Array.isArray(v)) return v.length > 0;
  return true;
}

/** Structural equality of JSON values; no coercion (`1 == "1"` is false). */
export function equals(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === undefined || a === null) return b === undefined || b === null;
  if (typeof a !== "object" || typeof b !== "object" || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!equals(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) {
    if (!Object.hasOwn(b, k) || !equals((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) return false;
  }
  return true;
}

/** An own property of a plain (non-array) object; `null` for anything else or a forbidden name. */
export function getProperty(obj: unknown, name: string): unknown {
  if (typeof obj !== "object" || obj === null || Array.isArray(obj)) return null;
  if (FORBIDDEN_NAMES.has(name) || !Object.hasOwn(obj, name)) return null;
  return dataOnly((obj as Record<string, unknown>)[name]);
}

/** `obj[index]`: an array element for an integer index, an own property for a string key. */
export function getIndex(obj: unknown, index: unknown): unknown {
  if (Array.isArray(obj)) {
    if (typeof index !== "number" || !Number.isInteger(index) || index < 0 || index >= obj.length) return null;
    return dataOnly(obj[index]);
  }
  if (typeof index === "string") return getProperty(obj, index);
  if (typeof index === "number" && Number.isInteger(index)) return getProperty(obj, String(index));
  return null;
}

/** JSON data passes; `undefined`, functions and symbols (never in JSON events) read as `null`. */
function dataOnly(v: unknown): unknown {
  return v === undefined || typeof v === "function" || typeof v === "symbol" ? null : v;
}

/** A number result, or `null` when it is not finite (JSON has no Infinity or NaN). */
export function finite(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}

/** `a < b` and friends: numbers with numbers, strings with strings (UTF-16 order); else `false`. */
export function compare(op: "<" | "<=" | ">" | ">=", a: unknown, b: unknown): boolean {
  if (!((typeof a === "number" && typeof b === "number") || (typeof a === "string" && typeof b === "string"))) return false;
  switch (op) {
    case "<":
      return a < b;
    case "<=":
      return a <= b;
    case ">":
      return a > b;
    case ">=":
      return a >= b;
  }
}

/** Arithmetic: numbers only, except `+` which also joins two strings; `null` otherwise. */
export function arithmetic(op: "+" | "-" | "*" | "/" | "%", a: unknown, b: unknown): unknown {
  if (typeof a === "number" && typeof b === "number") {
    switch (op) {
      case "+":
        return finite(a + b);
      case "-":
        return finite(a - b);
      case "*":
        return finite(a * b);
      case "/":
        return finite(a / b);
      case "%":
        return finite(a % b);
    }
  }
  if (op === "+" && typeof a === "string" && typeof b === "string") return a + b;
  return null;
}

/** `x in list`: whether `list` is a list holding a value equal to `x`. */
export function member(x: unknown, list: unknown): boolean {
  if (!Array.isArray(list)) return false;
  for (const item of list) if (equals(x, item)) return true;
  return false;
}
