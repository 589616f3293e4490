import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { compileCondition } from "../expr/index.js";
import { describeJsonError } from "../json-error.js";
import { buildPattern, type StageConditions } from "./build-pattern.js";
import { parseDuration } from "./duration.js";
import { describeFsError } from "./fs-error.js";
import { childPointer, RuleLoadError, type RuleIssue } from "./issue.js";
import {
  checkAfterMatchStage,
  compileAlerts,
  compileKeyAndTime,
  compileWith,
  createLoadedRule,
  reporter,
  type LoadedRule,
  type LoadResult,
  type Report,
} from "./loaded-rule.js";
import { isModuleFile, loadRuleModule, MODULE_EXTENSIONS } from "./module-file.js";
import type { RuleDoc, StageDoc } from "./rule-doc.js";
import { isGroup } from "./rule-doc.js";
import { validateSchema } from "./schema.js";
import { alertScope, conditionScope, indexStages } from "./stage-index.js";

export type { BuildAlertOptions, LoadedRule, LoadResult } from "./loaded-rule.js";

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
  const report = reporter(file, issues);

  const { index, issues: stageIssues } = indexStages(file, doc.stages);
  issues.push(...stageIssues);
  const { keyOf, timeOf } = compileKeyAndTime(doc, report);
  checkDurations(doc, report);
  checkAfterMatchStage(doc, index.names, report);

  const conditions = new Map<string, StageConditions>();
  for (const stage of index.stages) {
    const scope = conditionScope(index, stage);
    const cond = (key: "where" | "or" | "until") => {
      const src = stage.doc[key];
      return src === undefined ? undefined : compileWith(report, childPointer(stage.pointer, key), () => compileCondition(src, { scope, timeOf }));
    };
    const where = cond("where");
    const or = cond("or");
    const until = cond("until");
    if (where !== undefined) conditions.set(stage.name, { where, ...(or && { or }), ...(until && { until }) });
  }
  const { alert, onTimeout } = compileAlerts(doc, alertScope(index), timeOf, report);

  if (issues.length > 0) return { ok: false, issues };

  const built = buildPattern(file, doc, index, conditions);
  if ("issues" in built) return { ok: false, issues: built.issues };
  const rule = createLoadedRule({ file, doc, stageNames: index.names, keyOf, timeOf, pattern: built.pattern, nfa: built.nfa, alert, onTimeout });
  return { ok: true, rule };
}

function checkDurations(doc: RuleDoc, report: Report): void {
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

/**
 * Reads and loads one pattern file. `display` is how the file is named in issues. A `*.ts`,
 * `*.mts`, `*.js` or `*.mjs` file is a module and is imported (that is, executed; see
 * {@link loadRuleModule}); anything else is read as JSON, which is never executed.
 */
export async function loadRuleFile(path: string, display: string = path): Promise<LoadResult> {
  if (isModuleFile(path)) return loadRuleModule(path, display);
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    return { ok: false, issues: [{ file: display, pointer: "", message: `cannot read: ${describeFsError(err)}` }] };
  }
  return loadRuleText(text, display);
}

/** Every rule of a file or a folder of pattern files, or every issue found in any of them. */
export interface LoadAllResult {
  readonly rules: LoadedRule[];
  readonly issues: RuleIssue[];
  /** The files looked at, in order. */
  readonly files: string[];
}

const RULE_EXTENSIONS = [".json", ...MODULE_EXTENSIONS];
const RULE_GLOBS = RULE_EXTENSIONS.map((e) => `*${e}`).join(", ");

/**
 * Files a folder of module rules is likely to hold beside them, which are not rules: type
 * declarations and the package and compiler settings that make its `*.ts` files ESM and typed.
 */
const NOT_RULES = /(\.d\.m?ts|^package\.json|^package-lock\.json|^[jt]sconfig(\..*)?\.json)$/;

/** Whether a folder entry is a rule file: by its extension, unless it is one of {@link NOT_RULES}. */
export function isRuleFileName(name: string): boolean {
  return RULE_EXTENSIONS.some((e) => name.endsWith(e)) && !NOT_RULES.test(name);
}

/**
 * Loads a pattern file, or every pattern file of a folder (`*.json`, `*.ts`, `*.mts`, `*.js`,
 * `*.mjs`, but not `*.d.ts`, `package.json` or `tsconfig.json`; not recursive, so a module
 * rule's helpers can live in a subfolder; sorted by name).
 * Collects all issues of all files; rule ids must be unique across them. Callers must deploy
 * nothing when `issues` is non-empty.
 */
export async function loadRules(path: string): Promise<LoadAllResult> {
  let files: string[];
  try {
    const info = await stat(path);
    files = info.isDirectory()
      ? (await readdir(path, { withFileTypes: true }))
          .filter((entry) => !entry.isDirectory() && isRuleFileName(entry.name))
          .map((entry) => entry.name)
          .sort()
          .map((name) => join(path, name))
      : [path];
  } catch (err) {
    return { rules: [], issues: [{ file: path, pointer: "", message: `cannot read: ${describeFsError(err)}` }], files: [] };
  }
  if (files.length === 0) return { rules: [], issues: [{ file: path, pointer: "", message: `no pattern files (${RULE_GLOBS}) in this folder` }], files };
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
