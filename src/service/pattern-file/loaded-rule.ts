import { buildAlert, type Alert, type AlertTemplate } from "../alert.js";
import { compileExpression, ExprError, type CheckScope, type Evaluator, type TimeOf } from "../expr/index.js";
import type { RuleEvent } from "./build-pattern.js";
import { eventTimeExtractor } from "./event-time.js";
import { parseFieldPath, type PathSegment } from "./field-path.js";
import { childPointer, type RuleIssue } from "./issue.js";
import { keyExtractor, type ExtractedKey, type RuleKey } from "./key.js";
import type { AlertDoc, RuleHeaderDoc } from "./rule-doc.js";
import type { Nfa, Pattern } from "../../cep/index.js";

/** Options for building one alert of a rule; see {@link LoadedRule.buildAlert}. */
export interface BuildAlertOptions {
  /** Event time of a matched event; defaults to the rule's event-time field. */
  readonly timeOf?: (event: RuleEvent) => number | null;
  /** Source position of a matched event, when the source has positions. */
  readonly positionOf?: (event: RuleEvent) => string | undefined;
  /** For a timed-out partial match: when it timed out (ms). Uses `onTimeout`. */
  readonly timedOutAt?: number;
  /** Wall clock for `detectedAt`. */
  readonly now?: () => number;
}

/** A validated, compiled rule, ready to run. JSON and module (`*.ts`) files give the same object. */
export interface LoadedRule {
  readonly id: string;
  readonly version: number;
  readonly description: string | undefined;
  readonly source: string;
  /** The file it came from, as given to the loader. */
  readonly file: string;
  /** The stages' names in pattern order (groups expanded, negative stages included). */
  readonly stageNames: readonly string[];
  /** The key as the file gives it: a field path, or the paths of a compound key. */
  readonly key: string | readonly string[];
  /** The rule's key of an event; `undefined` when the event lacks it (the rule skips it). */
  readonly keyOf: (event: RuleEvent) => ExtractedKey | undefined;
  /** The event-time field's path, or `null` for processing time. */
  readonly eventTime: string | null;
  /** Event time of an event in ms, `null` when missing or unreadable (always `null` for processing time). */
  readonly timeOf: TimeOf;
  readonly pattern: Pattern<RuleEvent>;
  /** `compile(pattern)`, made once. */
  readonly nfa: Nfa<RuleEvent>;
  readonly alert: AlertTemplate;
  readonly onTimeout: AlertTemplate | null;
  /** The alert of a match (or, with `timedOutAt`, of a timed-out partial match). */
  buildAlert(match: Readonly<Record<string, readonly RuleEvent[]>>, key: RuleKey, options?: BuildAlertOptions): Alert;
}

/** Either the rule or every problem found in its file. */
export type LoadResult = { ok: true; rule: LoadedRule } | { ok: false; issues: RuleIssue[] };

/** Collects a problem at a JSON pointer (with a 1-based column inside an expression). */
export type Report = (pointer: string, message: string, column?: number) => void;

/** A {@link Report} that appends to `issues`, naming `file`. */
export function reporter(file: string, issues: RuleIssue[]): Report {
  return (pointer, message, column) => {
    issues.push(column === undefined ? { file, pointer, message } : { file, pointer, message, column });
  };
}

/** Runs an expression compiler; an `ExprError` becomes an issue at `pointer` with its column. */
export function compileWith<R>(report: Report, pointer: string, make: () => R): R | undefined {
  try {
    return make();
  } catch (err) {
    if (!(err instanceof ExprError)) throw err;
    report(pointer, err.detail, err.column);
    return undefined;
  }
}

