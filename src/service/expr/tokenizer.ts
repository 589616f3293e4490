import { ExprError } from "./expr-error.js";

/** The kinds of token of the condition language. */
export type TokenKind = "number" | "string" | "name" | "stage" | "punct" | "eof";

/**
 * One token. `pos` is the 0-based offset of its first character in the expression; `value` is
 * the number for `number`, the decoded text for `string`, the name (without `$`) for `name` and
 * `stage`, and the operator text for `punct`.
 */
export type Token =
  | { readonly kind: "number"; readonly value: number; readonly pos: number; readonly text: string }
  | TextToken<"string">
  | TextToken<"name">
  | TextToken<"stage">
  | TextToken<"punct">
  | { readonly kind: "eof"; readonly value: ""; readonly pos: number; readonly text: "" };

/** A token whose value is text. */
export interface TextToken<K extends TokenKind> {
  readonly kind: K;
  readonly value: string;
  readonly pos: number;
  readonly text: string;
}

/** Longest operators first, so `<=` wins over `<`. */
const PUNCTUATION = ["==", "!=", "<=", ">=", "&&", "||", "+", "-", "*", "/", "%", "<", ">", "!", "?", ":", "(", ")", "[", "]", ",", "."];

/** Characters a user may type meaning something we do not have; the hint says what we do have. */
const HINTS: Record<string, string> = {
  "=": " (use == to compare)",
  "&": " (use && for and)",
  "|": " (use || for or)",
  "{": " (objects cannot be written in conditions)",
  ";": " (a condition is a single expression)",
  "`": " (use ' or \" for strings)",
};

const isDigit = (c: string): boolean => c >= "0" && c <= "9";
const isNameStart = (c: string): boolean => (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || c === "_";
const isNameChar = (c: string): boolean => isNameStart(c) || isDigit(c);

/**
 * Splits an expression into tokens, ending with one `eof` token. Whitespace separates tokens
 * and is otherwise ignored. Throws {@link ExprError} with the column of the first bad character.
 */
export function tokenize(src: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (c === " " || c === "\t" || c === "\n" || c === "\r") {
      i++;
      continue;
    }
    const start = i;
    if (isDigit(c) || (c === "." && isDigit(src[i + 1] ?? "") && !endsValue(tokens[tokens.length - 1]))) {
      i = scanNumber(src, i);
      const text = src.slice(start, i);
      if (isNameStart(src[i] ?? "")) throw new ExprError(`invalid number ${text}${src[i]}`, start + 1);
      tokens.push({ kind: "number", value: Number(text), pos: start, text });
      continue;
    }
    if (c === "'" || c === '"') {
      const [value, end] = scanString(src, i);
      i = end;
      tokens.push({ kind: "string", value, pos: start, text: src.slice(start, i) });
      continue;
    }
    if (c === "$") {
      i++;
      while (i < src.length && isNameChar(src[i])) i++;
      if (i === start + 1 || isDigit(src[start + 1])) throw new ExprError("expected a stage name after $", start + 1);
      tokens.push({ kind: "stage", value: src.slice(start + 1, i), pos: start, text: src.slice(start, i) });
      continue;
    }
    if (isNameStart(c)) {
      while (i < src.length && isNameChar(src[i])) i++;
      const name = src.slice(start, i);
      tokens.push({ kind: "name", value: name, pos: start, text: name });
      continue;
    }
    const op = PUNCTUATION.find((p) => src.startsWith(p, i));
    if (op === undefined) {
      const shown = JSON.stringify(String.fromCodePoint(src.codePointAt(i) ?? 0));
      throw new ExprError(`unexpected character ${shown}${HINTS[c] ?? ""}`, start + 1);
    }
    i += op.length;
    tokens.push({ kind: "punct", value: op, pos: start, text: op });
  }
  tokens.push({ kind: "eof", value: "", pos: src.length, text: "" });
  return tokens;
}

/** Whether a token ends an operand, so that a following `.` is member access, not `.5`. */
function endsValue(t: Token | undefined): boolean {
  if (t === undefined) return false;
  if (t.kind === "punct") return t.value === ")" || t.value === "]";
  return t.kind !== "eof";
}

/** Scans `123`, `1.5`, `.5`, `1e-3`; returns the offset after the number. */
function scanNumber(src: string, i: number): number {
  while (isDigit(src[i] ?? "")) i++;
  if (src[i] === "." && isDigit(src[i + 1] ?? "")) {
    i++;
    while (isDigit(src[i] ?? "")) i++;
  }
  if (src[i] === "e" || src[i] === "E") {
    let j = i + 1;
    if (src[j] === "+" || src[j] === "-") j++;
    if (isDigit(src[j] ?? "")) {
      while (isDigit(src[j] ?? "")) j++;
      i = j;
    }
  }
  return i;
}

const ESCAPES: Record<string, string> = { n: "\n", t: "\t", r: "\r", "\\": "\\", "'": "'", '"': '"', "/": "/", b: "\b", f: "\f" };

/** Scans a quoted string starting at `i`; returns the decoded value and the offset after it. */
function scanString(src: string, i: number): [string, number] {
  const quote = src[i];
  const start = i;
  let out = "";
  i++;
  while (i < src.length) {
    const c = src[i];
    if (c === quote) return [out, i + 1];
    if (c === "\\") {
      const e = src[i + 1];
      if (e === "u") {
        const hex = src.slice(i + 2, i + 6);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) throw new ExprError("invalid \\u escape (expected 4 hex digits)", i + 1);
        out += String.fromCharCode(parseInt(hex, 16));
        i += 6;
        continue;
      }
      const decoded = e === undefined ? undefined : ESCAPES[e];
      if (decoded === undefined) throw new ExprError(`invalid escape \\${e ?? ""} in string`, i + 1);
      out += decoded;
      i += 2;
      continue;
    }
    out += c;
    i++;
  }
  throw new ExprError("unterminated string", start + 1);
}
