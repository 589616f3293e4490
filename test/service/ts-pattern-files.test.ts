import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { Pattern, runPattern } from "../../src/cep/index.js";
import { main } from "../../src/service/cli.js";
import { formatIssue, loadRuleExport, loadRuleFile, loadRules, type LoadedRule } from "../../src/service/pattern-file/index.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const FIXTURES = join(ROOT, "test/service/fixtures-ts");
const fixture = (rel: string) => join(FIXTURES, rel);
const EVENTS = join(ROOT, "examples/transactions.jsonl");
/** Each rule in JSON and as its TS twin. */
const TWINS = [
  ["json/card-testing.json", "ts/card-testing.ts"],
  ["json/auth-not-captured.json", "ts/auth-not-captured.ts"],
  ["json/probe-then-cash-out.json", "ts/probe-then-cash-out.mts"],
] as const;

/** Runs the CLI with buffers for stdout and stderr and a fixed clock. */
async function run(...args: string[]) {
  let stdout = "";
  let stderr = "";
  const code = await main(["node", "vigil", ...args], {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    now: () => 1_800_000_000_000,
  });
  return { code, stdout, stderr };
}

async function load(rel: string): Promise<LoadedRule> {
  const result = await loadRuleFile(fixture(rel), rel);
  if (!result.ok) expect.fail(result.issues.map(formatIssue).join("\n"));
  return result.rule;
}

/** The formatted issues of loading `rel` (named by its path under the fixtures). */
async function issuesOf(rel: string): Promise<string[]> {
  const result = await loadRuleFile(fixture(rel), rel);
  return result.ok ? ["ok"] : result.issues.map(formatIssue);
}

describe("a TS rule behaves exactly as its JSON twin", () => {
  test("vigil replay: the same alerts, ids included, and the same summary", async () => {
    const json = await run("replay", fixture("json"), EVENTS);
    const ts = await run("replay", fixture("ts"), EVENTS);
    expect(ts.code).toBe(0);
    expect(json.code).toBe(0);
    expect(ts.stdout).toBe(json.stdout);
    expect(ts.stderr).toBe(json.stderr);
    // not vacuous: every rule fires, timeouts included
    const alerts = ts.stdout.trim().split("\n").map((l) => JSON.parse(l) as { rule: string; timedOut?: true });
    expect(alerts.map((a) => `${a.rule}${a.timedOut ? " timedOut" : ""}`).sort()).toEqual([
      "auth-not-captured",
      "auth-not-captured",
      "card-testing",
      "card-testing",
      "card-testing",
      "probe-then-cash-out",
      "probe-then-cash-out timedOut",
      "probe-then-cash-out timedOut",
    ]);
  });

  test.each(TWINS)("vigil match: %s and %s give the same alerts", async (jsonFile, tsFile) => {
    const json = await run("match", fixture(jsonFile), EVENTS);
    const ts = await run("match", fixture(tsFile), EVENTS);
    expect(ts.code).toBe(0);
    expect(ts.stdout).not.toBe("");
    expect(ts.stdout).toBe(json.stdout);
    expect(ts.stderr).toBe(json.stderr);
  });

  test.each(TWINS)("the loaded rule of %s and of %s agree", async (jsonFile, tsFile) => {
    const json = await load(jsonFile);
    const ts = await load(tsFile);
    const facts = (r: LoadedRule) => ({
      id: r.id,
      version: r.version,
      description: r.description,
      source: r.source,
      eventTime: r.eventTime,
      stageNames: r.stageNames,
      windowMs: r.nfa.windowMs,
      stageOrder: r.nfa.stageOrder,
      skip: r.nfa.skip.toString(),
      alert: { severity: r.alert.severity, sinks: r.alert.sinks, fields: r.alert.fields.map(([name]) => name) },
      onTimeout: r.onTimeout && { severity: r.onTimeout.severity, fields: r.onTimeout.fields.map(([name]) => name) },
    });
    expect(facts(ts)).toEqual(facts(json));
    expect(ts.file).toBe(tsFile);
    // the pattern is one of this copy of Vigil, so the engine's own entry points accept it
    expect(ts.pattern).toBeInstanceOf(Pattern);
    const event = { cardId: "c", merchant: "m", amount: 1, ts: 5 };
    expect(ts.keyOf(event)).toEqual(json.keyOf(event));
    expect(ts.timeOf(event)).toBe(5);
    expect(runPattern(ts.pattern, [{ event, timestamp: 5 }, { watermark: Infinity }], { mode: "eventTime" })).toEqual(
      runPattern(json.pattern, [{ event, timestamp: 5 }, { watermark: Infinity }], { mode: "eventTime" }),
    );
  });

  test("vigil explain shows the automaton with the TS conditions' source", async () => {
    const { code, stdout } = await run("explain", fixture("ts/card-testing.ts"));
    expect(code).toBe(0);
    expect(stdout).toContain("window: 600000 ms");
    expect(stdout).toMatch(/take\s+-> \$endState\$\s+when .*500/);
  });
});

