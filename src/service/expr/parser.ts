import type { BinaryOp, Expr } from "./ast.js";
import { ExprError } from "./expr-error.js";
import { tokenize, type TextToken, type Token } from "./tokenizer.js";

/** Longest expression accepted, in characters. */
export const MAX_EXPRESSION_LENGTH = 4000;
/** Deepest nesting accepted (parentheses, operands, arguments), so parsing cannot overflow the stack. */
export const MAX_NESTING = 64;

/** Property names that are never readable, whatever the object: they lead to prototypes. */
export const FORBIDDEN_NAMES: ReadonlySet<string> = new Set(["__proto__", "constructor", "prototype"]);

const KEYWORDS = new Set(["true", "false", "null", "event", "in"]);

/** Binding power of each infix operator (higher binds tighter); `?` is the conditional. */
const INFIX: Record<string, number> = {
  "?": 1,
  "||": 2,
  "&&": 3,
  "==": 4, "!=": 4,
  "<": 5, "<=": 5, ">": 5, ">=": 5, in: 5,
  "+": 6, "-": 6,
  "*": 7, "/": 7, "%": 7,
};
const PREFIX_POWER = 8;
/** Equality and comparison do not chain: `a < b < c` is an error, not `(a < b) < c`. */
const NON_ASSOCIATIVE = new Set([4, 5]);

/**
 * Parses one expression of the condition language into its AST (a Pratt parser). Throws
 * {@link ExprError} with the column of the first problem: a bad character, a missing operand
 * or bracket, a forbidden property name, trailing input, an expression too long or too deep.
 */
export function parseExpression(src: string): Expr {
  if (src.length > MAX_EXPRESSION_LENGTH) {
    throw new ExprError(`expression is too long (${src.length} characters, at most ${MAX_EXPRESSION_LENGTH})`, 1);
  }
  const parser = new Parser(tokenize(src));
  if (parser.peek().kind === "eof") throw new ExprError("expression is empty", 1);
  const expr = parser.expression(0, 0);
  const rest = parser.peek();
  if (rest.kind !== "eof") throw new ExprError(`unexpected ${describe(rest)} after the end of the expression`, rest.pos + 1);
  return expr;
}

class Parser {
  private i = 0;

  constructor(private readonly tokens: readonly Token[]) {}

  peek(): Token {
    return this.tokens[this.i];
  }

  private next(): Token {
    const t = this.tokens[this.i];
    if (t.kind !== "eof") this.i++;
    return t;
  }

  private isPunct(value: string): boolean {
    const t = this.peek();
    return t.kind === "punct" && t.value === value;
  }

  private expect(value: string, opening?: Token): Token {
    const t = this.peek();
    if (t.kind === "punct" && t.value === value) return this.next();
    const unclosed = opening === undefined ? "" : ` to close the '${opening.value}' at column ${opening.pos + 1}`;
    throw new ExprError(`expected '${value}'${unclosed} but found ${describe(t)}`, t.pos + 1);
  }

  /** Parses an expression whose operators all bind tighter than `minPower`. */
  expression(minPower: number, depth: number): Expr {
    if (depth > MAX_NESTING) throw new ExprError(`expression is nested too deeply (more than ${MAX_NESTING} levels)`, this.peek().pos + 1);
    let left = this.prefix(depth);
    let lastPower = -1;
    for (;;) {
      const t = this.peek();
      const op = t.kind === "punct" || (t.kind === "name" && t.value === "in") ? t.value : undefined;
      const power = op === undefined ? undefined : INFIX[op];
      if (op === undefined || power === undefined || power <= minPower) break;
      if (power === lastPower && NON_ASSOCIATIVE.has(power)) {
        throw new ExprError(`'${op}' cannot be chained with another comparison; combine them with && or ||`, t.pos + 1);
      }
      this.next();
      if (op === "?") {
        const then = this.expression(0, depth + 1);
        this.expect(":");
        const otherwise = this.expression(power - 1, depth + 1); // right-associative
        left = { kind: "conditional", test: left, then, otherwise, pos: left.pos };
      } else {
        const right = this.expression(power, depth + 1);
        left = { kind: "binary", op: op as BinaryOp, left, right, pos: left.pos, opPos: t.pos };
      }
      lastPower = power;
    }
    return left;
  }

  private prefix(depth: number): Expr {
    const t = this.next();
    if (t.kind === "punct" && (t.value === "!" || t.value === "-")) {
      const operand = this.expression(PREFIX_POWER - 1, depth + 1);
      return { kind: "unary", op: t.value, operand, pos: t.pos };
    }
    return this.postfix(this.primary(t, depth), depth);
  }

