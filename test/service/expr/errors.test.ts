import { describe, expect, test } from "vitest";
import { ExprError, MAX_EXPRESSION_LENGTH, MAX_NESTING, parseExpression, type CheckScope } from "../../../src/service/expr/index.js";
import { failure } from "./helpers.js";

describe("syntax errors name the column (1-based) of the problem", () => {
  test.each([
    ["", "1: expression is empty"],
    ["   ", "1: expression is empty"],
    ["amount >", "9: unexpected end of expression"],
    ["amount = 3", `8: unexpected character "=" (use == to compare)`],
    ["a & b", `3: unexpected character "&" (use && for and)`],
    ["a | b", `3: unexpected character "|" (use || for or)`],
    ["{a: 1}", "1: unexpected character \"{\" (objects cannot be written in conditions)"],
    ["a; b", "2: unexpected character \";\" (a condition is a single expression)"],
    ["`x`", "1: unexpected character \"`\" (use ' or \" for strings)"],
    ["amount # 2", `8: unexpected character "#"`],
    ["'abc", "1: unterminated string"],
    ["x == \"abc", "6: unterminated string"],
    ["'a\\qb'", "3: invalid escape \\q in string"],
    ["'\\u12'", "2: invalid \\u escape (expected 4 hex digits)"],
    ["1abc", "1: invalid number 1a"],
    ["$", "1: expected a stage name after $"],
    ["$1x", "1: expected a stage name after $"],
    ["(1 + 2", "7: expected ')' to close the '(' at column 1 but found end of expression"],
    ["[1, 2", "6: expected ']' to close the '[' at column 1 but found end of expression"],
    ["count(1, 2", "11: expected ')' to close the '(' at column 6 but found end of expression"],
    ["tags[0", "7: expected ']' to close the '[' at column 5 but found end of expression"],
    ["a ? b", "6: expected ':' but found end of expression"],
    ["a b", "3: unexpected name b after the end of the expression"],
    ["1 2", "3: unexpected number 2 after the end of the expression"],
    ["amount)", "7: unexpected ')' after the end of the expression"],
    [",", "1: unexpected ','"],
    ["[,]", "2: unexpected ','"],
    ["* 2", "1: unexpected '*'"],
    ["in [1]", "1: unexpected 'in' (it goes between a value and a list: x in [1, 2])"],
    ["a.", "3: expected a field name after '.' but found end of expression"],
    ["a.1", "3: expected a field name after '.' but found number 1 (use [1] for list elements)"],
    ["tags.0", "6: expected a field name after '.' but found number 0 (use [0] for list elements)"],
    ["a .5", "4: expected a field name after '.' but found number 5 (use [5] for list elements)"],
    ["a + .5", "ok"],
    ["a.'b'", "3: expected a field name after '.' but found string 'b'"],
    ["1 < 2 < 3", "7: '<' cannot be chained with another comparison; combine them with && or ||"],
    ["a == b != c", "8: '!=' cannot be chained with another comparison; combine them with && or ||"],
    ["a in b in c", "8: 'in' cannot be chained with another comparison; combine them with && or ||"],
  ])("%j", (src, message) => {
    expect(failure(src)).toBe(message);
  });

  test("ExprError carries the column and the bare message", () => {
    try {
      parseExpression("amount >");
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ExprError);
      expect((err as ExprError).column).toBe(9);
      expect((err as ExprError).detail).toBe("unexpected end of expression");
      expect((err as ExprError).code).toBe("EXPRESSION_INVALID");
    }
  });

  test("length and nesting are bounded", () => {
    expect(failure("1+".repeat(MAX_EXPRESSION_LENGTH / 2) + "1")).toBe(
      `1: expression is too long (${MAX_EXPRESSION_LENGTH + 1} characters, at most ${MAX_EXPRESSION_LENGTH})`,
    );
    expect(failure("(".repeat(MAX_NESTING + 5) + "1" + ")".repeat(MAX_NESTING + 5))).toBe(
      `${MAX_NESTING + 2}: expression is nested too deeply (more than ${MAX_NESTING} levels)`,
    );
    expect(failure("(".repeat(20) + "1" + ")".repeat(20))).toBe("ok");
    expect(failure("!".repeat(500) + "x")).toMatch(/nested too deeply/);
  });
});

