import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { runPattern } from "../../../src/cep/index.js";
import { formatIssue, loadRuleFile, loadRules, loadRulesOrThrow, RuleLoadError } from "../../../src/service/pattern-file/index.js";
import { CARD_TESTING, issuesOf, load, rule } from "./helpers.js";

const F = "patterns/r.json";
const timed = (events: Array<Record<string, unknown>>) => [
  ...events.map((event) => ({ event, timestamp: event.ts as number })),
  { watermark: Infinity },
];

describe("expressions are checked with file, pointer and column", () => {
  test("the spec's example error", () => {
    const doc = structuredClone(CARD_TESTING) as { stages: Array<{ where: string }> };
    doc.stages[1].where = "amount > 500 && merchant != first($smal).merchant";
    expect(issuesOf(doc, "patterns/card-testing.json")).toEqual([
      "patterns/card-testing.json /stages/1/where:35: unknown stage $smal (stages: small, big)",
    ]);
  });

  test("every expression of the file is checked, all errors reported", () => {
    const doc = rule({
      stages: [
        { name: "a", where: "amount >", or: "foo(1)", until: "count($a, 1)", quantifier: { atLeast: 1 } },
        { name: "b", where: "$c.x == 1" },
        { name: "c", where: "true" },
      ],
      alert: { severity: "low", fields: { x: "$zz", y: "1 +", ok: "count($a)" } },
      onTimeout: { severity: "info", fields: { z: "nope()" } },
    });
    expect(issuesOf(doc)).toEqual([
      `${F} /stages/0/where:9: unexpected end of expression`,
      `${F} /stages/0/or:1: unknown function foo (functions: count, first, last, sum, avg, min, max, abs, floor, ceil, round, len, lower, upper, startsWith, endsWith, contains, time, now, distanceKm)`,
      `${F} /stages/0/until:1: count expects 1 argument but got 2`,
      `${F} /stages/1/where:1: stage $c comes later in the pattern and cannot have matched yet when stage b is tested`,
      `${F} /alert/fields/x:1: unknown stage $zz (stages: a, b, c)`,
      `${F} /alert/fields/y:4: unexpected end of expression`,
      `${F} /onTimeout/fields/z:1: unknown function nope (functions: count, first, last, sum, avg, min, max, abs, floor, ceil, round, len, lower, upper, startsWith, endsWith, contains, time, now, distanceKm)`,
    ]);
  });

  test("a stage may name itself; alert fields may name every stage", () => {
    expect(issuesOf(rule({
      stages: [
        { name: "a", where: "count($a) < 3", quantifier: { atLeast: 1 } },
        { name: "b", where: "amount > sum($a.amount)" },
      ],
      alert: { severity: "low", fields: { b: "last($b).amount", a: "$a" } },
    }))).toEqual(["ok"]);
  });

  test("negative stages never take events", () => {
    expect(issuesOf(rule({
      within: "1m",
      stages: [
        { name: "a", where: "true" },
        { name: "n", contiguity: "notFollowedBy", where: "type == 'x'" },
      ],
      alert: { severity: "low", fields: { n: "count($n)" } },
    }))).toEqual([`${F} /alert/fields/n:7: stage $n is a notFollowedBy stage and never takes events`]);
  });

  test("pointers escape / and ~ in field names (RFC 6901)", () => {
    expect(issuesOf(rule({ alert: { severity: "low", fields: { "a/b~c": "(" } } }))).toEqual([
      `${F} /alert/fields/a~1b~0c:2: unexpected end of expression`,
    ]);
  });
});

