import { formatIssue, loadRules } from "../pattern-file/index.js";
import { EXIT_FAILURE, EXIT_OK, writeLines, type CommandContext } from "./io.js";

/**
 * `vigil validate <path...>`: checks pattern files (a file, or every `*.json` of a folder):
 * schema, expressions, stage references, the pattern itself. Prints `ok <file> (<id> v<version>)`
 * per valid rule on stdout and every problem, one per line, on stderr; exits 1 if there is any.
 */
export async function validateCommand(paths: readonly string[], { io, log }: CommandContext): Promise<number> {
  const issues: string[] = [];
  const ok: string[] = [];
  const ids = new Map<string, string>();
  for (const path of paths) {
    const result = await loadRules(path);
    issues.push(...result.issues.map(formatIssue));
    for (const rule of result.rules) {
      const other = ids.get(rule.id);
      if (other !== undefined) {
        issues.push(formatIssue({ file: rule.file, pointer: "/id", message: `rule id ${rule.id} is already used by ${other}` }));
        continue;
      }
      ids.set(rule.id, rule.file);
      ok.push(`ok ${rule.file} (${rule.id} v${rule.version})`);
    }
  }
  log.info({ rules: ok.length, errors: issues.length }, "validated pattern files");
  writeLines(io.stdout, ok);
  writeLines(io.stderr, issues);
  return issues.length === 0 ? EXIT_OK : EXIT_FAILURE;
}