describe("nothing outside the language can be reached", () => {
  test.each([
    ["constructor", "1: access to constructor is not allowed"],
    ["constructor.constructor('x')()", "1: access to constructor is not allowed"],
    ["event.constructor", "7: access to constructor is not allowed"],
    ["__proto__", "1: access to __proto__ is not allowed"],
    ["card.__proto__.polluted", "6: access to __proto__ is not allowed"],
    ["prototype", "1: access to prototype is not allowed"],
    ["event['__proto__']", "7: access to __proto__ is not allowed"],
    ["tags['constructor']", "6: access to constructor is not allowed"],
    ["$small.constructor", "8: access to constructor is not allowed"],
    ["process.exit()", "13: 'exit' is a field, not a method: only the built-in functions can be called"],
    ["merchant.toUpperCase()", "21: 'toUpperCase' is a field, not a method: only the built-in functions can be called"],
    ["(first)(1)", "8: only the built-in functions can be called, by name: count(...), first(...), ..."],
    ["tags[0]()", "8: only the built-in functions can be called, by name: count(...), first(...), ..."],
    ["eval('1')", "1: unknown function eval (functions: count, first, last, sum, avg, min, max, abs, floor, ceil, round, len, lower, upper, startsWith, endsWith, contains, time, now, distanceKm)"],
    ["require('fs')", /^1: unknown function require /],
    ["Function('return 1')()", "21: only the built-in functions can be called, by name: count(...), first(...), ..."],
    ["Function('return 1')", /^1: unknown function Function /],
    ["globalThis", "ok"], // just a field of the event named globalThis
    ["x = 1", `3: unexpected character "=" (use == to compare)`],
    ["while (true) 1", "14: unexpected number 1 after the end of the expression"],
  ])("%j", (src, expected) => {
    if (expected instanceof RegExp) expect(failure(src)).toMatch(expected);
    else expect(failure(src)).toBe(expected);
  });
});

describe("checker", () => {
  test.each([
    ["foo(1)", /^1: unknown function foo \(functions: count, first, /],
    ["amount > 1 && Count($small) > 2", /^15: unknown function Count /],
    ["count()", "1: count expects 1 argument but got 0"],
    ["count($small, $big)", "1: count expects 1 argument but got 2"],
    ["now(1)", "1: now expects 0 arguments but got 1"],
    ["distanceKm(1, 2, 3)", "1: distanceKm expects 4 arguments but got 3"],
    ["startsWith(merchant)", "1: startsWith expects 2 arguments but got 1"],
    ["amount > 500 && merchant != first($smal).merchant", "35: unknown stage $smal (stages: small, big)"],
    ["count($big) > 0", "ok"],
  ])("%j", (src, expected) => {
    if (expected instanceof RegExp) expect(failure(src)).toMatch(expected);
    else expect(failure(src)).toBe(expected);
  });

  const scopeOf = (current: string, visible: string[], negative: Array<[string, string]> = []): CheckScope => ({
    stages: ["small", "gap", "big", "after"],
    visible: new Set(visible),
    negative: new Map(negative),
    current,
  });

  test("a later stage cannot have matched yet", () => {
    const scope = scopeOf("small", ["small"]);
    expect(failure("count($small) < 5", scope)).toBe("ok");
    expect(failure("amount > last($big).amount", scope)).toBe(
      "15: stage $big comes later in the pattern and cannot have matched yet when stage small is tested",
    );
  });

  test("a negative stage never takes events", () => {
    const scope = scopeOf("big", ["small", "gap", "big"], [["gap", "notFollowedBy"]]);
    expect(failure("count($gap) == 0", scope)).toBe("7: stage $gap is a notFollowedBy stage and never takes events");
  });

  test("the first error in source order wins", () => {
    expect(failure("foo($nope)")).toMatch(/^1: unknown function foo/);
    expect(failure("count($nope, 1)")).toBe("1: count expects 1 argument but got 2");
  });
});
