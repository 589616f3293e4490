import { readFileSync } from "node:fs";
import { expect } from "vitest";
import { formatIssue, loadRuleText, type LoadedRule } from "../../../src/service/pattern-file/index.js";

/** The spec's card-testing rule, as shipped in patterns/. */
export const CARD_TESTING = JSON.parse(readFileSync(new URL("../../../patterns/card-testing.json", import.meta.url), "utf8")) as Record<string, unknown>;

/** A minimal valid rule with `overrides` merged in (a key set to `undefined` is removed). */
export function rule(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const base: Record<string, unknown> = {
    id: "r",
    version: 1,
    source: "transactions",
    key: "cardId",
    eventTime: "ts",
    stages: [{ name: "a", where: "amount > 1" }],
    alert: { severity: "high" },
  };
  const out = { ...base, ...overrides };
  for (const [k, v] of Object.entries(out)) if (v === undefined) delete out[k];
  return out;
}

/** The formatted issues of loading `doc` as `file`, or ["ok"]. */
export function issuesOf(doc: unknown, file = "patterns/r.json"): string[] {
  const text = typeof doc === "string" ? doc : JSON.stringify(doc, null, 2);
  const result = loadRuleText(text, file);
  return result.ok ? ["ok"] : result.issues.map(formatIssue);
}

/** Loads `doc`, failing the test with the issues when it does not load. */
export function load(doc: unknown, file = "patterns/r.json"): LoadedRule {
  const result = loadRuleText(JSON.stringify(doc), file);
  if (!result.ok) expect.fail(result.issues.map(formatIssue).join("\n"));
  return result.rule;
}
