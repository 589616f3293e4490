import type { Readable } from "node:stream";
import type { Logger } from "../log.js";

/** Something text can be written to (process.stdout, a test buffer). */
export interface TextSink {
  write(text: string): unknown;
}

/** A sink that may be a terminal (`process.stderr` often is); progress bars are drawn only on one, unless forced. */
export interface TerminalSink extends TextSink {
  readonly isTTY?: boolean;
  /** Width in characters, when a terminal. */
  readonly columns?: number;
}

/** Where a command reads and writes; tests pass buffers instead of the process's streams. */
export interface CliIo {
  readonly stdout: TextSink;
  readonly stderr: TerminalSink;
  /** Read for the events file `-`. */
  readonly stdin?: Readable;
  /** Wall clock (ms) for `detectedAt` and processing time; `Date.now` by default. */
  readonly now?: () => number;
}

/** What every command gets. */
export interface CommandContext {
  readonly io: CliIo;
  readonly log: Logger;
}

/** Exit code: success. */
export const EXIT_OK = 0;
/** Exit code: a failure (invalid pattern files, unreadable input). */
export const EXIT_FAILURE = 1;
/** Exit code: bad usage (unknown command or option, missing argument). */
export const EXIT_USAGE = 2;

/** Writes lines joined in chunks, so a large output is not one huge string nor one write per line. */
export function writeLines(sink: TextSink, lines: Iterable<string>): void {
  let chunk = "";
  for (const line of lines) {
    chunk += `${line}\n`;
    if (chunk.length >= 65_536) {
      sink.write(chunk);
      chunk = "";
    }
  }
  if (chunk !== "") sink.write(chunk);
}
