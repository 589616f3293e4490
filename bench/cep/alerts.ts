/**
 * Normalising matches to event ids and comparing the alerts of two implementations as multisets.
 */
import type { TxnMatch } from "./matcher.js";

/**
 * The identity of a match: its card and, per stage in pattern order, the ids of the events the
 * stage took, e.g. `card 17: small=4,9,12 big=40`.
 */
export function matchKey(m: TxnMatch): string {
  let card = -1;
  const parts: string[] = [];
  for (const stage of Object.keys(m)) {
    const events = m[stage];
    if (events.length > 0 && card < 0) card = events[0].cardId;
    parts.push(`${stage}=${events.map((e) => e.id).join(",")}`);
  }
  return `card ${card}: ${parts.join(" ")}`;
}

/** The alerts found by only one side (with multiplicity); both empty when the multisets agree. */
export interface AlertDiff {
  readonly onlyLeft: string[];
  readonly onlyRight: string[];
}

/** Compares two lists of match keys as multisets. */
export function diffAlerts(left: readonly string[], right: readonly string[]): AlertDiff {
  const counts = new Map<string, number>();
  for (const k of left) counts.set(k, (counts.get(k) ?? 0) + 1);
  for (const k of right) counts.set(k, (counts.get(k) ?? 0) - 1);
  const onlyLeft: string[] = [];
  const onlyRight: string[] = [];
  for (const [k, c] of counts) {
    for (let i = 0; i < c; i++) onlyLeft.push(k);
    for (let i = 0; i < -c; i++) onlyRight.push(k);
  }
  onlyLeft.sort();
  onlyRight.sort();
  return { onlyLeft, onlyRight };
}

/** A readable account of a non-empty {@link AlertDiff}, at most `limit` lines per side. */
export function describeDiff(d: AlertDiff, leftName: string, rightName: string, limit = 10): string {
  const side = (name: string, keys: string[]): string =>
    `${keys.length} only in ${name}${keys.length > 0 ? ":\n  " : ""}${keys.slice(0, limit).join("\n  ")}` +
    (keys.length > limit ? `\n  ... ${keys.length - limit} more` : "");
  return `${side(leftName, d.onlyLeft)}\n${side(rightName, d.onlyRight)}`;
}
