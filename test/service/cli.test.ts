import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { main } from "../../src/service/cli.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const at = (rel: string) => join(ROOT, rel);
const START = Date.UTC(2025, 10, 21, 8, 0, 0);
const hm = (h: number, m: number) => START + h * 3_600_000 + m * 60_000;

/** Runs the CLI with buffers for stdout and stderr and a fixed clock. */
async function run(args: string[], stdin?: string) {
  let stdout = "";
  let stderr = "";
  const code = await main(["node", "vigil", ...args], {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    now: () => 1_800_000_000_000,
    ...(stdin !== undefined && { stdin: Readable.from([stdin]) }),
  });
  const alerts = !["match", "replay"].includes(args[0]) || !stdout.startsWith("{") ? [] : stdout.trim().split("\n").map((l) => JSON.parse(l) as Record<string, any>);
  return { code, stdout, stderr, alerts };
}

describe("vigil match", () => {
  test("card-testing on the sample: three alerts, dead letters and a summary", async () => {
    const { code, alerts, stderr } = await run(["match", at("patterns/card-testing.json"), at("examples/transactions.jsonl")]);
    expect(code).toBe(0);
    expect(alerts.map((a) => [a.key, a.time, a.fields])).toEqual([
      ["4111-0000-0000-0101", hm(1, 15), { card: "4111-0000-0000-0101", total: 752.48 }],
      ["4111-0000-0000-0102", hm(2, 7), { card: "4111-0000-0000-0102", total: 1304 }],
      ["4111-0000-0000-0106", hm(4, 44), { card: "4111-0000-0000-0106", total: 1005.96 }],
    ]);
    for (const a of alerts) {
      expect(a).toMatchObject({ rule: "card-testing", version: 3, severity: "high", detectedAt: 1_800_000_000_000 });
      expect(a.id).toMatch(/^[0-9a-f]{64}$/);
      expect(a.match.small.length).toBeGreaterThanOrEqual(3);
      expect(a.match.big).toHaveLength(1);
      expect(a.timedOut).toBeUndefined();
    }
    const file = at("examples/transactions.jsonl");
    expect(stderr.split("\n").filter((l) => l.startsWith("dead letter"))).toEqual([
      expect.stringMatching(new RegExp(`^dead letter ${file}:26: invalid JSON at column \\d+: `)),
      `dead letter ${file}:76: no event time: field ts is missing`,
      `dead letter ${file}:126: no event time: field ts is neither epoch milliseconds nor an ISO-8601 time ("yesterday")`,
      `dead letter ${file}:176: not a JSON object`,
    ]);
    expect(stderr).toContain("summary: 291 events read, 4 invalid, 3 alerts\n");
    expect(stderr).toContain("  rule card-testing v3: 285 events in 53 keys, 2 skipped (no key), 3 alerts\n");
  });

  test("every rule of the patterns folder, alerts sorted by time, rule, id", async () => {
    const { code, alerts, stderr } = await run(["match", at("patterns"), at("examples/transactions.jsonl")]);
    expect(code).toBe(0);
    expect(alerts.map((a) => `${a.rule} ${JSON.stringify(a.key)}${a.timedOut ? " timedOut" : ""}`)).toEqual([
      'card-testing "4111-0000-0000-0101"',
      'impossible-travel "4111-0000-0000-0107"',
      'card-testing "4111-0000-0000-0102"',
      'card-testing "4111-0000-0000-0106"',
      'auth-not-captured ["4111-0000-0000-0109","m-hotel"]',
      'auth-not-captured ["4111-0000-0000-0111","m-jeweller"]',
      'probe-then-cash-out "4111-0000-0000-0112"',
      'probe-then-cash-out "4111-0000-0000-0113" timedOut',
      'probe-then-cash-out "4111-0000-0000-0113" timedOut',
    ]);
    const times = alerts.map((a) => a.time as number);
    expect([...times].sort((x, y) => x - y)).toEqual(times);
    // a pattern ending in notFollowedBy: the time of the last positive event, not of the window's end
    expect(alerts[4]).toMatchObject({ time: hm(5, 0), fields: { amount: 1200, merchant: "m-hotel", authorizedAt: hm(5, 0) } });
    expect(alerts[1].fields).toEqual({ from: "DE", to: "US", km: 6385, minutes: 60 });
    expect(alerts[7]).toMatchObject({ severity: "low", time: hm(6, 30), fields: { probes: 2, refunded: 7 } });
    expect(alerts[8]).toMatchObject({ severity: "low", time: hm(6, 34), fields: { probes: 1, refunded: 4 } });
    expect(stderr).toContain("summary: 291 events read, 4 invalid, 9 alerts\n");
    expect(stderr).toContain("  rule probe-then-cash-out v2: 285 events in 53 keys, 2 skipped (no key), 3 alerts, 2 of them timeouts\n");
  });

  test("ids are stable from run to run", async () => {
    const a = await run(["match", at("patterns"), at("examples/transactions.jsonl")]);
    const b = await run(["match", at("patterns"), at("examples/transactions.jsonl")]);
    expect(b.alerts.map((x) => x.id)).toEqual(a.alerts.map((x) => x.id));
    expect(new Set(a.alerts.map((x) => x.id)).size).toBe(a.alerts.length);
  });

  test("events from stdin; events out of order are put in event-time order", async () => {
    const e = (amount: number, merchant: string, ts: number) => JSON.stringify({ cardId: "c", amount, merchant, ts });
    const input = [e(1, "a", 2000), e(700, "b", 4000), e(1, "a", 1000), "", e(1, "a", 3000), "{bad"].join("\n");
    const { code, alerts, stderr } = await run(["match", at("patterns/card-testing.json"), "-"], input);
    expect(code).toBe(0);
    expect(alerts).toHaveLength(1);
    expect(alerts[0].match.small.map((x: { ts: number }) => x.ts)).toEqual([1000, 2000, 3000]);
    expect(alerts[0].time).toBe(4000);
    expect(stderr).toMatch(/^dead letter stdin:6: invalid JSON at column 2: /m);
    expect(stderr).toContain("summary: 5 events read, 1 invalid, 1 alert\n");
  });

  test("failures: exit 1 for an unreadable input or invalid rules", async () => {
    const missing = await run(["match", at("patterns/card-testing.json"), at("examples/nope.jsonl")]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe(`vigil match: cannot read ${at("examples/nope.jsonl")}: no such file\n`);
    expect(missing.stdout).toBe("");
    const noRule = await run(["match", at("patterns/nope.json"), at("examples/transactions.jsonl")]);
    expect(noRule.code).toBe(1);
    expect(noRule.stderr).toBe(`${at("patterns/nope.json")}: cannot read: no such file or folder\n`);
  });
});

describe("vigil validate and explain", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "vigil-cli-"));
    await writeFile(join(dir, "bad.json"), JSON.stringify({
      id: "bad", version: 1, source: "s", key: "k", eventTime: "ts", within: "10 min",
      stages: [{ name: "small", where: "amount < 2" }, { name: "big", where: "amount > first($smal).amount" }],
      alert: { severity: "high" },
    }, null, 2));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test("valid files: one ok line each, exit 0", async () => {
    const { code, stdout, stderr } = await run(["validate", at("patterns")]);
    expect(code).toBe(0);
    expect(stderr).toBe("");
    expect(stdout).toContain(`ok ${join(at("patterns"), "card-testing.json")} (card-testing v3)\n`);
    const files = (await readdir(at("patterns"))).filter((f) => /\.(json|m?ts|m?js)$/.test(f) && !/\.d\.m?ts$/.test(f)).sort();
    expect(stdout.trim().split("\n").map((l) => l.split(" ")[1])).toEqual(files.map((f) => join(at("patterns"), f)));
  });

  test("invalid files: every error on its own line on stderr, exit 1", async () => {
    const { code, stdout, stderr } = await run(["validate", dir, at("patterns/card-testing.json")]);
    expect(code).toBe(1);
    expect(stdout).toBe(`ok ${at("patterns/card-testing.json")} (card-testing v3)\n`);
    expect(stderr).toBe(
      `${join(dir, "bad.json")} /within: must be a duration: a whole number with a unit ms, s, m, h or d ("250ms", "30s", "10m", "2h", "1d"), or integer milliseconds\n`,
    );
  });

  test("explain prints the automaton, as text or DOT", async () => {
    const text = await run(["explain", at("patterns/card-testing.json")]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain("window: 600000 ms");
    expect(text.stdout).toContain("amount > 500 && merchant != first($small).merchant");
    const dot = await run(["explain", "--dot", at("patterns/card-testing.json")]);
    expect(dot.code).toBe(0);
    expect(dot.stdout).toMatch(/^digraph/);
    const bad = await run(["explain", join(dir, "bad.json")]);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toBe("");
  });

  test("help, version and usage errors", async () => {
    for (const args of [["--help"], ["match", "--help"], ["replay", "--help"], ["validate", "--help"], ["explain", "--help"], ["help", "match"]]) {
      const r = await run(args);
      expect(r.code, args.join(" ")).toBe(0);
      expect(r.stdout).toMatch(/^Usage: vigil/);
    }
    expect((await run(["--version"])).stdout).toMatch(/^\d+\.\d+\.\d+/);
    for (const args of [[], ["frobnicate"], ["match", "only-one-arg"], ["validate"], ["explain", "--nope", "x"], ["match", "a", "b", "c"], ["--log-level", "loud", "validate", "x"]]) {
      const r = await run(args);
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.stderr).not.toBe("");
    }
  });
});