describe("stages and the pattern built from them", () => {
  test("the card-testing rule loads with its metadata", () => {
    const r = load(CARD_TESTING, "patterns/card-testing.json");
    expect(r.id).toBe("card-testing");
    expect(r.version).toBe(3);
    expect(r.source).toBe("transactions");
    expect(r.eventTime).toBe("ts");
    expect(r.stageNames).toEqual(["small", "big"]);
    expect(r.alert.severity).toBe("high");
    expect(r.alert.sinks).toEqual(["alerts"]);
    expect(r.onTimeout).toBeNull();
    expect(r.nfa.windowMs).toBe(600_000);
    expect(r.nfa.describe()).toContain("amount > 500 && merchant != first($small).merchant");
  });

  test("card-testing matches as the spec says, strictly within 10 minutes", () => {
    const r = load(CARD_TESTING);
    const txn = (amount: number, merchant: string, min: number) => ({ cardId: "c", amount, merchant, ts: min * 60_000 });
    const hit = runPattern(r.pattern, timed([txn(1, "a", 0), txn(1, "a", 1), txn(1.5, "a", 2), txn(700, "b", 9)]), { mode: "eventTime" });
    expect(hit.matches).toHaveLength(1);
    const exactlyTen = runPattern(r.pattern, timed([txn(1, "a", 0), txn(1, "a", 1), txn(1.5, "a", 2), txn(700, "b", 10)]), { mode: "eventTime" });
    expect(exactlyTen.matches).toHaveLength(0);
    const sameMerchant = runPattern(r.pattern, timed([txn(1, "a", 0), txn(1, "a", 1), txn(1.5, "a", 2), txn(700, "a", 3)]), { mode: "eventTime" });
    expect(sameMerchant.matches).toHaveLength(0);
  });

  test("group stages, with conditions that see the group's earlier rounds", () => {
    const doc = rule({
      within: "30m",
      stages: [
        {
          group: [
            { name: "probe", where: "amount < 5 && count($refund) < 2" },
            { name: "refund", contiguity: "next", where: "type == 'refund' && amount == last($probe).amount" },
          ],
          quantifier: { times: 2 },
        },
        { name: "cashout", where: "amount >= 300" },
      ],
    });
    const r = load(doc);
    expect(r.stageNames).toEqual(["probe", "refund", "cashout"]);
    const e = (amount: number, min: number, type = "purchase") => ({ cardId: "c", amount, type, ts: min * 60_000 });
    const events = [e(1, 0), e(1, 1, "refund"), e(2, 2), e(2, 3, "refund"), e(400, 4)];
    const { matches } = runPattern(r.pattern, timed(events), { mode: "eventTime" });
    expect(matches).toEqual([{ probe: [events[0], events[2]], refund: [events[1], events[3]], cashout: [events[4]] }]);
  });

  test("without a quantifier the group does not repeat, so a later stage is out of reach", () => {
    const doc = rule({
      stages: [
        { name: "x", where: "true" },
        { group: [{ name: "probe", where: "count($refund) < 2" }, { name: "refund", where: "true" }] },
      ],
    });
    expect(issuesOf(doc)).toEqual([
      `${F} /stages/1/group/0/where:7: stage $refund comes later in the pattern and cannot have matched yet when stage probe is tested`,
    ]);
  });

  test("nested groups map errors to their stage's pointer", () => {
    const doc = rule({
      stages: [
        { name: "a", where: "true" },
        { group: [{ name: "b", where: "true" }, { group: [{ name: "c", where: "$d" }, { name: "d", where: "true" }] }] },
      ],
    });
    expect(issuesOf(doc)).toEqual([
      `${F} /stages/1/group/1/group/0/where:1: stage $d comes later in the pattern and cannot have matched yet when stage c is tested`,
    ]);
  });

  test("duplicate names and misplaced options", () => {
    const doc = rule({
      stages: [
        { name: "a", where: "true", contiguity: "next", within: "1m" },
        { group: [{ name: "a", where: "true", contiguity: "followedBy" }] },
      ],
    });
    expect(issuesOf(doc)).toEqual([
      `${F} /stages/0/contiguity: the first stage of a pattern has no contiguity (it says how a stage follows the previous one)`,
      `${F} /stages/0/within: the first stage has no previous stage to measure a gap from; use the rule's within`,
      `${F} /stages/1/group/0/contiguity: the first stage of a group has no contiguity (it says how a stage follows the previous one)`,
      `${F} /stages/1/group/0/name: duplicate stage name a (also at /stages/0)`,
    ]);
  });

  test("the engine's PatternError is reported at the stage it names", () => {
    const notAtEnd = issuesOf(rule({ stages: [{ name: "a", where: "true" }, { name: "n", contiguity: "notFollowedBy", where: "true" }] }));
    expect(notAtEnd).toHaveLength(1);
    expect(notAtEnd[0]).toMatch(/^patterns\/r\.json \/stages\/1: stage "n": .*within/);

    const quantifiedNot = issuesOf(rule({
      within: "1m",
      stages: [{ name: "a", where: "true" }, { name: "n", contiguity: "notNext", where: "true", quantifier: { times: 2 } }, { name: "c", where: "true" }],
    }));
    expect(quantifiedNot).toEqual([`${F} /stages/1: stage "n": times is not applicable to a not stage`]);

    const untilOnSingle = issuesOf(rule({ stages: [{ name: "a", where: "true", until: "false" }] }));
    expect(untilOnSingle).toEqual([`${F} /stages/0: stage "a": until is only applicable to looping stages (oneOrMore, timesOrMore)`]);

    const badRange = issuesOf(rule({ stages: [{ name: "a", where: "true", quantifier: { times: [3, 2] } }] }));
    expect(badRange).toEqual([`${F} /stages/0: stage "a": times(3, 2): to must be >= from`]);
  });

  test("quantifiers and their options reach the builder", () => {
    const e = (amount: number, ts: number) => ({ cardId: "c", amount, ts });
    const run = (stage: Record<string, unknown>, events: Array<Record<string, unknown>>) =>
      runPattern(load(rule({ stages: [stage] })).pattern, timed(events), { mode: "eventTime" }).matches.map((m) => m.a.map((x) => (x as { amount: number }).amount));
    const three = [e(1, 1), e(2, 2), e(3, 3)];
    expect(run({ name: "a", where: "true", quantifier: { times: 2 } }, three)).toEqual([[1, 2], [2, 3]]);
    expect(run({ name: "a", where: "true", quantifier: { times: [2, 3] }, consecutive: true }, three)).toHaveLength(3);
    expect(run({ name: "a", where: "true", quantifier: { atLeast: 3 } }, three)).toEqual([[1, 2, 3]]);
    expect(run({ name: "a", where: "amount != 2", quantifier: { times: 2 }, consecutive: true }, three)).toEqual([]);
    expect(run({ name: "a", where: "amount != 2", quantifier: { times: 2 }, allowCombinations: true }, three)).toEqual([[1, 3]]);
  });
});

