import { randomUUID } from "node:crypto";
import { stat } from "node:fs/promises";
import { findSourceMap } from "node:module";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { register } from "tsx/esm/api";
import { AfterMatchSkipStrategy, PatternError, compile, type Nfa, type Pattern } from "../../cep/index.js";
import { adoptPattern, ownWindowMs, stagesOf } from "./adopt-pattern.js";
import type { RuleEvent } from "./build-pattern.js";
import { formatDuration, parseDuration } from "./duration.js";
import { describeFsError } from "./fs-error.js";
import type { RuleIssue } from "./issue.js";
import {
  checkAfterMatchStage,
  compileAlerts,
  compileKeyAndTime,
  createLoadedRule,
  reporter,
  type LoadResult,
  type Report,
} from "./loaded-rule.js";
import type { RuleHeaderDoc } from "./rule-doc.js";
import { validateSchema } from "./schema.js";
import { alertScope } from "./stage-index.js";

/** Extensions of module pattern files: imported (executed), unlike JSON. */
export const MODULE_EXTENSIONS: readonly string[] = [".ts", ".mts", ".js", ".mjs"];

/** Whether `path` names a module pattern file (by its extension). */
export function isModuleFile(path: string): boolean {
  return MODULE_EXTENSIONS.some((e) => path.endsWith(e));
}

/** Longest message kept from an import error, so one odd error cannot flood a report. */
const MAX_MESSAGE = 500;

/**
 * Loads one module pattern file (`*.ts`, `*.mts`, `*.js`, `*.mjs`): imports it, which runs its
 * code, then validates its default export (the keys of a JSON pattern file, with a fluent
 * `Pattern` in place of `stages`) and compiles it into the same rule object a JSON file gives.
 * Only for files reviewed like code: a rule from outside must be JSON, which is never executed.
 * Never throws: a module that fails to compile or throws while imported is an issue naming the
 * file (and the line, when known). Each load imports the file afresh, with its own copy of
 * whatever it imports, so a changed file (or helper) is seen on the next load.
 */
export async function loadRuleModule(path: string, display: string = path): Promise<LoadResult> {
  try {
    await stat(path);
  } catch (err) {
    return { ok: false, issues: [{ file: display, pointer: "", message: `cannot read: ${describeFsError(err)}` }] };
  }
  let namespace: Record<string, unknown>;
  try {
    namespace = await importModule(path);
  } catch (err) {
    return { ok: false, issues: [importIssue(err, path, display)] };
  }
  try {
    return loadRuleExport(defaultExport(namespace), display);
  } catch (err) {
    // Defence in depth, as for JSON files; a getter of the export may throw too.
    return { ok: false, issues: [{ file: display, pointer: "", message: `internal error: ${err instanceof Error ? err.message : String(err)}` }] };
  }
}

/**
 * Imports a module with tsx (TypeScript and ESM, from the sources as from the built CLI) in a
 * fresh namespace, then unregisters tsx's hooks: `tsImport` would leave them active, one set per
 * load, for the life of the process.
 */
async function importModule(path: string): Promise<Record<string, unknown>> {
  const api = register({ namespace: `vigil-rule-${randomUUID()}` });
  try {
    return (await api.import(pathToFileURL(resolve(path)).href, import.meta.url)) as Record<string, unknown>;
  } finally {
    await api.unregister();
  }
}

/** The default export; a file compiled as CommonJS (outside a `"type": "module"` package) nests it once more. */
function defaultExport(namespace: Record<string, unknown>): unknown {
  const value = namespace.default;
  if (typeof value === "object" && value !== null && (value as { __esModule?: unknown }).__esModule === true && "default" in value) {
    return (value as { default: unknown }).default;
  }
  return value;
}

/**
 * Validates and compiles the default export of a module pattern file. `file` names it in issues,
 * whose JSON pointers point into the export (`/alert/fields/total`, `/pattern`).
 */
export function loadRuleExport(exported: unknown, file: string): LoadResult {
  if (exported === undefined) {
    return fail(file, "", "has no default export; write export default definePatternFile({ id, version, source, key, eventTime, pattern, alert })");
  }
  if (typeof exported !== "object" || exported === null || Array.isArray(exported)) {
    return fail(file, "", `the default export must be the rule, an object with id, version, source, key, eventTime, pattern and alert (got ${exported === null ? "null" : Array.isArray(exported) ? "a list" : `a ${typeof exported}`})`);
  }
  const schemaIssues = validateSchema(file, exported, "module").map((issue) =>
    issue.pointer === "/stages" ? { ...issue, message: "is for JSON files; a module file gives its stages as pattern, a fluent Pattern" } : issue,
  );
  if (schemaIssues.length > 0) return { ok: false, issues: schemaIssues };
  const doc = exported as RuleHeaderDoc & { pattern: unknown };

  const issues: RuleIssue[] = [];
  const report = reporter(file, issues);
  const { keyOf, timeOf } = compileKeyAndTime(doc, report);
  const within = doc.within === undefined ? undefined : parseDuration(doc.within);
  if (within !== undefined && "error" in within) report("/within", within.error);

  const adopted = adoptPattern(doc.pattern, afterMatchOf(doc, report));
  if ("error" in adopted) {
    report("/pattern", adopted.error);
    return { ok: false, issues };
  }
  let pattern = adopted.pattern;
  const { names, negative } = stagesOf(pattern);
  checkAfterMatchStage(doc, names, report);
  const { alert, onTimeout } = compileAlerts(doc, alertScope({ names, negative }), timeOf, report);
  if (within !== undefined && "ms" in within) {
    const own = ownWindowMs(pattern);
    if (own === undefined) pattern = pattern.within(within.ms);
    else if (own !== within.ms) report("/within", `the Pattern already has within(${own}) (${formatDuration(own)}); set the window in one place`);
  }
  if (issues.length > 0) return { ok: false, issues };

  const compiled = compilePattern(pattern, doc, report);
  if (compiled === undefined) return { ok: false, issues };
  return { ok: true, rule: createLoadedRule({ file, doc, stageNames: names, keyOf, timeOf, pattern, nfa: compiled, alert, onTimeout }) };
}

