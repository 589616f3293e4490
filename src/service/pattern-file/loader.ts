import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { buildAlert, type Alert, type AlertTemplate } from "../alert.js";
import { compileCondition, compileExpression, ExprError, type Evaluator, type TimeOf } from "../expr/index.js";
import { describeJsonError } from "../json-error.js";
import { buildPattern, type RuleEvent, type StageConditions } from "./build-pattern.js";
import { parseDuration } from "./duration.js";
import { eventTimeExtractor } from "./event-time.js";
import { parseFieldPath, type PathSegment } from "./field-path.js";
import { childPointer, RuleLoadError, type RuleIssue } from "./issue.js";
import { keyExtractor, type ExtractedKey, type RuleKey } from "./key.js";
import type { AlertDoc, RuleDoc, StageDoc } from "./rule-doc.js";
import { isGroup } from "./rule-doc.js";
import { validateSchema } from "./schema.js";
import { alertScope, conditionScope, indexStages, type StageIndex } from "./stage-index.js";
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

/** A validated, compiled rule, ready to run. */
export interface LoadedRule {
  readonly id: string;
  readonly version: number;
  readonly description: string | undefined;
  readonly source: string;
  /** The file it came from, as given to the loader. */
  readonly file: string;
  /** The stages' names in pattern order. */
  readonly stageNames: readonly string[];
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

/**
 * Loads one rule from the text of a JSON pattern file: parses it, validates it against the
 * schema, checks and compiles every expression, builds and compiles the `Pattern`. Never throws:
 * any problem is returned as issues naming `file`, a JSON pointer and (in expressions) a column.
 */
export function loadRuleText(text: string, file: string): LoadResult {
  try {
    return loadUnsafe(text, file);
  } catch (err) {
    // Defence in depth: a bug here must still come out as a report, not a crash.
    return { ok: false, issues: [{ file, pointer: "", message: `internal error: ${err instanceof Error ? err.message : String(err)}` }] };
  }
}

function loadUnsafe(text: string, file: string): LoadResult {
  const parsed = parseJson(text, file);
  if ("issue" in parsed) return { ok: false, issues: [parsed.issue] };
  const schemaIssues = validateSchema(file, parsed.doc);
  if (schemaIssues.length > 0) return { ok: false, issues: schemaIssues };
  const doc = parsed.doc as RuleDoc;

  const issues: RuleIssue[] = [];
  const report = (pointer: string, message: string, column?: number): void => {
    issues.push(column === undefined ? { file, pointer, message } : { file, pointer, message, column });
  };

  const { index, issues: stageIssues } = indexStages(file, doc.stages);
  issues.push(...stageIssues);

  const keyPaths = (Array.isArray(doc.key) ? doc.key : [doc.key]).map((path, i) => {
    const parsedPath = parseFieldPath(path);
    if ("error" in parsedPath) report(Array.isArray(doc.key) ? `/key/${i}` : "/key", parsedPath.error);
    return "segments" in parsedPath ? parsedPath.segments : [];
  });
  let timeOf: TimeOf = () => null;
  if (doc.eventTime !== null) {
    const p = parseFieldPath(doc.eventTime);
    if ("error" in p) report("/eventTime", p.error);
    else timeOf = eventTimeExtractor(p.segments);
  }

  checkDurations(doc, report);
  checkAfterMatch(doc, index, report);

  /** Runs an expression compiler; an ExprError becomes an issue at `pointer` with its column. */
  const compileWith = <R>(pointer: string, make: () => R): R | undefined => {
    try {
      return make();
    } catch (err) {
      if (!(err instanceof ExprError)) throw err;
      report(pointer, err.detail, err.column);
      return undefined;
    }
  };

  const conditions = new Map<string, StageConditions>();
  for (const stage of index.stages) {
    const scope = conditionScope(index, stage);
    const cond = (key: "where" | "or" | "until") => {
      const src = stage.doc[key];
      return src === undefined ? undefined : compileWith(childPointer(stage.pointer, key), () => compileCondition(src, { scope, timeOf }));
    };
    const where = cond("where");
    const or = cond("or");
    const until = cond("until");
    if (where !== undefined) conditions.set(stage.name, { where, ...(or && { or }), ...(until && { until }) });
  }

  const template = (alertDoc: AlertDoc, pointer: string): AlertTemplate => {
    const scope = alertScope(index);
    const fields: Array<readonly [string, Evaluator]> = [];
    for (const [name, src] of Object.entries(alertDoc.fields ?? {})) {
      const evaluator = compileWith(childPointer(pointer, "fields", name), () => compileExpression(src, { scope, timeOf }));
      if (evaluator !== undefined) fields.push([name, evaluator] as const);
    }
    return { severity: alertDoc.severity, sinks: alertDoc.sinks ?? [], fields };
  };
  const alert = template(doc.alert, "/alert");
  const onTimeout = doc.onTimeout === undefined || doc.onTimeout === null ? null : template(doc.onTimeout, "/onTimeout");

  if (issues.length > 0) return { ok: false, issues };

  const built = buildPattern(file, doc, index, conditions);
  if ("issues" in built) return { ok: false, issues: built.issues };

  const ruleRef = { id: doc.id, version: doc.version };
  const rule: LoadedRule = {
    id: doc.id,
    version: doc.version,
    description: doc.description,
    source: doc.source,
    file,
    stageNames: index.names,
    keyOf: keyExtractor(keyPaths as PathSegment[][], Array.isArray(doc.key)),
    eventTime: doc.eventTime,
    timeOf,
    pattern: built.pattern,
    nfa: built.nfa,
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
  return { ok: true, rule };
}

function checkDurations(doc: RuleDoc, report: (pointer: string, message: string) => void): void {
  const check = (value: string | number | undefined, pointer: string): void => {
    if (value === undefined) return;
    const d = parseDuration(value);
    if ("error" in d) report(pointer, d.error);
  };
  check(doc.within, "/within");
  const walk = (stages: readonly StageDoc[], pointer: string): void =>
    stages.forEach((s, i) => {
      if (isGroup(s)) walk(s.group, childPointer(pointer, i, "group"));
      else check(s.within, childPointer(pointer, i, "within"));
    });
  walk(doc.stages, "/stages");
}

function checkAfterMatch(doc: RuleDoc, index: StageIndex, report: (pointer: string, message: string) => void): void {
  const am = doc.afterMatch;
  if (am?.stage === undefined) return;
  if (am.strategy !== "skipToFirst" && am.strategy !== "skipToLast") {
    report("/afterMatch/stage", `only skipToFirst and skipToLast name a stage, not ${am.strategy}`);
  } else if (!index.byName.has(am.stage)) {
    report("/afterMatch/stage", `unknown stage ${am.stage} (stages: ${index.names.join(", ")})`);
  }
}

/** JSON.parse with the error's position turned into line and column. `$schema` is only text. */
function parseJson(text: string, file: string): { doc: unknown } | { issue: RuleIssue } {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  try {
    return { doc: JSON.parse(body) as unknown };
  } catch (err) {
    const { reason, line, column } = describeJsonError(err, body);
    return { issue: { file, pointer: "", line, column, message: `invalid JSON: ${reason}` } };
  }
}

/** Reads and loads one pattern file. `display` is how the file is named in issues. */
export async function loadRuleFile(path: string, display: string = path): Promise<LoadResult> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    return { ok: false, issues: [{ file: display, pointer: "", message: `cannot read: ${describeFsError(err)}` }] };
  }
  return loadRuleText(text, display);
}