describe("durations", () => {
  const windowOf = (within: unknown) => {
    const result = issuesOf(rule({ within }));
    return result[0] === "ok" ? load(rule({ within })).nfa.windowMs : result;
  };
  test.each([
    ["250ms", 250],
    ["30s", 30_000],
    ["10m", 600_000],
    ["2h", 7_200_000],
    ["1d", 86_400_000],
    [1500, 1500],
  ])("%j is %d ms", (d, ms) => {
    expect(windowOf(d)).toBe(ms);
  });
  test.each([
    ["0s", [`${F} /within: must be longer than 0`]],
    [0, [`${F} /within: must be at least 1`]],
    [1.5, [`${F} /within: must be a string or an integer`]],
    ["1.5h", [`${F} /within: must be a duration: a whole number with a unit ms, s, m, h or d ("250ms", "30s", "10m", "2h", "1d"), or integer milliseconds`]],
    ["10 m", [`${F} /within: must be a duration: a whole number with a unit ms, s, m, h or d ("250ms", "30s", "10m", "2h", "1d"), or integer milliseconds`]],
    ["99999999999999999d", [`${F} /within: is too long`]],
  ])("%j is rejected", (d, issues) => {
    expect(windowOf(d)).toEqual(issues);
  });

  test("a stage's within bounds the gap from the previous stage (PREVIOUS_AND_CURRENT)", () => {
    const r = load(rule({ stages: [{ name: "a", where: "amount == 1" }, { name: "b", where: "amount == 2", within: "1m" }] }));
    const e = (amount: number, ts: number) => ({ cardId: "c", amount, ts });
    expect(runPattern(r.pattern, timed([e(1, 0), e(2, 59_000)]), { mode: "eventTime" }).matches).toHaveLength(1);
    expect(runPattern(r.pattern, timed([e(1, 0), e(2, 60_000)]), { mode: "eventTime" }).matches).toHaveLength(0);
  });
});