describe("vigil replay", () => {
  test("every rule of the folder over the sample, sorted by time, rule, id, with a summary per rule", async () => {
    const { code, alerts, stderr } = await run(["replay", at("patterns"), at("examples/transactions.jsonl"), "--format", "jsonl"]);
    expect(code).toBe(0);
    const counts: Record<string, number> = {};
    for (const a of alerts) counts[a.rule] = (counts[a.rule] ?? 0) + 1;
    expect(counts).toEqual({ "card-testing": 3, "impossible-travel": 1, "auth-not-captured": 2, "probe-then-cash-out": 3 });
    const order = alerts.map((a) => [a.time, a.rule, a.id] as [number, string, string]);
    const sorted = [...order].sort((x, y) => x[0] - y[0] || (x[1] < y[1] ? -1 : x[1] > y[1] ? 1 : x[2] < y[2] ? -1 : x[2] > y[2] ? 1 : 0));
    expect(order).toEqual(sorted);
    expect(stderr).toContain("summary: 291 events read, 4 invalid, 9 alerts");
    expect(stderr).toMatch(/rule card-testing v3: .*3 alerts/);
  });

  test("replay agrees with match rule by rule", async () => {
    const replay = await run(["replay", at("patterns"), at("examples/transactions.jsonl")]);
    const match = await run(["match", at("patterns/card-testing.json"), at("examples/transactions.jsonl")]);
    expect(replay.alerts.filter((a) => a.rule === "card-testing")).toEqual(match.alerts);
  });

  test("an unknown --format is a usage error", async () => {
    const { code, stderr } = await run(["replay", at("patterns"), at("examples/transactions.jsonl"), "--format", "csv"]);
    expect(code).toBe(2);
    expect(stderr).toContain("Allowed choices are jsonl");
  });
});
