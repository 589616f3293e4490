import { formatIssue, loadRuleFile } from "../pattern-file/index.js";
import { EXIT_FAILURE, EXIT_OK, writeLines, type CommandContext } from "./io.js";

/**
 * `vigil explain <file> [--dot]`: prints the compiled automaton of a rule, as text
 * (`compile(pattern).describe()`) or as Graphviz DOT (`toDot()`).
 */
export async function explainCommand(file: string, options: { dot?: boolean }, { io }: CommandContext): Promise<number> {
  const result = await loadRuleFile(file);
  if (!result.ok) {
    writeLines(io.stderr, result.issues.map(formatIssue));
    return EXIT_FAILURE;
  }
  const { nfa } = result.rule;
  io.stdout.write(ensureNewline(options.dot === true ? nfa.toDot() : nfa.describe()));
  return EXIT_OK;
}

function ensureNewline(s: string): string {
  return s.endsWith("\n") ? s : `${s}\n`;
}