describe("keys and event time", () => {
  test("single, dotted, indexed and compound keys", () => {
    const event = { cardId: "c1", card: { id: 7, tags: ["x", "y"] }, merchant: "m", vip: true };
    expect(load(rule({ key: "cardId" })).keyOf(event)).toEqual({ value: "c1", text: '"c1"' });
    expect(load(rule({ key: "card.id" })).keyOf(event)).toEqual({ value: 7, text: "7" });
    expect(load(rule({ key: "card.tags[1]" })).keyOf(event)).toEqual({ value: "y", text: '"y"' });
    expect(load(rule({ key: ["cardId", "merchant", "vip"] })).keyOf(event)).toEqual({ value: ["c1", "m", true], text: '["c1","m",true]' });
  });

  test("an event lacking the key (or with a null or structured value) has none", () => {
    const keyOf = load(rule({ key: ["cardId", "card.id"] })).keyOf;
    expect(keyOf({ cardId: "c1" })).toBeUndefined();
    expect(keyOf({ cardId: "c1", card: { id: null } })).toBeUndefined();
    expect(keyOf({ cardId: { a: 1 }, card: { id: 1 } })).toBeUndefined();
    expect(keyOf(null)).toBeUndefined();
    expect(keyOf("c1")).toBeUndefined();
    expect(load(rule({ key: "a" })).keyOf({ a: 1 })?.text).not.toBe(load(rule({ key: "a" })).keyOf({ a: "1" })?.text);
  });

  test("bad paths are reported", () => {
    expect(issuesOf(rule({ key: "a..b" }))).toEqual([`${F} /key: is not a field path like "cardId", "card.id" or "tags[0]" (got "a..b")`]);
    expect(issuesOf(rule({ key: ["ok", "x[1"] }))).toEqual([`${F} /key/1: is not a field path like "cardId", "card.id" or "tags[0]" (got "x[1")`]);
    expect(issuesOf(rule({ key: "__proto__.x" }))).toEqual([`${F} /key: may not name __proto__`]);
    expect(issuesOf(rule({ eventTime: "meta.ts]" }))).toEqual([`${F} /eventTime: is not a field path like "cardId", "card.id" or "tags[0]" (got "meta.ts]")`]);
  });

  test("event time: epoch ms or ISO-8601, from a nested field too; null for processing time", () => {
    const timeOf = load(rule({ eventTime: "meta.at" })).timeOf;
    expect(timeOf({ meta: { at: 1763712000000 } })).toBe(1763712000000);
    expect(timeOf({ meta: { at: "2025-11-21T08:00:00Z" } })).toBe(1763712000000);
    expect(timeOf({ meta: { at: "2025-11-21T09:00:00.250+01:00" } })).toBe(1763712000250);
    expect(timeOf({ meta: { at: "2025-11-21T08:00:00" } })).toBe(1763712000000);
    expect(timeOf({ meta: { at: "2025-11-21" } })).toBe(Date.UTC(2025, 10, 21));
    expect(timeOf({ meta: { at: "2025-02-30T00:00:00Z" } })).toBeNull();
    expect(timeOf({ meta: { at: "yesterday" } })).toBeNull();
    expect(timeOf({ meta: {} })).toBeNull();
    expect(timeOf({})).toBeNull();
    expect(load(rule({ eventTime: null })).timeOf({ ts: 5 })).toBeNull();
  });
});

describe("afterMatch", () => {
  test("strategies and their stage", () => {
    expect(load(rule({ afterMatch: { strategy: "skipPastLastEvent" } })).nfa.skip.kind).toBe("skipPastLastEvent");
    expect(load(rule({ afterMatch: { strategy: "skipToLast", stage: "a" } })).nfa.skip.toString()).toBe("skipToLast(a)");
    expect(load(rule({})).nfa.skip.kind).toBe("noSkip");
    expect(issuesOf(rule({ afterMatch: { strategy: "skipToFirst", stage: "zz" } }))).toEqual([
      `${F} /afterMatch/stage: unknown stage zz (stages: a)`,
    ]);
    expect(issuesOf(rule({ afterMatch: { strategy: "noSkip", stage: "a" } }))).toEqual([
      `${F} /afterMatch/stage: only skipToFirst and skipToLast name a stage, not noSkip`,
    ]);
  });
});

