import type { BinaryExpr, Expr } from "./ast.js";
import { FUNCTIONS, type EvalContext, type TimeOf } from "./functions.js";
import { arithmetic, compare, equals, getIndex, getProperty, member, truthy } from "./values.js";

export type { EvalContext, TimeOf };

/** A compiled expression: a closure over the AST, evaluated per event. Never throws. */
export type Evaluator = (event: unknown, ctx: EvalContext) => unknown;

/** Options of {@link compileAst}. */
export interface CompileAstOptions {
  /** Reads an event's event time (epoch ms) for `time(e)`; `null` when it has none. */
  readonly timeOf: TimeOf;
}

/**
 * Turns a checked AST into nested closures, once. Nothing is evaluated as code: each node
 * becomes a small function over its children's functions, and the only calls possible are the
 * built-ins. Literal subtrees are folded into constants.
 */
export function compileAst(expr: Expr, options: CompileAstOptions): Evaluator {
  switch (expr.kind) {
    case "literal": {
      const value = expr.value;
      return () => value;
    }
    case "array": {
      const items = expr.items.map((item) => compileAst(item, options));
      if (expr.items.every((item) => item.kind === "literal")) {
        const constant = Object.freeze(expr.items.map((item) => (item.kind === "literal" ? item.value : null)));
        return () => constant;
      }
      return (e, ctx) => items.map((item) => item(e, ctx));
    }
    case "event":
      return (e) => e;
    case "field": {
      const name = expr.name;
      return (e) => getProperty(e, name);
    }
    case "stage":
      return compileStage(expr.stage, expr.path);
    case "member": {
      const object = compileAst(expr.object, options);
      const name = expr.name;
      return (e, ctx) => getProperty(object(e, ctx), name);
    }
    case "index": {
      const object = compileAst(expr.object, options);
      const index = compileAst(expr.index, options);
      return (e, ctx) => getIndex(object(e, ctx), index(e, ctx));
    }
    case "unary": {
      const operand = compileAst(expr.operand, options);
      if (expr.op === "!") return (e, ctx) => !truthy(operand(e, ctx));
      return (e, ctx) => {
        const v = operand(e, ctx);
        return typeof v === "number" ? -v : null;
      };
    }
    case "binary":
      return compileBinary(expr, options);
    case "conditional": {
      const test = compileAst(expr.test, options);
      const then = compileAst(expr.then, options);
      const otherwise = compileAst(expr.otherwise, options);
      return (e, ctx) => (truthy(test(e, ctx)) ? then(e, ctx) : otherwise(e, ctx));
    }
    case "call": {
      const fn = FUNCTIONS.get(expr.name);
      if (fn === undefined) throw new Error(`internal: unchecked call of ${expr.name}`);
      const args = expr.args.map((arg) => compileAst(arg, options));
      const impl = fn.impl;
      const timeOf = options.timeOf;
      if (args.length === 0) return (_e, ctx) => impl([], ctx, timeOf);
      if (args.length === 1) {
        const a = args[0];
        return (e, ctx) => impl([a(e, ctx)], ctx, timeOf);
      }
      return (e, ctx) => impl(args.map((arg) => arg(e, ctx)), ctx, timeOf);
    }
  }
}

function compileStage(stage: string, path: readonly string[]): Evaluator {
  if (path.length === 0) return (_e, ctx) => ctx.eventsFor(stage) ?? [];
  return (_e, ctx) => {
    const out: unknown[] = [];
    for (const event of ctx.eventsFor(stage) ?? []) {
      let v: unknown = event;
      for (const name of path) v = getProperty(v, name);
      if (v !== null) out.push(v);
    }
    return out;
  };
}

function compileBinary(expr: BinaryExpr, options: CompileAstOptions): Evaluator {
  const left = compileAst(expr.left, options);
  const right = compileAst(expr.right, options);
  switch (expr.op) {
    case "&&":
      return (e, ctx) => truthy(left(e, ctx)) && truthy(right(e, ctx));
    case "||":
      return (e, ctx) => truthy(left(e, ctx)) || truthy(right(e, ctx));
    case "==":
      return (e, ctx) => equals(left(e, ctx), right(e, ctx));
    case "!=":
      return (e, ctx) => !equals(left(e, ctx), right(e, ctx));
    case "<":
    case "<=":
    case ">":
    case ">=": {
      const op = expr.op;
      return (e, ctx) => compare(op, left(e, ctx), right(e, ctx));
    }
    case "in":
      return (e, ctx) => member(left(e, ctx), right(e, ctx));
    case "+":
    case "-":
    case "*":
    case "/":
    case "%": {
      const op = expr.op;
      return (e, ctx) => arithmetic(op, left(e, ctx), right(e, ctx));
    }
  }
}
