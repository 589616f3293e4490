import { VigilError } from "../../errors.js";

/**
 * One problem found in a pattern file. `pointer` is the RFC 6901 JSON pointer of the offending
 * value ("" for the file as a whole); `column` (1-based) is set for errors inside an expression,
 * `line` for JSON syntax errors.
 */
export interface RuleIssue {
  readonly file: string;
  readonly pointer: string;
  readonly message: string;
  readonly column?: number;
  readonly line?: number;
}

/**
 * The one-line form of an issue:
 * `patterns/card-testing.json /stages/1/where:14: unknown stage $smal (stages: small, big)`,
 * `patterns/x.json /within: must be ...`, `patterns/x.json:3:7: invalid JSON: ...`.
 */
export function formatIssue(issue: RuleIssue): string {
  if (issue.line !== undefined) return `${issue.file}:${issue.line}:${issue.column ?? 1}: ${issue.message}`;
  const where = issue.pointer === "" ? issue.file : `${issue.file} ${issue.pointer}`;
  return issue.column === undefined ? `${where}: ${issue.message}` : `${where}:${issue.column}: ${issue.message}`;
}

/** Thrown when pattern files do not load; `issues` holds every problem found, in file order. */
export class RuleLoadError extends VigilError {
  readonly issues: readonly RuleIssue[];

  constructor(issues: readonly RuleIssue[]) {
    super(issues.map(formatIssue).join("\n"), { code: "PATTERN_FILE_INVALID", retriable: false });
    this.issues = issues;
  }
}

/** Escapes one JSON pointer reference token (RFC 6901: `~` as `~0`, `/` as `~1`). */
export function pointerToken(token: string | number): string {
  return String(token).replace(/~/g, "~0").replace(/\//g, "~1");
}

/** `pointer` extended by `tokens`. */
export function childPointer(pointer: string, ...tokens: Array<string | number>): string {
  return pointer + tokens.map((t) => `/${pointerToken(t)}`).join("");
}