describe("files and folders", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "vigil-loader-"));
    await writeFile(join(dir, "a.json"), JSON.stringify(rule({ id: "a" })));
    await writeFile(join(dir, "b.json"), JSON.stringify(rule({ id: "b", stages: [{ name: "x", where: "$y" }] })));
    await writeFile(join(dir, "c.json"), "{ nope");
    await writeFile(join(dir, "d.json"), JSON.stringify(rule({ id: "a" })));
    await writeFile(join(dir, "notes.txt"), "not a rule");
    // neither type declarations, package or compiler settings, nor a subfolder (where a module
    // rule's helpers live) are rules
    await writeFile(join(dir, "types.d.ts"), "export interface Txn { amount: number }\n");
    await writeFile(join(dir, "package.json"), JSON.stringify({ type: "module" }));
    await writeFile(join(dir, "tsconfig.json"), JSON.stringify({ compilerOptions: { strict: true } }));
    await mkdir(join(dir, "lib.ts"));
    await writeFile(join(dir, "lib.ts", "helper.ts"), "export const x = 1;\n");
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test("a folder gives every error of every file, one per line", async () => {
    const result = await loadRules(dir);
    expect(result.files.map((f) => f.slice(dir.length + 1))).toEqual(["a.json", "b.json", "c.json", "d.json"]);
    expect(result.issues.map(formatIssue).map((l) => l.replaceAll(dir, "DIR"))).toEqual([
      "DIR/b.json /stages/0/where:1: unknown stage $y (stages: x)",
      expect.stringMatching(/^DIR\/c\.json:1:3: invalid JSON: /),
      "DIR/d.json /id: rule id a is already used by DIR/a.json",
    ]);
    expect(result.rules.map((r) => r.id)).toEqual(["a"]);
  });

  test("loadRulesOrThrow: all rules or one error carrying every issue", async () => {
    const error = await loadRulesOrThrow(dir).then(() => undefined, (err: unknown) => err);
    expect(error).toBeInstanceOf(RuleLoadError);
    expect((error as RuleLoadError).issues).toHaveLength(3);
    expect((error as RuleLoadError).code).toBe("PATTERN_FILE_INVALID");
    expect((error as RuleLoadError).message.split("\n")).toHaveLength(3);
    expect((await loadRulesOrThrow(join(dir, "a.json"))).map((r) => r.id)).toEqual(["a"]);
  });

  test("the shipped patterns folder is valid", async () => {
    const folder = new URL("../../../patterns", import.meta.url).pathname;
    const result = await loadRules(folder);
    expect(result.issues.map(formatIssue)).toEqual([]);
    // one rule per file, whatever rules the folder gains
    const files = (await readdir(folder)).filter((f) => /\.(json|m?ts|m?js)$/.test(f) && !/\.d\.m?ts$/.test(f));
    expect(result.rules).toHaveLength(files.length);
    expect(result.rules.map((r) => r.id)).toEqual(expect.arrayContaining(["auth-not-captured", "card-testing", "impossible-travel", "probe-then-cash-out"]));
  });

  test("missing files and empty folders", async () => {
    expect((await loadRuleFile(join(dir, "nope.json"), "nope.json"))).toEqual({
      ok: false,
      issues: [{ file: "nope.json", pointer: "", message: "cannot read: no such file or folder" }],
    });
    expect((await loadRules(join(dir, "missing"))).issues.map(formatIssue)).toEqual([`${join(dir, "missing")}: cannot read: no such file or folder`]);
    const empty = await mkdtemp(join(tmpdir(), "vigil-empty-"));
    expect((await loadRules(empty)).issues.map(formatIssue)).toEqual([`${empty}: no pattern files (*.json, *.ts, *.mts, *.js, *.mjs) in this folder`]);
    await rm(empty, { recursive: true });
  });
});
