import type { Pattern } from "../../cep/index.js";
import type { RuleHeaderDoc } from "./rule-doc.js";

/**
 * The default export of a module pattern file (`patterns/*.ts`): the keys of a JSON pattern
 * file, with the fluent `Pattern` in place of `stages`. `T` is the type of the events the
 * conditions see: parsed JSON, so fields a producer may leave out are better typed optional.
 * `within` and `afterMatch` may be set here or on the `Pattern` (not both with different values).
 */
export type PatternFileModule<T = unknown> = RuleHeaderDoc & {
  readonly pattern: Pattern<T, any>;
};

/**
 * Types a module pattern file's default export; returns `rule` unchanged (all checks happen when
 * the file is loaded). `export default definePatternFile({ id: "r", ..., pattern: Pattern.begin<Txn>("a")... })`.
 */
export function definePatternFile<T>(rule: PatternFileModule<T>): PatternFileModule<T> {
  return rule;
}
