import { runPattern, VigilError, type RunPatternResult, type TimedEvent, type Watermark } from "../cep/index.js";
import { compareAlerts, type Alert } from "./alert.js";
import { parseFieldPath, readPath, type LoadedRule, type RuleEvent, type RuleKey } from "./pattern-file/index.js";

/** An event read from a source, with where it came from and when it arrived. */
export interface SourceEvent {
  readonly event: RuleEvent;
  /** 1-based line (or record) number in the source, for reports. */
  readonly line: number;
  /** Source position used in alert ids (e.g. `transactions.jsonl:17`). */
  readonly position: string;
  /** Wall-clock ms at which it was read: the timestamp of processing-time rules. */
  readonly arrivedAt: number;
}

/** An event a rule could not use, and why. */
export interface DeadLetter {
  readonly line: number;
  readonly reason: string;
}

/** What one rule did over the input. */
export interface RuleRunStats {
  readonly rule: string;
  readonly version: number;
  /** Events the rule processed (had a key and a time). */
  readonly events: number;
  /** Events without the rule's key, which the rule does not see. */
  readonly skipped: number;
  /** Events without a usable event time (dead-lettered). */
  readonly invalid: number;
  readonly keys: number;
  readonly alerts: number;
  readonly timeouts: number;
  readonly late: number;
}

/** The result of {@link runRules}: alerts sorted by time, rule, id. */
export interface RunResult {
  readonly alerts: Alert[];
  readonly deadLetters: DeadLetter[];
  readonly stats: RuleRunStats[];
}

/** Options of {@link runRules}. */
export interface RunRulesOptions {
  /** Wall clock for the alerts' `detectedAt`; `Date.now` by default. */
  readonly now?: () => number;
  /**
   * Called as the work goes on, with the units done so far: a unit is one input event looked at
   * by one rule, so the total is `rules.length * input.length`.
   */
  readonly onProgress?: (done: number) => void;
}

/**
 * Batch mode: runs every rule over a bounded input. Per rule, events are grouped by the rule's
 * key and each key's events go through `runPattern(pattern, events, { mode: "eventTime" })`
 * followed by a final `{ watermark: Infinity }`, so the whole input is ordered by event time and
 * nothing is late. Events lacking the key are skipped and counted; events without a usable
 * event time are dead-lettered (once per line and reason). Never throws for bad events; throws a
 * `VigilError` (code `RULE_FAILED`) when a module rule's condition throws.
 */
export function runRules(rules: readonly LoadedRule[], input: readonly SourceEvent[], options: RunRulesOptions = {}): RunResult {
  const { onProgress } = options;
  let done = 0;
  const alerts: Alert[] = [];
  const stats: RuleRunStats[] = [];
  const deadLetters = new Map<string, DeadLetter>();
  for (const rule of rules) {
    const byKey = new Map<string, { key: RuleKey; events: Array<TimedEvent<RuleEvent> | Watermark> }>();
    const timeOf = new Map<RuleEvent, number>();
    const positionOf = new Map<RuleEvent, string>();
    let skipped = 0;
    let invalid = 0;
    let events = 0;
    for (const item of input) {
      const ts = rule.eventTime === null ? item.arrivedAt : rule.timeOf(item.event);
      if (ts === null) {
        const reason = describeMissingTime(rule, item.event);
        deadLetters.set(`${item.line}\u0000${reason}`, { line: item.line, reason });
        invalid++;
        continue;
      }
      const key = rule.keyOf(item.event);
      if (key === undefined) {
        skipped++;
        continue;
      }
      events++;
      timeOf.set(item.event, ts);
      positionOf.set(item.event, item.position);
      let group = byKey.get(key.text);
      if (group === undefined) byKey.set(key.text, (group = { key: key.value, events: [] }));
      group.events.push({ event: item.event, timestamp: ts });
    }
    let matches = 0;
    let timeouts = 0;
    let late = 0;
    const alertOptions = {
      timeOf: (e: RuleEvent) => timeOf.get(e) ?? null,
      positionOf: (e: RuleEvent) => positionOf.get(e),
      ...(options.now && { now: options.now }),
    };
    done += input.length - events;
    onProgress?.(done);
    for (const { key, events: keyed } of byKey.values()) {
      done += keyed.length;
      keyed.push({ watermark: Infinity });
      const result = runKey(rule, keyed, key);
      late += result.late.length;
      for (const m of result.matches) {
        alerts.push(rule.buildAlert(m, key, alertOptions));
        matches++;
      }
      onProgress?.(done);
      if (rule.onTimeout === null) continue;
      for (const t of result.timeouts) {
        alerts.push(rule.buildAlert(t.match, key, { ...alertOptions, timedOutAt: t.timestamp }));
        timeouts++;
      }
    }
    stats.push({ rule: rule.id, version: rule.version, events, skipped, invalid, keys: byKey.size, alerts: matches, timeouts, late });
  }
  alerts.sort(compareAlerts);
  const letters = [...deadLetters.values()].sort((a, b) => a.line - b.line);
  return { alerts, deadLetters: letters, stats };
}

/**
 * `runPattern` over one key's events. A condition written in code (a module rule) may throw,
 * which leaves the key's matching undefined: the run stops with an error naming the rule, its
 * file and the key (conditions of JSON rules never throw).
 */
function runKey(rule: LoadedRule, events: ReadonlyArray<TimedEvent<RuleEvent> | Watermark>, key: RuleKey): RunPatternResult<RuleEvent> {
  try {
    return runPattern(rule.pattern, events, { mode: "eventTime" });
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new VigilError(`rule ${rule.id} v${rule.version} (${rule.file}), key ${JSON.stringify(key)}: ${why}`, { code: "RULE_FAILED", cause: err });
  }
}

function describeMissingTime(rule: LoadedRule, event: RuleEvent): string {
  const field = rule.eventTime ?? "";
  const path = parseFieldPath(field);
  const value = "segments" in path ? readPath(event, path.segments) : null;
  if (value === null) return `no event time: field ${field} is missing`;
  const shown = JSON.stringify(value) ?? String(value);
  return `no event time: field ${field} is neither epoch milliseconds nor an ISO-8601 time (${shown.length > 60 ? `${shown.slice(0, 57)}...` : shown})`;
}
