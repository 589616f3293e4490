/**
 * Where and why `JSON.parse(text)` failed: the reason without V8's position suffix, and the
 * 1-based line and column of the position (the end of the text when V8 gives none).
 */
export function describeJsonError(err: unknown, text: string): { reason: string; line: number; column: number } {
  const message = err instanceof Error ? err.message : String(err);
  const m = /at position (\d+)/.exec(message);
  const pos = m === null ? text.length : Math.min(Number(m[1]), text.length);
  const before = text.slice(0, pos);
  const line = before.split("\n").length;
  const column = pos - before.lastIndexOf("\n");
  const reason = message.replace(/,? ?(in JSON )?at position \d+.*$/s, "").replace(/^JSON\.parse: /, "").trim();
  return { reason: reason === "" ? "malformed" : reason, line, column };
}

/** JSON Schema type names as a user reads them in a "must be ..." message. */
export const TYPE_NAMES: Readonly<Record<string, string>> = {
  string: "a string",
  integer: "an integer",
  number: "a number",
  boolean: "true or false",
  object: "an object",
  array: "a list",
  null: "null",
};