  private primary(t: Token, depth: number): Expr {
    switch (t.kind) {
      case "number":
        return { kind: "literal", value: t.value, pos: t.pos };
      case "string":
        return { kind: "literal", value: t.value, pos: t.pos };
      case "stage":
        return this.stage(t);
      case "name":
        return this.name(t, depth);
      case "punct":
        if (t.value === "(") {
          const inner = this.expression(0, depth + 1);
          this.expect(")", t);
          return inner;
        }
        if (t.value === "[") {
          const items = this.list("]", t, depth);
          return { kind: "array", items, pos: t.pos };
        }
        break;
      case "eof":
        throw new ExprError("unexpected end of expression", t.pos + 1);
    }
    throw new ExprError(`unexpected ${describe(t)}`, t.pos + 1);
  }

  private name(t: TextToken<"name">, depth: number): Expr {
    switch (t.value) {
      case "true":
        return { kind: "literal", value: true, pos: t.pos };
      case "false":
        return { kind: "literal", value: false, pos: t.pos };
      case "null":
        return { kind: "literal", value: null, pos: t.pos };
      case "event":
        return { kind: "event", pos: t.pos };
      case "in":
        throw new ExprError("unexpected 'in' (it goes between a value and a list: x in [1, 2])", t.pos + 1);
    }
    if (this.isPunct("(")) {
      const open = this.next();
      const args = this.list(")", open, depth);
      return { kind: "call", name: t.value, args, pos: t.pos };
    }
    checkName(t.value, t.pos);
    return { kind: "field", name: t.value, pos: t.pos };
  }

  /** `$stage` followed by `.name` segments: the projection is part of the stage reference. */
  private stage(t: TextToken<"stage">): Expr {
    const path: string[] = [];
    while (this.isPunct(".")) {
      this.next();
      path.push(this.propertyName().value);
    }
    return { kind: "stage", stage: t.value, path, pos: t.pos };
  }

  private postfix(object: Expr, depth: number): Expr {
    for (;;) {
      const t = this.peek();
      if (t.kind !== "punct") return object;
      if (t.value === ".") {
        this.next();
        const name = this.propertyName();
        object = { kind: "member", object, name: name.value, pos: object.pos, namePos: name.pos };
      } else if (t.value === "[") {
        this.next();
        const index = this.expression(0, depth + 1);
        this.expect("]", t);
        if (index.kind === "literal" && typeof index.value === "string") checkName(index.value, index.pos);
        object = { kind: "index", object, index, pos: object.pos };
      } else if (t.value === "(") {
        throw new ExprError("only the built-in functions can be called, by name: count(...), first(...), ...", t.pos + 1);
      } else {
        return object;
      }
    }
  }

  private propertyName(): TextToken<"name"> {
    const t = this.next();
    if (t.kind !== "name") {
      const hint = t.kind === "number" ? ` (use [${t.text}] for list elements)` : "";
      throw new ExprError(`expected a field name after '.' but found ${describe(t)}${hint}`, t.pos + 1);
    }
    checkName(t.value, t.pos);
    if (this.isPunct("(")) {
      throw new ExprError(`'${t.value}' is a field, not a method: only the built-in functions can be called`, this.peek().pos + 1);
    }
    return t;
  }

  /** Comma-separated expressions up to `close`; a trailing comma is allowed. */
  private list(close: string, opening: Token, depth: number): Expr[] {
    const items: Expr[] = [];
    while (!this.isPunct(close)) {
      items.push(this.expression(0, depth + 1));
      if (this.isPunct(",")) {
        this.next();
        continue;
      }
      this.expect(close, opening);
      return items;
    }
    this.next();
    return items;
  }
}

function checkName(name: string, pos: number): void {
  if (FORBIDDEN_NAMES.has(name)) throw new ExprError(`access to ${name} is not allowed`, pos + 1);
}

/** How a token is named in messages: `')'`, `number 12`, `name foo`, `end of expression`. */
function describe(t: Token): string {
  switch (t.kind) {
    case "eof":
      return "end of expression";
    case "punct":
      return `'${t.value}'`;
    case "number":
      return `number ${t.text}`;
    case "string":
      return `string ${t.text}`;
    case "stage":
      return `stage ${t.text}`;
    case "name":
      return KEYWORDS.has(t.value) ? `'${t.value}'` : `name ${t.value}`;
  }
}