describe("vigil validate with module files", () => {
  test("a folder mixing JSON, TS and JS rules; helpers in a subfolder and other files are not rules", async () => {
    const { code, stdout, stderr } = await run("validate", fixture("mixed"), fixture("ts"));
    expect(stderr).toBe("");
    expect(code).toBe(0);
    expect(stdout.trim().split("\n")).toEqual([
      `ok ${fixture("mixed/declines.json")} (mixed-declines v1)`,
      `ok ${fixture("mixed/heartbeat.mjs")} (mixed-heartbeat v1)`,
      `ok ${fixture("mixed/large-refund.ts")} (mixed-large-refund v4)`,
      `ok ${fixture("ts/auth-not-captured.ts")} (auth-not-captured v1)`,
      `ok ${fixture("ts/card-testing.ts")} (card-testing v3)`,
      `ok ${fixture("ts/probe-then-cash-out.mts")} (probe-then-cash-out v2)`,
    ]);
  });

  test("rule ids are unique across JSON and TS files", async () => {
    const { code, stdout, stderr } = await run("validate", fixture("json/card-testing.json"), fixture("ts/card-testing.ts"));
    expect(code).toBe(1);
    expect(stdout).toBe(`ok ${fixture("json/card-testing.json")} (card-testing v3)\n`);
    expect(stderr).toBe(`${fixture("ts/card-testing.ts")} /id: rule id card-testing is already used by ${fixture("json/card-testing.json")}\n`);
  });

  test("every error of a folder of bad module files, one per line, exit 1, nothing deployed", async () => {
    const { code, stdout, stderr } = await run("validate", fixture("bad"));
    expect(code).toBe(1);
    expect(stdout).toBe("");
    const bad = (name: string) => fixture(`bad/${name}`);
    expect(stderr.trim().split("\n")).toEqual([
      `${bad("bad-alert-fields.ts")} /alert/fields/total:1: sum expects 1 argument but got 2`,
      `${bad("bad-alert-fields.ts")} /alert/fields/card:7: unknown stage $smal (stages: small, refund, big)`,
      `${bad("bad-alert-fields.ts")} /alert/fields/refunds:7: stage $refund is a notFollowedBy stage and never takes events`,
      `${bad("conflicts.ts")} /afterMatch: the Pattern already has the after-match strategy skipPastLastEvent() (Pattern.begin's second argument); set it in one place`,
      `${bad("conflicts.ts")} /within: the Pattern already has within(600000) (10m); set the window in one place`,
      `${bad("missing-id.ts")} /id: is required`,
      `${bad("missing-id.ts")} /stages: is for JSON files; a module file gives its stages as pattern, a fluent Pattern`,
      `${bad("missing-id.ts")} /version: must be an integer`,
      `${bad("missing-id.ts")} /alert/severity: must be one of: "info", "low", "medium", "high", "critical"`,
      `${bad("no-default.ts")}: has no default export; write export default definePatternFile({ id, version, source, key, eventTime, pattern, alert })`,
      `${bad("not-a-pattern.ts")} /pattern: is not a Vigil Pattern (got an object with name, where); build it with Pattern.begin(...)`,
      `${bad("throws.ts")}:5:9: threw when imported: Error: limits are not configured`,
    ]);
  });

  test("replay and match refuse to run with a bad module file", async () => {
    for (const command of ["replay", "match"]) {
      const { code, stdout, stderr } = await run(command, fixture("bad/not-a-pattern.ts"), EVENTS);
      expect(code).toBe(1);
      expect(stdout).toBe("");
      expect(stderr).toBe(`${fixture("bad/not-a-pattern.ts")} /pattern: is not a Vigil Pattern (got an object with name, where); build it with Pattern.begin(...)\n`);
    }
  });
});

