import fc from "fast-check";
import { describe, expect, test, vi } from "vitest";
import { compileExpression, ExprError, type CheckScope, type EvalContext } from "../../src/service/expr/index.js";
import { loadRuleText } from "../../src/service/pattern-file/index.js";
import { CARD_TESTING } from "./pattern-file/helpers.js";

const SCOPE: CheckScope = { stages: ["small", "big"], visible: new Set(["small", "big"]), negative: new Map() };

/** Words an attacker (or a fuzzer) would try, mixed with the language's own tokens. */
const TOKENS = [
  "constructor", "__proto__", "prototype", "process", "exit", "globalThis", "eval", "Function", "require",
  "import", "this", "toString", "valueOf", "fn", "call", "apply", "bind", "length", "amount", "merchant",
  "tags", "card", "event", "$small", "$big", "$small.amount", "count", "first", "last", "sum", "avg", "min",
  "max", "abs", "round", "len", "lower", "contains", "time", "now", "distanceKm", "true", "false", "null",
  "in", "0", "1", "2.5", "-1", "'x'", "\"__proto__\"", "'constructor'", "(", ")", "[", "]", ",", ".", "?",
  ":", "+", "-", "*", "/", "%", "==", "!=", "<", "<=", ">", ">=", "&&", "||", "!", "=", "=>", "{", "}", ";",
  "`", "\\", "$", "#", "@",
];

const tokenSoup = fc.array(fc.constantFrom(...TOKENS), { maxLength: 20 }).map((ts) => ts.join(" "));
const tightSoup = fc.array(fc.constantFrom(...TOKENS), { maxLength: 12 }).map((ts) => ts.join(""));

/** Well-formed expressions, so that evaluation (not only parsing) is fuzzed too. */
const { expr: validExpr } = fc.letrec<{ expr: string; atom: string }>((tie) => ({
  atom: fc.oneof(
    fc.constantFrom("amount", "merchant", "tags", "tags[0]", "card.id", "event", "fn", "toString", "valueOf", "missing",
      "$small", "$big", "$small.amount", "$small[0]", "now()", "null", "true", "'s'", "event[merchant]"),
    fc.double({ noNaN: false }).map((d) => (Number.isFinite(d) && d >= 0 ? String(d) : "0")),
    fc.string({ maxLength: 6 }).map((s) => JSON.stringify(s)),
  ),
  expr: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    tie("atom"),
    fc.tuple(tie("expr"), fc.constantFrom("+", "-", "*", "/", "%", "==", "!=", "<", ">=", "&&", "||", "in"), tie("expr")).map(([a, op, b]) => `(${a} ${op} ${b})`),
    fc.tuple(fc.constantFrom("!", "-"), tie("expr")).map(([op, a]) => `${op}(${a})`),
    fc.tuple(tie("expr"), tie("expr"), tie("expr")).map(([a, b, c]) => `(${a} ? ${b} : ${c})`),
    fc.tuple(fc.constantFrom("count", "first", "last", "sum", "avg", "min", "max", "abs", "floor", "round", "len", "lower", "upper", "time"), tie("expr")).map(([f, a]) => `${f}(${a})`),
    fc.tuple(fc.constantFrom("startsWith", "endsWith", "contains"), tie("expr"), tie("expr")).map(([f, a, b]) => `${f}(${a}, ${b})`),
    fc.tuple(tie("expr"), tie("expr")).map(([a, b]) => `[${a}, ${b}]`),
    fc.tuple(tie("expr"), tie("expr")).map(([a, b]) => `(${a})[${b}]`),
    fc.tuple(tie("expr"), fc.constantFrom("id", "amount", "x")).map(([a, f]) => `(${a}).${f}`),
  ),
}));

/**
 * Events whose every property read is recorded, with own functions that must never be called.
 * Reads of keys that are not own properties would show up in `reads`.
 */