/** Every rule of a file or a folder of `*.json` files, or every issue found in any of them. */
export interface LoadAllResult {
  readonly rules: LoadedRule[];
  readonly issues: RuleIssue[];
  /** The files looked at, in order. */
  readonly files: string[];
}

/**
 * Loads a pattern file, or every `*.json` file of a folder (not recursive, sorted by name).
 * Collects all issues of all files; rule ids must be unique across them. Callers must deploy
 * nothing when `issues` is non-empty.
 */
export async function loadRules(path: string): Promise<LoadAllResult> {
  let files: string[];
  try {
    const info = await stat(path);
    files = info.isDirectory()
      ? (await readdir(path)).filter((name) => name.endsWith(".json")).sort().map((name) => join(path, name))
      : [path];
  } catch (err) {
    return { rules: [], issues: [{ file: path, pointer: "", message: `cannot read: ${describeFsError(err)}` }], files: [] };
  }
  if (files.length === 0) return { rules: [], issues: [{ file: path, pointer: "", message: "no pattern files (*.json) in this folder" }], files };
  const rules: LoadedRule[] = [];
  const issues: RuleIssue[] = [];
  const owners = new Map<string, string>();
  for (const file of files) {
    const result = await loadRuleFile(file);
    if (!result.ok) {
      issues.push(...result.issues);
      continue;
    }
    const other = owners.get(result.rule.id);
    if (other !== undefined) {
      issues.push({ file, pointer: "/id", message: `rule id ${result.rule.id} is already used by ${other}` });
      continue;
    }
    owners.set(result.rule.id, file);
    rules.push(result.rule);
  }
  return { rules, issues, files };
}

/**
 * {@link loadRules}, all or nothing: the rules, or a {@link RuleLoadError} whose `issues` hold
 * every problem (its message has them one per line). What a deployment should call.
 */
export async function loadRulesOrThrow(path: string): Promise<LoadedRule[]> {
  const { rules, issues } = await loadRules(path);
  if (issues.length > 0) throw new RuleLoadError(issues);
  return rules;
}

function describeFsError(err: unknown): string {
  const code = (err as { code?: string } | null)?.code;
  if (code === "ENOENT") return "no such file or folder";
  if (code === "EACCES") return "permission denied";
  if (code === "EISDIR") return "is a folder";
  return err instanceof Error ? err.message : String(err);
}
