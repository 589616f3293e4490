import type { PathSegment } from "./field-path.js";
import { readPath } from "./field-path.js";

/** A key component: a JSON scalar other than null. */
export type KeyPart = string | number | boolean;
/** A rule's key value: one part for a single path, a list for a compound key. */
export type RuleKey = KeyPart | KeyPart[];

/** A key read from an event: its value (as alerts show it) and a canonical string for grouping. */
export interface ExtractedKey {
  readonly value: RuleKey;
  readonly text: string;
}

const isKeyPart = (v: unknown): v is KeyPart =>
  typeof v === "string" || typeof v === "boolean" || (typeof v === "number" && Number.isFinite(v));

/**
 * A key extractor for one path (`compound` false) or several (`compound` true). An event whose
 * key is missing, null, or not a string / number / boolean has no key (`undefined`): the rule
 * does not see it. `text` is the JSON of the value, so `1` and `"1"` are different keys.
 */
export function keyExtractor(paths: ReadonlyArray<readonly PathSegment[]>, compound: boolean): (event: unknown) => ExtractedKey | undefined {
  if (!compound) {
    const path = paths[0];
    return (event) => {
      const v = readPath(event, path);
      return isKeyPart(v) ? { value: v, text: JSON.stringify(v) } : undefined;
    };
  }
  return (event) => {
    const parts: KeyPart[] = [];
    for (const path of paths) {
      const v = readPath(event, path);
      if (!isKeyPart(v)) return undefined;
      parts.push(v);
    }
    return { value: parts, text: JSON.stringify(parts) };
  };
}
