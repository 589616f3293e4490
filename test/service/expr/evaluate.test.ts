import { describe, expect, test } from "vitest";
import { compileCondition } from "../../../src/service/expr/index.js";
import { EVENT, ev } from "./helpers.js";

describe("literals", () => {
  test.each([
    ["42", 42],
    ["3.25", 3.25],
    [".5", 0.5],
    ["1e3", 1000],
    ["2E-2", 0.02],
    ["'single'", "single"],
    ['"double"', "double"],
    ["'it\\'s'", "it's"],
    ['"tab\\there \\u0041 \\\\ \\n"', "tab\there A \\ \n"],
    ["true", true],
    ["false", false],
    ["null", null],
    ["[]", []],
    ["[1, 'a', [true, null]]", [1, "a", [true, null]]],
    ["[1, 2,]", [1, 2]],
    ["[amount, merchant]", [600, "m-z"]],
  ])("%s", (src, value) => {
    expect(ev(src)).toEqual(value);
  });
});

describe("arithmetic", () => {
  test.each([
    ["amount + 1", 601],
    ["amount - 1", 599],
    ["amount * 2", 1200],
    ["amount / 8", 75],
    ["amount % 7", 600 % 7],
    ["-amount", -600],
    ["- -amount", 600],
    ["'a' + 'b'", "ab"],
    ["merchant + '!'", "m-z!"],
    // type mismatches and non-finite results are null, never an exception
    ["'a' + 1", null],
    ["amount - 'x'", null],
    ["amount / 0", null],
    ["amount % 0", null],
    ["-merchant", null],
    ["missing + 1", null],
    ["1e308 * 10", null],
  ])("%s", (src, value) => {
    expect(ev(src)).toEqual(value);
  });
});

describe("comparison and equality", () => {
  test.each([
    ["amount == 600", true],
    ["amount != 600", false],
    ["amount < 601", true],
    ["amount <= 600", true],
    ["amount > 600", false],
    ["amount >= 600", true],
    ["'abc' < 'abd'", true],
    ["'b' >= 'a'", true],
    // no coercion: a number is never equal or ordered to a string
    ["amount == '600'", false],
    ["amount != '600'", true],
    ["amount < '700'", false],
    ["missing < 1", false],
    ["missing >= 1", false],
    // null and a missing field are equal
    ["missing == null", true],
    ["none == null", true],
    ["none == missing", true],
    // structural equality of lists and objects
    ["tags == ['ecom', '3ds']", true],
    ["tags == ['3ds', 'ecom']", false],
    ["card == card", true],
    ["[1, [2]] == [1, [2]]", true],
    ["[1] == 1", false],
  ])("%s", (src, value) => {
    expect(ev(src)).toBe(value);
  });
});

describe("logic, membership, conditional", () => {
  test.each([
    ["true && false", false],
    ["true || false", true],
    ["!true", false],
    ["!missing", true],
    ["!zero", true],
    ["!''", true],
    ["![]", true],
    ["![0]", false],
    ["!isVip", true],
    ["amount && merchant", true],
    ["zero || none", false],
    ["merchant in ['m-a', 'm-z']", true],
    ["merchant in ['m-a']", false],
    ["600 in [amount]", true],
    ["'600' in [600]", false],
    ["'ecom' in tags", true],
    ["'e' in 'ecom'", false],
    ["[1] in [[1], [2]]", true],
    ["amount > 500 ? 'big' : 'small'", "big"],
    ["amount > 900 ? 'big' : 'small'", "small"],
    ["zero ? 1 : 2", 2],
  ])("%s", (src, value) => {
    expect(ev(src)).toEqual(value);
  });
});

describe("precedence and associativity", () => {
  test.each([
    ["1 + 2 * 3", 7],
    ["(1 + 2) * 3", 9],
    ["10 - 4 - 3", 3],
    ["8 / 4 / 2", 1],
    ["2 * 3 % 4", 2],
    ["-2 * 3", -6],
    ["-(2 + 3)", -5],
    ["1 + 2 < 4", true],
    ["1 < 2 == true", true],
    ["!true == false", true],
    ["!(1 == 2)", true],
    ["true || false && false", true],
    ["(true || false) && false", false],
    ["false && true || true", true],
    ["1 + 2 in [3]", true],
    ["1 == 1 && 2 == 2", true],
    ["true ? 1 : 2 + 3", 1],
    ["false ? 1 : 2 + 3", 5],
    ["false || true ? 'a' : 'b'", "a"],
    ["false ? 1 : false ? 2 : 3", 3],
    ["true ? false ? 1 : 2 : 3", 2],
  ])("%s", (src, value) => {
    expect(ev(src)).toEqual(value);
  });
});

describe("fields, paths and the event", () => {
  test.each([
    ["amount", 600],
    ["card.country", "DE"],
    ["card.missing", null],
    ["missing.deeper.still", null],
    ["tags[0]", "ecom"],
    ["tags[1]", "3ds"],
    ["tags[2]", null],
    ["tags[-1]", null],
    ["tags[0.5]", null],
    ["tags['0']", null],
    ["card['id']", "c1"],
    ["event['odd-key']", 7],
    ["event.amount", 600],
    ["merchant.length", null],
    ["tags.length", null],
    ["amount.toFixed", null],
    ["name[0]", null],
  ])("%s", (src, value) => {
    expect(ev(src)).toEqual(value);
  });

  test("event is the whole current event", () => {
    expect(ev("event")).toBe(EVENT);
  });

  test("only own properties are read", () => {
    const proto = { inherited: 1 };
    const event = Object.create(proto) as Record<string, unknown>;
    event.own = 2;
    expect(ev("own", event)).toBe(2);
    expect(ev("inherited", event)).toBeNull();
    expect(ev("toString", event)).toBeNull();
    expect(ev("hasOwnProperty", {})).toBeNull();
  });

  test("a dynamic index cannot reach forbidden names", () => {
    const event = JSON.parse('{"__proto__": {"x": 1}, "k": "__proto__", "c": "constructor"}') as unknown;
    expect(ev("event[k]", event)).toBeNull();
    expect(ev("event[c]", event)).toBeNull();
    expect(ev("event['__' + 'proto__']", event)).toBeNull();
    expect(ev("event[c][c]", {})).toBeNull();
  });
});