/** The file's `afterMatch` as a strategy; a different strategy given to `Pattern.begin` too is an error. */
function afterMatchOf(doc: RuleHeaderDoc & { pattern: unknown }, report: Report): AfterMatchSkipStrategy | undefined {
  const am = doc.afterMatch;
  if (am === undefined) return undefined;
  const skip =
    am.strategy === "skipToFirst" ? AfterMatchSkipStrategy.skipToFirst(am.stage ?? "")
    : am.strategy === "skipToLast" ? AfterMatchSkipStrategy.skipToLast(am.stage ?? "")
    : AfterMatchSkipStrategy[am.strategy]();
  const own = (doc.pattern as { skipStrategy?: { kind?: unknown } } | null)?.skipStrategy;
  if (own !== undefined && own.kind !== "noSkip" && String(own) !== String(skip)) {
    report("/afterMatch", `the Pattern already has the after-match strategy ${String(own)} (Pattern.begin's second argument); set it in one place`);
  }
  return skip;
}

function compilePattern(pattern: Pattern<RuleEvent>, doc: RuleHeaderDoc, report: Report): Nfa<RuleEvent> | undefined {
  try {
    return compile(pattern);
  } catch (err) {
    if (err instanceof PatternError) report(/skip/i.test(err.rule) && doc.afterMatch !== undefined ? "/afterMatch" : "/pattern", err.message);
    else report("/pattern", `cannot compile the pattern: ${err instanceof Error ? err.message : String(err)}`);
    return undefined;
  }
}

function fail(file: string, pointer: string, message: string): LoadResult {
  return { ok: false, issues: [{ file, pointer, message }] };
}

/**
 * An import failure as one issue: esbuild's syntax errors with their line and column, an error
 * thrown by the module's code with the line of the file it was thrown at (from the stack, which
 * tsx source-maps to the TypeScript), anything else (a missing import) with its message.
 */
function importIssue(err: unknown, path: string, file: string): RuleIssue {
  const message = err instanceof Error ? err.message : String(err);
  const syntax = /:(\d+):(\d+): ERROR: ([^\n]+)/.exec(message);
  if (/^Transform failed/.test(message) && syntax !== null) {
    // esbuild counts columns from 0
    return { file, pointer: "", line: Number(syntax[1]), column: Number(syntax[2]) + 1, message: `cannot compile: ${oneLine(syntax[3])}` };
  }
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === "string" && (code.startsWith("ERR_") || code === "MODULE_NOT_FOUND")) {
    return { file, pointer: "", message: `cannot import: ${oneLine(message.split("\nRequire stack:")[0])}` };
  }
  const thrown = err instanceof Error ? `${err.name}: ${message}` : message;
  const at = throwSite(err, path);
  return { file, pointer: "", ...at, message: `threw when imported: ${oneLine(thrown)}` };
}

/**
 * Line and column (1-based) of the first stack frame in `path`. A frame naming the file by its
 * path is already source-mapped (Node does it while tsx's source maps are on); one naming it by
 * URL is a position in the compiled code, mapped back here when the module has a source map.
 */
function throwSite(err: unknown, path: string): { line?: number; column?: number } {
  const stack = (err as { stack?: unknown } | null)?.stack;
  if (typeof stack !== "string") return {};
  const file = resolve(path);
  const url = pathToFileURL(file).href;
  for (const frame of stack.split("\n").slice(1)) {
    for (const name of [url, file]) {
      const i = frame.indexOf(name);
      const m = i < 0 ? null : /^(\?[^:\s)]*)?:(\d+):(\d+)/.exec(frame.slice(i + name.length));
      if (m === null) continue;
      const line = Number(m[2]);
      const column = Number(m[3]);
      if (name === file) return { line, column };
      const entry = findSourceMap(name + (m[1] ?? ""))?.findEntry(line - 1, column - 1);
      const mapped = entry !== undefined && "originalLine" in entry;
      return mapped ? { line: entry.originalLine + 1, column: entry.originalColumn + 1 } : { line, column };
    }
  }
  return {};
}

/** One line of a message, without tsx's namespace queries (they differ from load to load). */
function oneLine(text: string): string {
  const flat = text
    .replace(/\?(?:tsx-)?namespace=vigil-rule-[0-9a-f-]+/g, "")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "")
    .join(" ");
  return flat.length > MAX_MESSAGE ? `${flat.slice(0, MAX_MESSAGE - 3)}...` : flat;
}