function trapEvent() {
  const spy = vi.fn(() => "called");
  const target: Record<string, unknown> = {
    amount: 600, merchant: "m", tags: ["a"], card: { id: 1 }, fn: spy, toString: spy, valueOf: spy,
  };
  const reads: string[] = [];
  const event = new Proxy(target, {
    get(t, key, receiver) {
      if (typeof key === "string") reads.push(key);
      return Reflect.get(t, key, receiver);
    },
  });
  return { event, spy, reads, target };
}

/** No function comes out of an expression, except inside the events themselves (`$small`, `event`). */
function expectOnlyData(value: unknown, event: object, depth = 0): void {
  expect(typeof value).not.toBe("function");
  if (value !== event && depth < 4 && typeof value === "object" && value !== null) {
    for (const v of Object.values(value)) expectOnlyData(v, event, depth + 1);
  }
}

describe("the condition language rejects or safely evaluates anything", () => {
  test.each([
    "constructor.constructor('x')()",
    "__proto__",
    "process.exit()",
    "event.constructor.constructor('return process')()",
    "tags.constructor",
    "$small.__proto__",
    "eval('1')",
    "Function('x')",
    "require('child_process')",
    "this",
    "import('fs')",
    "fn()",
    "event.fn()",
    "amount => 1",
    "`${1}`",
  ])("%s is not executable", (src) => {
    const { event, spy } = trapEvent();
    const ctx: EvalContext = { eventsFor: () => [event], timestamp: () => 0 };
    let evaluated = false;
    try {
      compileExpression(src, { scope: SCOPE })(event, ctx);
      evaluated = true;
    } catch (err) {
      expect(err).toBeInstanceOf(ExprError);
    }
    // `this` is merely a field name; everything else must be rejected at compile time
    expect(evaluated).toBe(src === "this");
    expect(spy).not.toHaveBeenCalled();
  });

  test("arbitrary strings: an ExprError or a closure that never throws, never calls, reads only own data", () => {
    const before = Object.getOwnPropertyNames(Object.prototype).join();
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 40 }), tokenSoup, tightSoup, validExpr), (src) => {
        let evaluate;
        try {
          evaluate = compileExpression(src, { scope: SCOPE, timeOf: () => 1 });
        } catch (err) {
          if (!(err instanceof ExprError)) throw err;
          expect(err.column).toBeGreaterThanOrEqual(1);
          expect(err.column).toBeLessThanOrEqual(src.length + 1);
          return;
        }
        const { event, spy, reads, target } = trapEvent();
        const ctx: EvalContext = { eventsFor: (s) => (s === "small" ? [event, event] : []), timestamp: () => 1000 };
        const value = evaluate(event, ctx);
        expectOnlyData(value, event);
        expect(spy).not.toHaveBeenCalled();
        for (const key of reads) expect(Object.hasOwn(target, key)).toBe(true);
      }),
      { numRuns: 1500 },
    );
    expect(Object.getOwnPropertyNames(Object.prototype).join()).toBe(before);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

/** Loads and checks the contract: ok, or issues that are ours (file, message; no crash). */
function expectOnlyIssues(text: string): void {
  const result = loadRuleText(text, "fuzz.json");
  if (result.ok) return;
  expect(result.issues.length).toBeGreaterThan(0);
  for (const issue of result.issues) {
    expect(issue.file).toBe("fuzz.json");
    expect(typeof issue.message).toBe("string");
    expect(issue.pointer === "" || issue.pointer.startsWith("/")).toBe(true);
    // a loader or engine bug would surface as one of these; it must not happen
    expect(issue.message).not.toMatch(/^(internal error|cannot build the pattern)/);
  }
}

const contiguity = fc.constantFrom(undefined, "next", "followedBy", "followedByAny", "notNext", "notFollowedBy");
const quantifier = fc.oneof(
  fc.constant(undefined),
  fc.integer({ min: 0, max: 3 }).map((times) => ({ times })),
  fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 3 })).map((times) => ({ times })),
  fc.integer({ min: 0, max: 3 }).map((atLeast) => ({ atLeast })),
);
const flag = fc.constantFrom(undefined, true, false);
const where = fc.oneof(fc.constantFrom("true", "amount > 1", "count($s0) > 1", "$s2.x", "last($s1).amount < amount"), tokenSoup);

