/**
 * The condition language of pattern files: tokenizer, Pratt parser to a whitelisted AST,
 * checker and closure compiler. See docs/pattern-files.md for the language.
 */
import type { Expr } from "./ast.js";
import { checkExpression, type CheckScope } from "./checker.js";
import { compileAst, type EvalContext, type Evaluator, type TimeOf } from "./compiler.js";
import { parseExpression } from "./parser.js";
import { truthy } from "./values.js";

export type { Expr } from "./ast.js";
export type { CheckScope } from "./checker.js";
export type { EvalContext, Evaluator, TimeOf } from "./compiler.js";
export { ExprError } from "./expr-error.js";
export { FUNCTIONS, EARTH_RADIUS_KM, haversineKm } from "./functions.js";
export { parseExpression, MAX_EXPRESSION_LENGTH, MAX_NESTING, FORBIDDEN_NAMES } from "./parser.js";
export { checkExpression } from "./checker.js";
export { truthy, equals } from "./values.js";

/** Options of {@link compileExpression}. */
export interface CompileExpressionOptions {
  /** Which stages the expression may name. */
  readonly scope: CheckScope;
  /** Reads an event's event time for `time(e)`; defaults to "no event time" (`null`). */
  readonly timeOf?: TimeOf;
}

const NO_TIME: TimeOf = () => null;

/**
 * Parses, checks and compiles an expression. Throws {@link ExprError} (with a 1-based column)
 * for anything wrong; the returned closure never throws.
 */
export function compileExpression(src: string, options: CompileExpressionOptions): Evaluator {
  const ast: Expr = parseExpression(src);
  checkExpression(ast, options.scope);
  return compileAst(ast, { timeOf: options.timeOf ?? NO_TIME });
}

/**
 * Like {@link compileExpression}, for a condition: the result is `true` exactly when the
 * expression's value is truthy (see {@link truthy}). Its `description` is the source text, which
 * the engine's `describe()` prints.
 */
export function compileCondition(
  src: string,
  options: CompileExpressionOptions,
): ((event: unknown, ctx: EvalContext) => boolean) & { description: string } {
  const evaluate = compileExpression(src, options);
  const condition = (event: unknown, ctx: EvalContext): boolean => truthy(evaluate(event, ctx));
  return Object.assign(condition, { description: src });
}
