/**
 * The whitelisted AST of the condition language. Nothing else can be expressed: there is no
 * node for assignment, loops, arbitrary calls or method calls. `pos` is the 0-based offset of
 * the node's first token in the expression (columns in errors are `pos + 1`).
 */
export type Expr =
  | LiteralExpr
  | ArrayExpr
  | EventExpr
  | FieldExpr
  | StageExpr
  | MemberExpr
  | IndexExpr
  | UnaryExpr
  | BinaryExpr
  | ConditionalExpr
  | CallExpr;

/** A JSON scalar written in the expression. */
export interface LiteralExpr {
  readonly kind: "literal";
  readonly value: number | string | boolean | null;
  readonly pos: number;
}

/** `[a, b, c]`. */
export interface ArrayExpr {
  readonly kind: "array";
  readonly items: readonly Expr[];
  readonly pos: number;
}

/** The keyword `event`: the whole current event. */
export interface EventExpr {
  readonly kind: "event";
  readonly pos: number;
}

/** A bare name: that field of the current event. */
export interface FieldExpr {
  readonly kind: "field";
  readonly name: string;
  readonly pos: number;
}

/**
 * `$stage` or `$stage.a.b`: the events the stage has taken, or (with a `path`) the list of the
 * values at that path in each of them (events lacking the path contribute nothing).
 */
export interface StageExpr {
  readonly kind: "stage";
  readonly stage: string;
  readonly path: readonly string[];
  readonly pos: number;
}

/** `object.name`: an own property of an object. */
export interface MemberExpr {
  readonly kind: "member";
  readonly object: Expr;
  readonly name: string;
  readonly pos: number;
  /** Offset of `name` (for errors about the name). */
  readonly namePos: number;
}

/** `object[index]`: an array element (integer index) or an own property (string index). */
export interface IndexExpr {
  readonly kind: "index";
  readonly object: Expr;
  readonly index: Expr;
  readonly pos: number;
}

/** Prefix operators. */
export type UnaryOp = "!" | "-";

/** `!x` or `-x`. */
export interface UnaryExpr {
  readonly kind: "unary";
  readonly op: UnaryOp;
  readonly operand: Expr;
  readonly pos: number;
}

/** Infix operators, including the short-circuit `&&` and `||`. */
export type BinaryOp = "+" | "-" | "*" | "/" | "%" | "==" | "!=" | "<" | "<=" | ">" | ">=" | "&&" | "||" | "in";

/** `left op right`. */
export interface BinaryExpr {
  readonly kind: "binary";
  readonly op: BinaryOp;
  readonly left: Expr;
  readonly right: Expr;
  readonly pos: number;
  /** Offset of the operator (for errors about it). */
  readonly opPos: number;
}

/** `test ? then : otherwise`. */
export interface ConditionalExpr {
  readonly kind: "conditional";
  readonly test: Expr;
  readonly then: Expr;
  readonly otherwise: Expr;
  readonly pos: number;
}

/** `name(args)`: a call of one of the built-in functions (checked by the checker). */
export interface CallExpr {
  readonly kind: "call";
  readonly name: string;
  readonly args: readonly Expr[];
  readonly pos: number;
}
