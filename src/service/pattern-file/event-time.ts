import type { PathSegment } from "./field-path.js";
import { readPath } from "./field-path.js";

/** ISO-8601 date or date-time (calendar dates), with optional fraction and zone. */
const ISO_8601 = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(Z|[+-]\d{2}(?::?\d{2})?)?)?$/;

/**
 * Parses an event-time value: epoch milliseconds (a finite number) or an ISO-8601 string. A
 * date-time without a zone is read as UTC (so results never depend on the machine's zone).
 * Returns ms since the epoch, or `null` when the value is neither.
 */
export function parseEventTime(value: unknown): number | null {
  if (typeof value === "number") return Number.isFinite(value) ? value : null;
  if (typeof value !== "string") return null;
  const m = ISO_8601.exec(value);
  if (m === null) return null;
  const [, y, mo, d, h = "0", mi = "0", s = "0", frac = "", zone = "Z"] = m;
  const base = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  const check = new Date(base);
  // reject 2025-02-30 and 24:61, which Date.UTC would roll over
  if (check.getUTCFullYear() !== Number(y) || check.getUTCMonth() !== Number(mo) - 1 || check.getUTCDate() !== Number(d)
    || Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) return null;
  const ms = frac === "" ? 0 : Math.floor(Number(`0.${frac}`) * 1000);
  let offsetMin = 0;
  if (zone !== "Z") {
    const digits = zone.slice(1).replace(":", "");
    const oh = Number(digits.slice(0, 2));
    const om = digits.length > 2 ? Number(digits.slice(2)) : 0;
    if (oh > 23 || om > 59) return null;
    offsetMin = (zone[0] === "-" ? -1 : 1) * (oh * 60 + om);
  }
  return base + ms - offsetMin * 60_000;
}

/** An extractor reading a rule's event-time field; `null` when missing or unreadable. */
export function eventTimeExtractor(segments: readonly PathSegment[]): (event: unknown) => number | null {
  return (event) => parseEventTime(readPath(event, segments));
}