describe("stage references", () => {
  test.each([
    ["count($small)", 2],
    ["$small.amount", [1, 1.5]],
    ["$small.merchant[1]", "m-b"],
    ["$small[0].merchant", "m-a"],
    ["$small[5]", null],
    ["first($small).merchant", "m-a"],
    ["last($small).merchant", "m-b"],
    ["$small.geo.lat", [52.52]],
    ["$small.missing", []],
    ["sum($small.amount) + last($big).amount", 702.5],
    ["merchant in $small.merchant", false],
    ["'m-b' in $small.merchant", true],
  ])("%s", (src, value) => {
    expect(ev(src)).toEqual(value);
  });

  test("$stage is ctx.eventsFor(stage), as is", () => {
    const events = [{ a: 1 }];
    const ctx = { eventsFor: (s: string) => (s === "small" ? events : []), timestamp: () => 0 };
    expect(ev("$small", {}, ctx)).toBe(events);
    expect(ev("$big", {}, ctx)).toEqual([]);
  });
});

describe("functions", () => {
  test.each([
    ["count([1, 2, 3])", 3],
    ["count([])", 0],
    ["count(merchant)", null],
    ["first([4, 5])", 4],
    ["first([])", null],
    ["first('abc')", null],
    ["last([4, 5])", 5],
    ["last([])", null],
    ["sum([1, 2, 3.5])", 6.5],
    ["sum([])", 0],
    ["sum([1, 'x', null, 2])", 3],
    ["sum(amount)", null],
    ["avg([1, 2, 3, 4])", 2.5],
    ["avg([])", null],
    ["min([3, 1, 2])", 1],
    ["min([])", null],
    ["max([3, 1, 2])", 3],
    ["max(['a'])", null],
    ["abs(-2.5)", 2.5],
    ["abs('x')", null],
    ["floor(2.7)", 2],
    ["floor(-2.2)", -3],
    ["ceil(2.1)", 3],
    ["round(2.5)", 3],
    ["round(-2.5)", -3],
    ["round(2.49)", 2],
    ["len('abc')", 3],
    ["len('')", 0],
    ["len('😀')", 1],
    ["len(tags)", 2],
    ["len(amount)", null],
    ["lower('AbC')", "abc"],
    ["upper(merchant)", "M-Z"],
    ["lower(amount)", null],
    ["startsWith(merchant, 'm-')", true],
    ["startsWith(merchant, 'z')", false],
    ["startsWith(amount, '6')", false],
    ["endsWith(name, 'lace')", true],
    ["endsWith(name, 'Ada')", false],
    ["contains(name, 'Love')", true],
    ["contains(name, 'love')", false],
    ["contains(tags, '3ds')", true],
    ["contains(tags, 'x')", false],
    ["contains(amount, 6)", false],
    ["now()", 5000],
    ["time(event)", Date.parse("2025-11-21T08:00:00Z")],
    ["time(last($big))", 5000],
    ["time(amount)", null],
  ])("%s", (src, value) => {
    expect(ev(src)).toEqual(value);
  });

  test("distanceKm is the haversine distance on a 6371.0088 km sphere", () => {
    // Berlin -> Paris, about 878 km
    expect(ev("distanceKm(52.52, 13.405, 48.8566, 2.3522)")).toBeCloseTo(877.5, 0);
    // a quarter of a great circle
    expect(ev("distanceKm(0, 0, 0, 90)")).toBeCloseTo((Math.PI / 2) * 6371.0088, 6);
    expect(ev("distanceKm(1, 1, 1, 1)")).toBe(0);
    expect(ev("distanceKm(1, 1, 'x', 1)")).toBeNull();
  });
});

describe("compileCondition", () => {
  const scope = { stages: ["small", "big"], visible: new Set(["small", "big"]), negative: new Map() };
  test.each([
    ["amount > 1", true],
    ["time(event) > 1 && lower(merchant) == 'x'", true],
    ["count($small) > 1", false],
    ["amount > max($small.amount)", false],
    ["now() > 1", false],
    ["[1, now()][0] == 1", false],
  ])("%s: contextFree %s, description is the source", (src, contextFree) => {
    const cond = compileCondition(src, { scope });
    expect(cond.contextFree).toBe(contextFree);
    expect(cond.description).toBe(src);
  });

  test("holds exactly when the value is truthy", () => {
    const ctx = { eventsFor: () => [], timestamp: () => 0 };
    const holds = (src: string, event: unknown) => compileCondition(src, { scope })(event, ctx);
    expect(holds("tags", { tags: ["a"] })).toBe(true);
    expect(holds("tags", { tags: [] })).toBe(false);
    expect(holds("amount", { amount: 0 })).toBe(false);
    expect(holds("name", { name: "" })).toBe(false);
    expect(holds("missing", {})).toBe(false);
    expect(holds("card", { card: {} })).toBe(true);
  });
});
