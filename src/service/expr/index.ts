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
export { truthy, equals, getProperty, getIndex } from "./values.js";

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
  return compileChecked(src, options).evaluate;
}

function compileChecked(src: string, options: CompileExpressionOptions): { evaluate: Evaluator; ast: Expr } {
  const ast: Expr = parseExpression(src);
  checkExpression(ast, options.scope);
  return { evaluate: compileAst(ast, { timeOf: options.timeOf ?? NO_TIME }), ast };
}

/**
 * Whether evaluating `expr` may read the context: a `$stage` reference or `now()`. An
 * expression that does not can be evaluated without one (the engine may skip building it).
 */
export function readsContext(expr: Expr): boolean {
  switch (expr.kind) {
    case "stage":
      return true;
    case "literal":
    case "event":
    case "field":
      return false;
    case "array":
      return expr.items.some(readsContext);
    case "member":
      return readsContext(expr.object);
    case "index":
      return readsContext(expr.object) || readsContext(expr.index);
    case "unary":
      return readsContext(expr.operand);
    case "binary":
      return readsContext(expr.left) || readsContext(expr.right);
    case "conditional":
      return readsContext(expr.test) || readsContext(expr.then) || readsContext(expr.otherwise);
    case "call":
      return expr.name === "now" || expr.args.some(readsContext);
  }
}

/** A compiled condition, with the annotations the CEP engine reads. */
export type CompiledCondition = ((event: unknown, ctx: EvalContext) => boolean) & {
  /** The source text; the engine's `describe()` prints it. */
  readonly description: string;
  /** True when the condition never reads its context (no `$stage`, no `now()`). */
  readonly contextFree: boolean;
};

/**
 * Like {@link compileExpression}, for a condition: the result is `true` exactly when the
 * expression's value is truthy (see {@link truthy}).
 */
export function compileCondition(src: string, options: CompileExpressionOptions): CompiledCondition {
  const { evaluate, ast } = compileChecked(src, options);
  const condition = (event: unknown, ctx: EvalContext): boolean => truthy(evaluate(event, ctx));
  return Object.assign(condition, { description: src, contextFree: !readsContext(ast) });
}
