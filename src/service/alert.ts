import { createHash } from "node:crypto";
import type { Evaluator } from "./expr/index.js";
import type { RuleKey } from "./pattern-file/key.js";

/** Alert severities, lowest first. */
export const SEVERITIES = ["info", "low", "medium", "high", "critical"] as const;
/** How serious an alert is. */
export type Severity = (typeof SEVERITIES)[number];

/**
 * The alert object every sink receives, one per match (docs/pattern-files.md, "Alerts").
 * `time` is the event time (ms) of the last event taken in the match, or for a timed-out
 * partial match the time its window ended; `detectedAt` is wall-clock ms at emission.
 */
export interface Alert {
  id: string;
  rule: string;
  version: number;
  severity: Severity;
  key: RuleKey;
  time: number;
  detectedAt: number;
  fields: Record<string, unknown>;
  match: Record<string, unknown[]>;
  timedOut?: true;
}

/** The compiled `alert` (or `onTimeout`) section of a rule. */
export interface AlertTemplate {
  readonly severity: Severity;
  readonly sinks: readonly string[];
  /** Field name to its compiled expression, in file order. */
  readonly fields: ReadonlyArray<readonly [string, Evaluator]>;
}

/** Everything {@link buildAlert} needs about one match. */
export interface AlertInput<T> {
  readonly rule: { readonly id: string; readonly version: number };
  readonly template: AlertTemplate;
  readonly key: RuleKey;
  /** Stage name to the events it took, keys in pattern order (the engine's `Match`). */
  readonly match: Readonly<Record<string, readonly T[]>>;
  /** Event time of a matched event (ms); `null` if unknown. */
  readonly timeOf: (event: T) => number | null;
  /** The event's source position (e.g. `file.jsonl:17`, `topic/3@1042`); else its content identifies it. */
  readonly positionOf?: (event: T) => string | undefined;
  /** For an `onTimeout` alert: the time at which the partial match timed out. */
  readonly timedOutAt?: number;
  /** Wall clock for `detectedAt`; `Date.now` by default. */
  readonly now?: () => number;
}

/**
 * Builds the alert for a match (or, with `timedOutAt`, a timed-out partial match). Field
 * expressions see the completed match: `$stage` is `match[stage] ?? []`, bare names read the
 * last event taken, `now()` is the alert's `time`. Never throws.
 */
export function buildAlert<T>(input: AlertInput<T>): Alert {
  const { match, timeOf } = input;
  let last: T | undefined;
  let lastTime = -Infinity;
  for (const events of Object.values(match)) {
    for (const e of events) {
      const t = timeOf(e);
      // ">=" so that of events with equal times the later one in pattern order wins
      if (t !== null && t >= lastTime) {
        lastTime = t;
        last = e;
      }
    }
  }
  const detectedAt = (input.now ?? Date.now)();
  const time = input.timedOutAt ?? (last === undefined ? detectedAt : lastTime);
  const ctx = {
    eventsFor: (stage: string): readonly unknown[] => (Object.hasOwn(match, stage) ? match[stage] : []),
    timestamp: () => time,
  };
  const fields = Object.fromEntries(
    input.template.fields.map(([name, evaluate]) => [name, jsonSafe(evaluate(last ?? null, ctx))]),
  );
  const alert: Alert = {
    id: alertId(input),
    rule: input.rule.id,
    version: input.rule.version,
    severity: input.template.severity,
    key: input.key,
    time,
    detectedAt,
    fields,
    match: Object.fromEntries(Object.entries(match).map(([stage, events]) => [stage, [...events]])),
  };
  if (input.timedOutAt !== undefined) alert.timedOut = true;
  return alert;
}

/**
 * The deterministic alert id: SHA-256 (hex) over the rule id, version, key, whether the match
 * timed out, and for each stage in order the identities of its events (source position when
 * known, else canonical JSON of the content). A replay of the same input gives the same id.
 */
export function alertId<T>(input: Pick<AlertInput<T>, "rule" | "key" | "match" | "positionOf" | "timedOutAt">): string {
  const identity = (e: T): unknown => {
    const pos = input.positionOf?.(e);
    return pos === undefined ? { content: e } : { pos };
  };
  const stages = Object.entries(input.match).map(([stage, events]) => [stage, events.map(identity)]);
  const material = ["vigil-alert/1", input.rule.id, input.rule.version, input.key, input.timedOutAt !== undefined, stages];
  return createHash("sha256").update(canonicalJson(material)).digest("hex");
}

/**
 * JSON with object keys sorted at every level, so equal values always give equal text.
 * Non-finite numbers and `undefined` become `null`; cycles are cut as `null`.
 */
export function canonicalJson(value: unknown): string {
  const seen = new Set<object>();
  const walk = (v: unknown): string => {
    if (v === null || v === undefined || typeof v === "function" || typeof v === "symbol") return "null";
    if (typeof v === "number") return Number.isFinite(v) ? JSON.stringify(v) : "null";
    if (typeof v === "bigint") return JSON.stringify(v.toString());
    if (typeof v !== "object") return JSON.stringify(v);
    if (seen.has(v)) return "null";
    seen.add(v);
    const out = Array.isArray(v)
      ? `[${v.map(walk).join(",")}]`
      : `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${walk((v as Record<string, unknown>)[k])}`).join(",")}}`;
    seen.delete(v);
    return out;
  };
  return walk(value);
}

/** Stable ordering of alerts: by `time`, then `rule`, then `id`. */
export function compareAlerts(a: Alert, b: Alert): number {
  return a.time - b.time || (a.rule < b.rule ? -1 : a.rule > b.rule ? 1 : 0) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

function jsonSafe(v: unknown): unknown {
  return v === undefined ? null : v;
}
