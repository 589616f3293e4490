import { describe, expect, test } from "vitest";
import { alertId, buildAlert, canonicalJson, compareAlerts, type Alert, type AlertTemplate } from "../../src/service/alert.js";
import { compileExpression } from "../../src/service/expr/index.js";

const scope = { stages: ["small", "big", "extra"], visible: new Set(["small", "big", "extra"]), negative: new Map() };
const template: AlertTemplate = {
  severity: "high",
  sinks: ["alerts"],
  fields: [
    ["card", compileExpression("first($small).cardId", { scope })],
    ["total", compileExpression("sum($small.amount) + last($big).amount", { scope })],
    ["extra", compileExpression("count($extra)", { scope })],
    ["lastAmount", compileExpression("amount", { scope })],
    ["at", compileExpression("now()", { scope })],
  ],
};
const s1 = { cardId: "c1", amount: 1, ts: 1000 };
const s2 = { cardId: "c1", amount: 1.5, ts: 2000 };
const b1 = { cardId: "c1", amount: 700, ts: 5000 };
const match = { small: [s1, s2], big: [b1] };
const timeOf = (e: { ts: number }) => e.ts;
const rule = { id: "card-testing", version: 3 };

describe("buildAlert", () => {
  test("the alert object of the spec", () => {
    const alert = buildAlert({ rule, template, key: "c1", match, timeOf, now: () => 9999 });
    expect(alert).toEqual({
      id: expect.stringMatching(/^[0-9a-f]{64}$/),
      rule: "card-testing",
      version: 3,
      severity: "high",
      key: "c1",
      time: 5000,
      detectedAt: 9999,
      fields: { card: "c1", total: 702.5, extra: 0, lastAmount: 700, at: 5000 },
      match: { small: [s1, s2], big: [b1] },
    });
    expect(Object.keys(alert)).toEqual(["id", "rule", "version", "severity", "key", "time", "detectedAt", "fields", "match"]);
  });

  test("time is the event time of the last event taken, whatever the stage order", () => {
    const late = { cardId: "c1", amount: 1, ts: 8000 };
    const alert = buildAlert({ rule, template, key: "c1", match: { small: [s1, late], big: [b1] }, timeOf });
    expect(alert.time).toBe(8000);
    expect(alert.fields.lastAmount).toBe(1);
  });

  test("detectedAt is the wall clock by default", () => {
    const before = Date.now();
    const { detectedAt } = buildAlert({ rule, template, key: "c1", match, timeOf });
    expect(detectedAt).toBeGreaterThanOrEqual(before);
    expect(detectedAt).toBeLessThanOrEqual(Date.now());
  });

  test("a timed-out partial match: timedOut true, time the window's end", () => {
    const alert = buildAlert({ rule, template, key: "c1", match: { small: [s1] }, timeOf, timedOutAt: 601_000 });
    expect(alert.timedOut).toBe(true);
    expect(alert.time).toBe(601_000);
    expect(alert.fields).toMatchObject({ card: "c1", total: null, at: 601_000 });
    expect(alert.id).not.toBe(buildAlert({ rule, template, key: "c1", match: { small: [s1] }, timeOf }).id);
  });

  test("field values are JSON: a missing value is null", () => {
    const t: AlertTemplate = { ...template, fields: [["x", compileExpression("nothing.here", { scope })]] };
    expect(buildAlert({ rule, template: t, key: "c1", match, timeOf }).fields).toEqual({ x: null });
  });

  test("a field named __proto__ is a plain field", () => {
    const t: AlertTemplate = { ...template, fields: [["__proto__", compileExpression("1", { scope })]] };
    const { fields } = buildAlert({ rule, template: t, key: "c1", match, timeOf });
    expect(Object.hasOwn(fields, "__proto__")).toBe(true);
    expect(Object.getPrototypeOf(fields)).toBe(Object.prototype);
    expect(JSON.stringify(fields)).toBe('{"__proto__":1}');
  });
});

describe("alert ids are deterministic", () => {
  const positions = new Map<unknown, string>([[s1, "tx.jsonl:1"], [s2, "tx.jsonl:2"], [b1, "tx.jsonl:9"]]);
  const base = { rule, key: "c1" as const, match, positionOf: (e: unknown) => positions.get(e) };
  const id = alertId(base);

  test("the same input gives the same id; positions, not object identity, identify events", () => {
    expect(alertId(base)).toBe(id);
    const copies = structuredClone(match);
    const byPosition = new Map<unknown, string>([[copies.small[0], "tx.jsonl:1"], [copies.small[1], "tx.jsonl:2"], [copies.big[0], "tx.jsonl:9"]]);
    expect(alertId({ ...base, match: copies, positionOf: (e) => byPosition.get(e) })).toBe(id);
  });

  test("rule, version, key, positions and stage assignment all count", () => {
    expect(alertId({ ...base, rule: { id: "other", version: 3 } })).not.toBe(id);
    expect(alertId({ ...base, rule: { id: "card-testing", version: 4 } })).not.toBe(id);
    expect(alertId({ ...base, key: "c2" })).not.toBe(id);
    expect(alertId({ ...base, key: ["c1"] })).not.toBe(id);
    expect(alertId({ ...base, positionOf: (e) => (e === b1 ? "tx.jsonl:10" : positions.get(e)) })).not.toBe(id);
    expect(alertId({ ...base, match: { small: [s1], big: [s2, b1] } })).not.toBe(id);
  });

  test("without positions the content identifies an event, whatever its key order", () => {
    const byContent = alertId({ rule, key: "c1", match });
    const reordered = { small: [{ ts: 1000, amount: 1, cardId: "c1" }, s2], big: [b1] };
    expect(alertId({ rule, key: "c1", match: reordered })).toBe(byContent);
    expect(alertId({ rule, key: "c1", match: { small: [s1, { ...s2, amount: 1.6 }], big: [b1] } })).not.toBe(byContent);
    expect(byContent).not.toBe(id);
  });
});

describe("helpers", () => {
  test("canonicalJson sorts keys at every level and nulls what JSON cannot hold", () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { z: 0, y: 1 }], c: undefined } })).toBe('{"a":{"c":null,"d":[1,{"y":1,"z":0}]},"b":1}');
    expect(canonicalJson([NaN, Infinity, () => 1])).toBe("[null,null,null]");
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    expect(canonicalJson(cyclic)).toBe('{"a":1,"self":null}');
  });

  test("alerts sort by time, then rule, then id", () => {
    const a = (time: number, r: string, id: string) => ({ time, rule: r, id }) as Alert;
    const sorted = [a(2, "a", "1"), a(1, "b", "2"), a(1, "a", "3"), a(1, "a", "0")].sort(compareAlerts);
    expect(sorted.map((x) => `${x.time}${x.rule}${x.id}`)).toEqual(["1a0", "1a3", "1b2", "2a1"]);
  });
});