/** A single stage drawn from the schema's vocabulary, so that many documents reach the builder. */
const singleStage = (name: string) =>
  fc.record(
    { name: fc.constant(name), where, or: fc.option(where, { nil: undefined }), until: fc.option(where, { nil: undefined }), contiguity, quantifier, optional: flag, greedy: flag, consecutive: flag, allowCombinations: flag, within: fc.constantFrom(undefined, "1s", 500, "0s") },
    { requiredKeys: ["name", "where"] },
  );

const plausibleRule = fc
  .tuple(
    fc.array(fc.oneof(fc.constant("single"), fc.constant("group")), { minLength: 1, maxLength: 4 }),
    fc.constantFrom(undefined, "1m", 1000),
    fc.constantFrom(undefined, { strategy: "skipPastLastEvent" }, { strategy: "skipToFirst", stage: "s0" }, { strategy: "skipToLast", stage: "s9" }, { strategy: "noSkip" }),
    fc.infiniteStream(fc.tuple(singleStage("x"), contiguity, quantifier, flag)),
  )
  .map(([kinds, within, afterMatch, stream]) => {
    const it = stream[Symbol.iterator]();
    let n = 0;
    const next = () => {
      const [stage] = it.next().value as [Record<string, unknown>];
      return { ...stage, name: `s${n++}` };
    };
    const stages = kinds.map((kind) => {
      if (kind === "single") return next();
      const [, c, q, o] = it.next().value as [unknown, unknown, unknown, unknown];
      return { group: [next(), next()], contiguity: c === "notNext" || c === "notFollowedBy" ? undefined : c, quantifier: q, optional: o };
    });
    return { id: "fuzz", version: 1, source: "s", key: "k", eventTime: "ts", within, afterMatch, stages, alert: { severity: "low", fields: { a: "count($s0)" } } };
  });

describe("the loader only ever reports validation errors", () => {
  test("arbitrary text", () => {
    fc.assert(fc.property(fc.oneof(fc.string({ maxLength: 200 }), fc.json({ maxDepth: 4 })), expectOnlyIssues), { numRuns: 400 });
  });

  test("arbitrary JSON documents", () => {
    fc.assert(fc.property(fc.jsonValue({ maxDepth: 5 }), (doc) => expectOnlyIssues(JSON.stringify(doc))), { numRuns: 400 });
  });

  test("the spec's rule with one value replaced by arbitrary JSON", () => {
    const paths: Array<Array<string | number>> = [
      ["id"], ["version"], ["key"], ["eventTime"], ["within"], ["afterMatch"], ["afterMatch", "strategy"], ["stages"],
      ["stages", 0], ["stages", 0, "where"], ["stages", 0, "quantifier"], ["stages", 1, "contiguity"], ["stages", 1, "where"],
      ["alert"], ["alert", "fields"], ["alert", "fields", "total"], ["onTimeout"], ["__proto__"], ["constructor"],
    ];
    fc.assert(
      fc.property(fc.constantFrom(...paths), fc.oneof(fc.jsonValue({ maxDepth: 3 }), tokenSoup), (path, value) => {
        const doc = structuredClone(CARD_TESTING) as Record<string, unknown>;
        let target = doc as Record<string | number, unknown>;
        for (const key of path.slice(0, -1)) target = target[key] as Record<string | number, unknown>;
        Object.defineProperty(target, path[path.length - 1], { value, enumerable: true, configurable: true, writable: true });
        expectOnlyIssues(JSON.stringify(doc));
      }),
      { numRuns: 400 },
    );
  });

  test("schema-shaped rules with random stages, quantifiers and options", () => {
    fc.assert(fc.property(plausibleRule, (doc) => expectOnlyIssues(JSON.stringify(doc))), { numRuns: 600 });
  });
});