/** The key extractor and event-time reader of a rule; bad paths are reported. */
export function compileKeyAndTime(doc: RuleHeaderDoc, report: Report): { keyOf: LoadedRule["keyOf"]; timeOf: TimeOf } {
  const compound = Array.isArray(doc.key);
  const keyPaths = (compound ? (doc.key as string[]) : [doc.key as string]).map((path, i) => {
    const parsed = parseFieldPath(path);
    if ("error" in parsed) report(compound ? `/key/${i}` : "/key", parsed.error);
    return "segments" in parsed ? parsed.segments : [];
  });
  let timeOf: TimeOf = () => null;
  if (doc.eventTime !== null) {
    const p = parseFieldPath(doc.eventTime);
    if ("error" in p) report("/eventTime", p.error);
    else timeOf = eventTimeExtractor(p.segments);
  }
  return { keyOf: keyExtractor(keyPaths as PathSegment[][], compound), timeOf };
}

/** The compiled `alert` and `onTimeout` sections; expression errors are reported at their fields. */
export function compileAlerts(doc: RuleHeaderDoc, scope: CheckScope, timeOf: TimeOf, report: Report): { alert: AlertTemplate; onTimeout: AlertTemplate | null } {
  const template = (alertDoc: AlertDoc, pointer: string): AlertTemplate => {
    const fields: Array<readonly [string, Evaluator]> = [];
    for (const [name, src] of Object.entries(alertDoc.fields ?? {})) {
      const evaluator = compileWith(report, childPointer(pointer, "fields", name), () => compileExpression(src, { scope, timeOf }));
      if (evaluator !== undefined) fields.push([name, evaluator] as const);
    }
    return { severity: alertDoc.severity, sinks: alertDoc.sinks ?? [], fields };
  };
  const alert = template(doc.alert, "/alert");
  const onTimeout = doc.onTimeout === undefined || doc.onTimeout === null ? null : template(doc.onTimeout, "/onTimeout");
  return { alert, onTimeout };
}

/** `afterMatch.stage` must be given only with skipToFirst / skipToLast and name a stage. */
export function checkAfterMatchStage(doc: RuleHeaderDoc, stageNames: readonly string[], report: Report): void {
  const am = doc.afterMatch;
  if (am?.stage === undefined) return;
  if (am.strategy !== "skipToFirst" && am.strategy !== "skipToLast") {
    report("/afterMatch/stage", `only skipToFirst and skipToLast name a stage, not ${am.strategy}`);
  } else if (!stageNames.includes(am.stage)) {
    report("/afterMatch/stage", `unknown stage ${am.stage} (stages: ${stageNames.join(", ")})`);
  }
}

/** Everything a {@link LoadedRule} is made of, once validated and compiled. */
export interface RuleParts {
  readonly file: string;
  readonly doc: RuleHeaderDoc;
  readonly stageNames: readonly string[];
  readonly keyOf: LoadedRule["keyOf"];
  readonly timeOf: TimeOf;
  readonly pattern: Pattern<RuleEvent>;
  readonly nfa: Nfa<RuleEvent>;
  readonly alert: AlertTemplate;
  readonly onTimeout: AlertTemplate | null;
}

/** The rule object both loaders return, so a rule behaves the same whatever file it came from. */
export function createLoadedRule(parts: RuleParts): LoadedRule {
  const { doc, alert, onTimeout, timeOf } = parts;
  const ruleRef = { id: doc.id, version: doc.version };
  return {
    id: doc.id,
    version: doc.version,
    description: doc.description,
    source: doc.source,
    file: parts.file,
    stageNames: parts.stageNames,
    key: doc.key,
    keyOf: parts.keyOf,
    eventTime: doc.eventTime,
    timeOf,
    pattern: parts.pattern,
    nfa: parts.nfa,
    alert,
    onTimeout,
    buildAlert(match, key, options = {}) {
      const timedOut = options.timedOutAt !== undefined;
      return buildAlert<RuleEvent>({
        rule: ruleRef,
        template: timedOut && onTimeout !== null ? onTimeout : alert,
        key,
        match,
        timeOf: options.timeOf ?? timeOf,
        ...(options.positionOf && { positionOf: options.positionOf }),
        ...(timedOut && { timedOutAt: options.timedOutAt }),
        ...(options.now && { now: options.now }),
      });
    },
  };
}
