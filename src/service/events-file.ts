import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import type { Readable } from "node:stream";
import { describeJsonError } from "./json-error.js";

/** One non-blank line of a JSON-lines file: its 1-based line number and parsed value, or why it did not parse. */
export type JsonLine = { line: number; value: unknown } | { line: number; error: string };

/**
 * Reads a JSON-lines file (`-` for stdin) line by line. Blank lines are skipped; a line that is
 * not JSON yields an `error` entry and reading goes on. Rejects only when the file cannot be
 * read at all.
 */
export async function* readJsonLines(path: string, stdin: Readable = process.stdin): AsyncGenerator<JsonLine> {
  const input = path === "-" ? stdin : createReadStream(path, { encoding: "utf8" });
  const lines = createInterface({ input, crlfDelay: Infinity });
  let line = 0;
  for await (const raw of lines) {
    line++;
    const text = line === 1 && raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw;
    if (text.trim() === "") continue;
    try {
      yield { line, value: JSON.parse(text) as unknown };
    } catch (err) {
      const { reason, column } = describeJsonError(err, text);
      yield { line, error: `invalid JSON at column ${column}: ${reason}` };
    }
  }
}
