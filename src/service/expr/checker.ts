import type { Expr } from "./ast.js";
import { ExprError } from "./expr-error.js";
import { FUNCTIONS } from "./functions.js";

/**
 * What an expression may refer to. `stages` lists every stage of the rule in pattern order
 * (it is what the unknown-stage message shows); `visible` are the stages that can have taken
 * events when the expression runs; `negative` maps `notNext`/`notFollowedBy` stages to their
 * contiguity (they never take events); `current` names the stage whose condition this is.
 */
export interface CheckScope {
  readonly stages: readonly string[];
  readonly visible: ReadonlySet<string>;
  readonly negative: ReadonlyMap<string, string>;
  readonly current?: string;
}

/**
 * Checks an AST against a scope: known functions with the right number of arguments, known
 * stages that can have matched by the time the expression is evaluated. Throws the first
 * {@link ExprError} found, in source order.
 */
export function checkExpression(expr: Expr, scope: CheckScope): void {
  switch (expr.kind) {
    case "literal":
    case "event":
    case "field":
      return;
    case "array":
      for (const item of expr.items) checkExpression(item, scope);
      return;
    case "stage":
      checkStage(expr.stage, expr.pos, scope);
      return;
    case "member":
      checkExpression(expr.object, scope);
      return;
    case "index":
      checkExpression(expr.object, scope);
      checkExpression(expr.index, scope);
      return;
    case "unary":
      checkExpression(expr.operand, scope);
      return;
    case "binary":
      checkExpression(expr.left, scope);
      checkExpression(expr.right, scope);
      return;
    case "conditional":
      checkExpression(expr.test, scope);
      checkExpression(expr.then, scope);
      checkExpression(expr.otherwise, scope);
      return;
    case "call": {
      const fn = FUNCTIONS.get(expr.name);
      if (fn === undefined) {
        throw new ExprError(`unknown function ${expr.name} (functions: ${[...FUNCTIONS.keys()].join(", ")})`, expr.pos + 1);
      }
      if (expr.args.length !== fn.arity) {
        const wanted = `${fn.arity} argument${fn.arity === 1 ? "" : "s"}`;
        throw new ExprError(`${expr.name} expects ${wanted} but got ${expr.args.length}`, expr.pos + 1);
      }
      for (const arg of expr.args) checkExpression(arg, scope);
      return;
    }
  }
}

function checkStage(name: string, pos: number, scope: CheckScope): void {
  if (!scope.stages.includes(name)) {
    throw new ExprError(`unknown stage $${name} (stages: ${scope.stages.join(", ")})`, pos + 1);
  }
  const contiguity = scope.negative.get(name);
  if (contiguity !== undefined) {
    throw new ExprError(`stage $${name} is a ${contiguity} stage and never takes events`, pos + 1);
  }
  if (!scope.visible.has(name)) {
    const who = scope.current === undefined ? "" : ` when stage ${scope.current} is tested`;
    throw new ExprError(`stage $${name} comes later in the pattern and cannot have matched yet${who}`, pos + 1);
  }
}
