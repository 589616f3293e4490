import { describe, expect, test } from "vitest";
import { CARD_TESTING, issuesOf, rule } from "./helpers.js";

const F = "patterns/r.json";

describe("schema validation: one readable line per problem, naming file and pointer", () => {
  test("the spec's example is valid", () => {
    expect(issuesOf(CARD_TESTING, "patterns/card-testing.json")).toEqual(["ok"]);
  });

  test("missing required properties point at the property", () => {
    expect(issuesOf({})).toEqual([
      `${F} /id: is required`,
      `${F} /version: is required`,
      `${F} /source: is required`,
      `${F} /key: is required`,
      `${F} /eventTime: is required`,
      `${F} /stages: is required`,
      `${F} /alert: is required`,
    ]);
  });

  test("not an object at all", () => {
    expect(issuesOf([])).toEqual([`${F}: must be an object`]);
    expect(issuesOf("null")).toEqual([`${F}: must be an object`]);
    expect(issuesOf("42")).toEqual([`${F}: must be an object`]);
  });

  test("unknown properties are named with what is allowed", () => {
    expect(issuesOf(rule({ stagse: [] }))).toEqual([
      `${F} /stagse: is not a known property (expected: $schema, id, version, description, source, key, eventTime, within, afterMatch, stages, alert, onTimeout)`,
    ]);
    expect(issuesOf(rule({ stages: [{ name: "a", where: "true", wehre: "x" }] }))).toEqual([
      `${F} /stages/0/wehre: is not a known property (expected: name, description, where, or, until, contiguity, quantifier, optional, greedy, consecutive, allowCombinations, within)`,
    ]);
  });

  test("all errors of a file are reported, not just the first", () => {
    const doc = rule({
      id: "bad id!",
      version: 0,
      key: [],
      eventTime: 5,
      within: "10 minutes",
      afterMatch: { strategy: "skipToFirst" },
      stages: [
        { name: "1st", where: "true", quantifier: { times: 1, atLeast: 2 } },
        "oops",
        { group: [], contiguity: "notNext" },
        { name: "b" },
        { name: "c", where: 42, contiguity: "after", optional: "yes" },
      ],
      alert: { severity: "urgent", fields: { x: 1, "": "1" }, sinks: ["a", "a"] },
      onTimeout: 3,
    });
    expect(issuesOf(doc)).toEqual([
      `${F} /id: must be a rule id: letters, digits, '.', '_' and '-', starting with a letter or digit`,
      `${F} /version: must be at least 1`,
      `${F} /key: must have at least 1 item`,
      `${F} /eventTime: must be a string or null`,
      `${F} /within: must be a duration: a whole number with a unit ms, s, m, h or d ("250ms", "30s", "10m", "2h", "1d"), or integer milliseconds`,
      `${F} /afterMatch/stage: is required`,
      `${F} /stages/0/name: must be a stage name: letters, digits and '_', not starting with a digit (it is referred to as $name)`,
      `${F} /stages/0/quantifier: must be exactly one of {"times": n}, {"times": [from, to]} or {"atLeast": n}`,
      `${F} /stages/1: must be an object`,
      `${F} /stages/2/group: must have at least 1 item`,
      `${F} /stages/2/contiguity: must be one of: "next", "followedBy", "followedByAny"`,
      `${F} /stages/3/where: is required`,
      `${F} /stages/4/where: must be a string`,
      `${F} /stages/4/contiguity: must be one of: "next", "followedBy", "followedByAny", "notNext", "notFollowedBy"`,
      `${F} /stages/4/optional: must be true or false`,
      `${F} /alert/severity: must be one of: "info", "low", "medium", "high", "critical"`,
      `${F} /alert/fields/: property name must not be empty`,
      `${F} /alert/fields/x: must be a string`,
      `${F} /alert/sinks: must not repeat items (items 1 and 0 are equal)`,
      `${F} /onTimeout: must be an object or null`,
    ]);
  });

  test("quantifier shapes", () => {
    const q = (quantifier: unknown) => issuesOf(rule({ stages: [{ name: "a", where: "true", quantifier }] }));
    expect(q({ times: 3 })).toEqual(["ok"]);
    expect(q({ times: [2, 4] })).toEqual(["ok"]);
    expect(q({ atLeast: 1 })).toEqual(["ok"]);
    expect(q({})).toEqual([`${F} /stages/0/quantifier: must be exactly one of {"times": n}, {"times": [from, to]} or {"atLeast": n}`]);
    expect(q({ times: 0 })).toEqual([`${F} /stages/0/quantifier/times: must be at least 1`]);
    expect(q({ times: [1] })).toEqual([`${F} /stages/0/quantifier/times: must have at least 2 items`]);
    expect(q({ times: [1, 2, 3] })).toEqual([`${F} /stages/0/quantifier/times: must have at most 2 items`]);
    expect(q({ times: "3" })).toEqual([`${F} /stages/0/quantifier/times: must be an integer or a list`]);
    expect(q({ atLeast: 1.5 })).toEqual([`${F} /stages/0/quantifier/atLeast: must be an integer`]);
    expect(q({ oneOrMore: true })).toEqual([`${F} /stages/0/quantifier/oneOrMore: is not a known property (expected: times, atLeast)`]);
  });

  test("groups cannot have conditions, names or negation", () => {
    const doc = rule({ stages: [{ name: "a", where: "true" }, { group: [{ name: "b", where: "true" }], name: "g", where: "true" }] });
    expect(issuesOf(doc)).toEqual([
      `${F} /stages/1/name: is not a known property (expected: group, description, contiguity, quantifier, optional, greedy, consecutive, allowCombinations)`,
      `${F} /stages/1/where: is not a known property (expected: group, description, contiguity, quantifier, optional, greedy, consecutive, allowCombinations)`,
    ]);
  });

  test("JSON syntax errors give line and column", () => {
    // the reason is V8's wording (it varies across Node versions); the position is ours
    const [comma] = issuesOf('{\n  "id": "x",\n  "version": 1,,\n}');
    expect(comma).toMatch(/^patterns\/r\.json:3:16: invalid JSON: \S/);
    expect(comma).not.toMatch(/position/);
    expect(issuesOf('{"id": ')).toEqual([`${F}:1:8: invalid JSON: Unexpected end of JSON input`]);
    expect(issuesOf("")).toEqual([`${F}:1:1: invalid JSON: Unexpected end of JSON input`]);
  });

  test("$schema is only a hint: any string is accepted and never fetched", () => {
    expect(issuesOf(rule({ $schema: "https://example.invalid/never-fetched.json" }))).toEqual(["ok"]);
    expect(issuesOf(rule({ $schema: 1 }))).toEqual([`${F} /$schema: must be a string`]);
  });
});
