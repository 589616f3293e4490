import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import type { Readable } from "node:stream";
import { describeJsonError } from "./json-error.js";

/** One non-blank line of a JSON-lines file: its 1-based line number and parsed value, or why it did not parse. */
export type JsonLine = { line: number; value: unknown } | { line: number; error: string };

/** Options of {@link readJsonLines}. */
export interface ReadJsonLinesOptions {
  /** Called as the input is read, with the bytes read so far (ahead of the lines yielded by at most a buffer). */
  readonly onRead?: (bytes: number) => void;
}

/**
 * Reads a JSON-lines file (`-` for stdin) line by line. Blank lines are skipped; a line that is
 * not JSON yields an `error` entry and reading goes on. Rejects only when the file cannot be
 * read at all.
 */
export async function* readJsonLines(path: string, stdin: Readable = process.stdin, options: ReadJsonLinesOptions = {}): AsyncGenerator<JsonLine> {
  const input = path === "-" ? stdin : createReadStream(path, { encoding: "utf8" });
  const lines = createInterface({ input, crlfDelay: Infinity });
  const { onRead } = options;
  if (onRead !== undefined) {
    let bytes = 0;
    input.on("data", (chunk: Buffer | string) => {
      bytes += typeof chunk === "string" ? Buffer.byteLength(chunk) : chunk.length;
      onRead(bytes);
    });
  }
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