describe("modules that do not load", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "vigil-ts-"));
    await writeFile(join(dir, "package.json"), JSON.stringify({ type: "module" }));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const write = (name: string, text: string) => writeFile(join(dir, name), text);
  const cep = JSON.stringify(join(ROOT, "src/cep/index.js"));
  const loadIssues = async (name: string) => {
    const result = await loadRuleFile(join(dir, name), name);
    return result.ok ? ["ok"] : result.issues.map(formatIssue);
  };

  test("a syntax error names the file, line and column", async () => {
    await write("syntax.ts", `import { Pattern } from ${cep};\nexport default {\n  id: "x",,\n};\n`);
    expect(await loadIssues("syntax.ts")).toEqual(['syntax.ts:3:11: cannot compile: Expected identifier but found ","']);
  });

  test("a missing import, a thrown value that is not an Error, a missing file", async () => {
    await write("missing-import.ts", `import { helper } from "./no-such-helper.js";\nexport default helper;\n`);
    expect(await loadIssues("missing-import.ts")).toEqual([
      expect.stringMatching(/^missing-import\.ts: cannot import: Cannot find module '[^']*no-such-helper\.js' imported from [^?]*missing-import\.ts$/),
    ]);
    await write("throws-string.mjs", `throw "no limits";\n`);
    expect(await loadIssues("throws-string.mjs")).toEqual(["throws-string.mjs: threw when imported: no limits"]);
    expect(await loadIssues("nope.ts")).toEqual(["nope.ts: cannot read: no such file or folder"]);
  });

  test("a default export that is not an object", async () => {
    await write("number.ts", "export default 42;\n");
    expect(await loadIssues("number.ts")).toEqual([
      "number.ts: the default export must be the rule, an object with id, version, source, key, eventTime, pattern and alert (got a number)",
    ]);
  });

  test("a condition that throws stops the run, naming the rule, its file and the key", async () => {
    await write("throws-later.ts", `import { Pattern } from ${cep};\nexport default { id: "later", version: 2, source: "s", key: "cardId", eventTime: "ts",\n` +
      `  pattern: Pattern.begin("a").where((e) => e.nested.field > 0), alert: { severity: "low" } };\n`);
    await write("events.jsonl", `${JSON.stringify({ cardId: "c-1", ts: 1 })}\n`);
    const { code, stdout, stderr } = await run("replay", join(dir, "throws-later.ts"), join(dir, "events.jsonl"));
    expect(code).toBe(1);
    expect(stdout).toBe("");
    expect(stderr.startsWith(`vigil: rule later v2 (${join(dir, "throws-later.ts")}), key "c-1": condition of stage "a" threw: `)).toBe(true);
    expect(stderr).toContain("(reading 'field')");
  });

  test("each load imports the file afresh, so a changed rule is seen", async () => {
    const ruleText = (version: number, limit: number) =>
      `import { Pattern } from ${cep};\nexport default { id: "fresh", version: ${version}, source: "s", key: "k", eventTime: null,\n` +
      `  pattern: Pattern.begin("a").where((e) => e.amount > ${limit}), alert: { severity: "low" } };\n`;
    const matches = (rule: LoadedRule) => runPattern(rule.pattern, [{ event: { amount: 5 }, timestamp: 1 }]).matches.length;
    await write("fresh.ts", ruleText(1, 1));
    const first = await loadRules(join(dir, "fresh.ts"));
    await write("fresh.ts", ruleText(2, 10));
    const second = await loadRules(join(dir, "fresh.ts"));
    expect([first.rules[0].version, matches(first.rules[0])]).toEqual([1, 1]);
    expect([second.rules[0].version, matches(second.rules[0])]).toEqual([2, 0]);
  });
});

describe("the pattern of a module file", () => {
  const header = { id: "r", version: 1, source: "s", key: "k", eventTime: null, alert: { severity: "low" } };
  const issues = (pattern: unknown) => {
    const result = loadRuleExport({ ...header, pattern }, "r.ts");
    return result.ok ? ["ok"] : result.issues.map(formatIssue);
  };

  test("a Pattern of this copy of Vigil is taken as it is", () => {
    const pattern = Pattern.begin("a").where(() => true);
    const result = loadRuleExport({ ...header, pattern }, "r.ts");
    expect(result.ok && result.rule.pattern).toBe(pattern);
  });

  test("what is not a Pattern, or a Pattern another version of Vigil made, is refused", () => {
    expect(issues(undefined)).toEqual(["r.ts /pattern: is required"]);
    expect(issues("a -> b")).toEqual(["r.ts /pattern: is not a Vigil Pattern (got a string); build it with Pattern.begin(...)"]);
    expect(issues([{ name: "a", where: "true" }])).toEqual(["r.ts /pattern: is not a Vigil Pattern (got a list); build it with Pattern.begin(...)"]);
    // a structural copy stands for a Pattern built by another copy of the modules
    const foreign = (f: Record<string, unknown>) => ({ _f: f, stages: () => [] });
    const fields = { ...Pattern.begin("a").where(() => true)._f };
    expect(issues(foreign(fields))).toEqual(["ok"]);
    expect(issues(foreign({ ...fields, priority: 3 }))).toEqual([
      "r.ts /pattern: is a Pattern this version of Vigil cannot run (its stages have an unknown field priority); build it with the Vigil that loads it",
    ]);
    expect(issues(foreign({ ...fields, quantifier: { ...fields.quantifier, kind: "sometimes" } }))).toEqual([
      'r.ts /pattern: is a Pattern this version of Vigil cannot run (stage "a": an unknown quantifier); build it with the Vigil that loads it',
    ]);
  });

  test("the engine's checks of the pattern are reported at /pattern", () => {
    const notAtEnd = Pattern.begin("a").where(() => true).notFollowedBy("n").where(() => true);
    expect(issues(notAtEnd)).toEqual([
      'r.ts /pattern: stage "n": notFollowedBy at the end of a pattern needs within(): the match is emitted when the window closes',
    ]);
    // the file's within is the pattern's window, so the same pattern is fine with it
    const result = loadRuleExport({ ...header, within: "1m", pattern: notAtEnd }, "r.ts");
    expect(result.ok && result.rule.nfa.windowMs).toBe(60_000);
    expect(loadRuleExport({ ...header, afterMatch: { strategy: "skipToLast", stage: "zz" }, pattern: notAtEnd }, "r.ts")).toMatchObject({
      ok: false,
      issues: [{ pointer: "/afterMatch/stage", message: "unknown stage zz (stages: a, n)" }],
    });
  });
});
