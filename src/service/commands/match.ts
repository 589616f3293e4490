import { stat } from "node:fs/promises";
import { basename } from "node:path";
import { readJsonLines } from "../events-file.js";
import { runRules, type DeadLetter, type SourceEvent } from "../match-runner.js";
import { formatIssue, loadRules } from "../pattern-file/index.js";
import { EXIT_FAILURE, EXIT_OK, writeLines, type CliIo, type CommandContext } from "./io.js";
import { createProgress, type RunProgress } from "./progress.js";

/** Options of {@link matchCommand}. */
export interface MatchCommandOptions {
  /** The command's name in messages (`vigil replay: cannot read ...`). */
  readonly commandName?: string;
  /** The progress bar on stderr: true draws it even off a terminal, false never, undefined on a terminal only. */
  readonly progress?: boolean;
  /** Alerts and errors only: no progress bar, dead letters or summary on stderr. */
  readonly quiet?: boolean;
}

/** Lines read between two progress updates. */
const PROGRESS_EVERY = 256;

/**
 * `vigil match <patterns> <events.jsonl>` and `vigil replay`: runs a rule (or every rule of a
 * folder) over a JSON-lines file in batch mode. Alerts go to stdout, one JSON document per line,
 * sorted by time, rule and id; dead letters (with line numbers and reasons) and a summary go to
 * stderr, after the progress bar if one is drawn (stderr only, never mixed into the alerts).
 * Bad events never stop the run; exits 1 only when the rules are invalid or the input unreadable.
 */
export async function matchCommand(patterns: string, eventsPath: string, { io, log }: CommandContext, options: MatchCommandOptions = {}): Promise<number> {
  const commandName = options.commandName ?? "match";
  const loaded = await loadRules(patterns);
  if (loaded.issues.length > 0) {
    writeLines(io.stderr, loaded.issues.map(formatIssue));
    return EXIT_FAILURE;
  }
  log.info({ rules: loaded.rules.map((r) => `${r.id}@${r.version}`) }, "rules loaded");

  const name = eventsPath === "-" ? "stdin" : eventsPath;
  const progress = createProgress(io.stderr, {
    force: options.quiet === true ? false : options.progress,
    totalBytes: eventsPath === "-" ? undefined : await sizeOf(eventsPath),
  });
  let read: ReadResult;
  let result: ReturnType<typeof runRules>;
  try {
    try {
      read = await readEvents(eventsPath, io, progress);
    } catch (err) {
      progress.stop();
      const code = (err as { code?: string }).code;
      const why = code === "ENOENT" ? "no such file" : code === "EISDIR" ? "is a folder" : err instanceof Error ? err.message : String(err);
      io.stderr.write(`vigil ${commandName}: cannot read ${name}: ${why}\n`);
      return EXIT_FAILURE;
    }
    progress.startMatching(loaded.rules.length * read.events.length, read.lines, loaded.rules.length);
    result = runRules(loaded.rules, read.events, { now: io.now ?? Date.now, onProgress: (done) => progress.matching(done) });
  } finally {
    progress.stop();
  }

  const letters = [...read.deadLetters, ...result.deadLetters].sort((a, b) => a.line - b.line);
  const quiet = options.quiet === true;
  if (!quiet) writeLines(io.stderr, letters.map((d) => `dead letter ${name}:${d.line}: ${d.reason}`));
  writeLines(io.stdout, result.alerts.map((a) => JSON.stringify(a)));
  const invalid = new Set(letters.map((d) => d.line)).size;
  if (!quiet) {
    const summary = [`summary: ${plural(read.lines, "event")} read, ${invalid} invalid, ${plural(result.alerts.length, "alert")}`];
    for (const s of result.stats) {
      const timeouts = s.timeouts > 0 ? `, ${s.timeouts} of them timeouts` : "";
      const late = s.late > 0 ? `, ${s.late} late` : "";
      summary.push(`  rule ${s.rule} v${s.version}: ${plural(s.events, "event")} in ${plural(s.keys, "key")}, ${s.skipped} skipped (no key), ${plural(s.alerts + s.timeouts, "alert")}${timeouts}${late}`);
    }
    writeLines(io.stderr, summary);
  }
  log.info({ read: read.lines, invalid, alerts: result.alerts.length, stats: result.stats }, `${commandName} finished`);
  return EXIT_OK;
}

interface ReadResult {
  /** Non-blank lines read. */
  readonly lines: number;
  readonly events: SourceEvent[];
  readonly deadLetters: DeadLetter[];
}

/** Reads the events file; lines that are not JSON objects become dead letters. Rejects when it cannot be read. */
async function readEvents(eventsPath: string, io: CliIo, progress: RunProgress): Promise<ReadResult> {
  const now = io.now ?? Date.now;
  const sourceName = eventsPath === "-" ? "stdin" : basename(eventsPath);
  const events: SourceEvent[] = [];
  const deadLetters: DeadLetter[] = [];
  let lines = 0;
  let bytes = 0;
  let clock = -Infinity;
  const onRead = (n: number) => {
    bytes = n;
  };
  for await (const item of readJsonLines(eventsPath, io.stdin, { onRead })) {
    lines++;
    if (lines % PROGRESS_EVERY === 0) progress.reading(bytes, lines);
    if ("error" in item) {
      deadLetters.push({ line: item.line, reason: item.error });
    } else if (typeof item.value !== "object" || item.value === null || Array.isArray(item.value)) {
      deadLetters.push({ line: item.line, reason: "not a JSON object" });
    } else {
      clock = Math.max(clock, now()); // processing time never goes backwards
      events.push({ event: item.value, line: item.line, position: `${sourceName}:${item.line}`, arrivedAt: clock });
    }
  }
  progress.reading(bytes, lines);
  return { lines, events, deadLetters };
}

/** The size of a regular file, `undefined` for anything else (a pipe, a missing file: reading reports that). */
async function sizeOf(path: string): Promise<number | undefined> {
  try {
    const info = await stat(path);
    return info.isFile() ? info.size : undefined;
  } catch {
    return undefined;
  }
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}
