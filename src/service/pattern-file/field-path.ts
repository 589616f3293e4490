import { FORBIDDEN_NAMES, getIndex, getProperty } from "../expr/index.js";

/** One step of a field path: a property name or an array index. */
export type PathSegment = string | number;

/**
 * Parses a field path as used by `key` and `eventTime`: names separated by dots, each name
 * optionally followed by array indexes (`"cardId"`, `"card.id"`, `"tags[0]"`, `"a.b[1][2].c"`).
 * A name is any text without `.`, `[` or `]`. Returns the segments or an error message.
 */
export function parseFieldPath(path: string): { segments: PathSegment[] } | { error: string } {
  const segments: PathSegment[] = [];
  const part = /^([^.[\]]+)((?:\[[0-9]+\])*)$/;
  for (const piece of path.split(".")) {
    const m = part.exec(piece);
    if (m === null) return { error: `is not a field path like "cardId", "card.id" or "tags[0]" (got ${JSON.stringify(path)})` };
    if (FORBIDDEN_NAMES.has(m[1])) return { error: `may not name ${m[1]}` };
    segments.push(m[1]);
    for (const idx of m[2].matchAll(/\[([0-9]+)\]/g)) segments.push(Number(idx[1]));
  }
  return { segments };
}

/**
 * Reads a path from a value, own properties only; `null` when any step is missing. Never
 * throws and never reads through a prototype.
 */
export function readPath(value: unknown, segments: readonly PathSegment[]): unknown {
  let v = value;
  for (const s of segments) {
    v = typeof s === "number" ? getIndex(v, s) : getProperty(v, s);
    if (v === null) return null;
  }
  return v;
}
