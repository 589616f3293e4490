import { PatternError } from "../errors.js";
import { NfaCompiler } from "./compiler/compiler.js";
import { Nfa } from "./nfa/nfa.js";
import { Pattern } from "./pattern/pattern.js";

/**
 * Validates `pattern` and compiles it into an `Nfa` shared by every key. Throws `PatternError`
 * for any pattern FlinkCEP would reject (and for a few it would accept and then misbehave on).
 */
export function compile<T>(pattern: Pattern<T, any>): Nfa<T> {
  if (!(pattern instanceof Pattern)) {
    throw new PatternError("not-a-pattern", "compile() needs a Pattern built with Pattern.begin(...)");
  }
  const graph = new NfaCompiler<T>(pattern).compile();
  return new Nfa<T>(graph, pattern.skipStrategy);
}
