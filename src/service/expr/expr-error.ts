import { VigilError } from "../../errors.js";

/**
 * An error in a condition expression: a syntax error, an unknown name, a wrong arity, a
 * forbidden property. `column` is 1-based, counted in UTF-16 code units from the start of the
 * expression string (what an editor shows for a one-line string).
 */
export class ExprError extends VigilError {
  /** The message without the position, e.g. `unknown function foo (functions: ...)`. */
  readonly detail: string;
  /** 1-based column of the offending token in the expression. */
  readonly column: number;

  constructor(detail: string, column: number) {
    super(`${column}: ${detail}`, { code: "EXPRESSION_INVALID", retriable: false });
    this.detail = detail;
    this.column = column;
  }
}
