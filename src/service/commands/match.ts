import { basename } from "node:path";
import { readJsonLines } from "../events-file.js";
import { runRules, type DeadLetter, type SourceEvent } from "../match-runner.js";
import { formatIssue, loadRules } from "../pattern-file/index.js";
import { EXIT_FAILURE, EXIT_OK, writeLines, type CommandContext } from "./io.js";

/**
 * `vigil match <patterns> <events.jsonl>`: runs a rule (or every rule of a folder) over a
 * JSON-lines file in batch mode. Alerts go to stdout, one JSON document per line, sorted by
 * time, rule and id; dead letters (with line numbers and reasons) and a summary go to stderr.
 * Bad events never stop the run; exits 1 only when the rules are invalid or the input unreadable.
 */
export async function matchCommand(patterns: string, eventsPath: string, { io, log }: CommandContext, commandName = "match"): Promise<number> {
  const loaded = await loadRules(patterns);
  if (loaded.issues.length > 0) {
    writeLines(io.stderr, loaded.issues.map(formatIssue));
    return EXIT_FAILURE;
  }
  log.info({ rules: loaded.rules.map((r) => `${r.id}@${r.version}`) }, "rules loaded");

  const now = io.now ?? Date.now;
  const name = eventsPath === "-" ? "stdin" : eventsPath;
  const sourceName = eventsPath === "-" ? "stdin" : basename(eventsPath);
  const events: SourceEvent[] = [];
  const deadLetters: DeadLetter[] = [];
  let read = 0;
  let clock = -Infinity;
  try {
    for await (const item of readJsonLines(eventsPath, io.stdin)) {
      read++;
      if ("error" in item) {
        deadLetters.push({ line: item.line, reason: item.error });
      } else if (typeof item.value !== "object" || item.value === null || Array.isArray(item.value)) {
        deadLetters.push({ line: item.line, reason: "not a JSON object" });
      } else {
        clock = Math.max(clock, now()); // processing time never goes backwards
        events.push({ event: item.value, line: item.line, position: `${sourceName}:${item.line}`, arrivedAt: clock });
      }
    }
  } catch (err) {
    const code = (err as { code?: string }).code;
    const why = code === "ENOENT" ? "no such file" : code === "EISDIR" ? "is a folder" : err instanceof Error ? err.message : String(err);
    io.stderr.write(`vigil ${commandName}: cannot read ${name}: ${why}\n`);
    return EXIT_FAILURE;
  }

  const result = runRules(loaded.rules, events, { now });
  const letters = [...deadLetters, ...result.deadLetters].sort((a, b) => a.line - b.line);
  writeLines(io.stderr, letters.map((d) => `dead letter ${name}:${d.line}: ${d.reason}`));
  writeLines(io.stdout, result.alerts.map((a) => JSON.stringify(a)));

  const invalid = new Set(letters.map((d) => d.line)).size;
  const summary = [`summary: ${plural(read, "event")} read, ${invalid} invalid, ${plural(result.alerts.length, "alert")}`];
  for (const s of result.stats) {
    const timeouts = s.timeouts > 0 ? `, ${s.timeouts} of them timeouts` : "";
    const late = s.late > 0 ? `, ${s.late} late` : "";
    summary.push(`  rule ${s.rule} v${s.version}: ${plural(s.events, "event")} in ${plural(s.keys, "key")}, ${s.skipped} skipped (no key), ${plural(s.alerts + s.timeouts, "alert")}${timeouts}${late}`);
  }
  writeLines(io.stderr, summary);
  log.info({ read, invalid, alerts: result.alerts.length, stats: result.stats }, `${commandName} finished`);
  return EXIT_OK;
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}
