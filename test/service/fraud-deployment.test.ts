import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { ExpectedAlert } from "../../examples/fraud/events.js";
import { generateTraffic } from "../../examples/fraud/traffic.js";
import { main } from "../../src/service/cli.js";
import { loadRules } from "../../src/service/index.js";
import { parseLines, readExpected, ROOT, runTs, signatures, vigil, type ReplayedAlert } from "./fraud-helpers.js";

// The fraud deployment end to end: examples/fraud/generate.ts writes traffic with fraud planted at
// known points, `vigil replay` runs every rule of patterns/ over it (both as child processes, as
// an operator would run them), and the alerts must be exactly the planted ones.

const FIXED_SEED = 20251121;
const RANDOM_SEED = process.env.FRAUD_SEED === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(process.env.FRAUD_SEED);
/** About 25,000 events at midday. */
const WINDOW = ["--minutes", "7", "--rate", "30"];

/** What each rule's alert fields must say about what was planted (the thresholds of its file). */
const FIELDS_AGREE: Record<string, (f: Record<string, any>) => boolean> = {
  "card-testing": (f) => f.total > 500,
  "impossible-travel": (f) => f.km > 500 && f.from !== f.to,
  "account-takeover": (f) => f.amount >= 1000 && f.minutesSinceReset < 60 && f.newPayee === true,
  "brute-force-login": (f) => f.failures >= 6 && f.failedFrom.length === f.failures && f.seconds < 600,
  "bust-out": (f) => f.percentOfLimit >= 90 && f.purchases >= 3 && f.newLimit > f.oldLimit,
  "dormant-account": (f) => f.dormantDays >= 90 && f.amount >= 500 && f.wokeWith === "login",
  "transfer-without-2fa": (f) => f.amount >= 250 || f.newPayee === true,
  "card-velocity": (f) => f.attempts === 8 && f.merchants.length === 8 && f.seconds < 600,
  "auth-not-captured": (f) => f.amount >= 1000,
  "probe-then-cash-out": (f) => f.probes.length === 2 && f.probes.every((p: number) => p < 5) && f.cashout >= 300,
};

let dir: string;
let ruleIds: string[];
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "vigil-fraud-"));
  const loaded = await loadRules(join(ROOT, "patterns"));
  ruleIds = loaded.rules.map((r) => r.id).sort();
  // both windows at once: the tests below wait for theirs
  void generateAndReplay(FIXED_SEED);
  void generateAndReplay(RANDOM_SEED);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function replay(events: string) {
  const r = await vigil("replay", "patterns", events, "--format", "jsonl");
  expect(r.code, r.stderr).toBe(0);
  return { alerts: parseLines<ReplayedAlert>(r.stdout), stderr: r.stderr };
}

/** Generates a window with the generator's CLI and replays every rule over it; once per seed. */
const runs = new Map<number, Promise<{ out: string; expected: ExpectedAlert[]; alerts: ReplayedAlert[]; stderr: string }>>();
function generateAndReplay(seed: number) {
  let run = runs.get(seed);
  if (run === undefined) {
    run = (async () => {
      const out = join(dir, `seed-${seed}`);
      const gen = await runTs("examples/fraud/generate.ts", ["--out", out, "--seed", String(seed), ...WINDOW]);
      expect(gen.code, gen.stderr).toBe(0);
      return { out, expected: await readExpected(out), ...(await replay(join(out, "events.jsonl"))) };
    })();
    run.catch(() => {}); // reported by the test that awaits it
    runs.set(seed, run);
  }
  return run;
}

/** The fenced block after `<!-- fraud:NAME -->` in docs/fraud-rules.md. */
function docBlock(doc: string, name: string): string {
  const m = new RegExp(`<!-- fraud:${name} -->\\s*\`\`\`[a-z]*\\n([\\s\\S]*?)\\n\`\`\``).exec(doc);
  if (m === null) throw new Error(`no fraud:${name} block in docs/fraud-rules.md`);
  return m[1];
}

describe("the fraud deployment: every rule of patterns/ over generated traffic", () => {
  test("vigil validate patterns/ accepts every rule, and every rule has a scenario", async () => {
    let stdout = "";
    let stderr = "";
    const code = await main(["node", "vigil", "validate", "patterns/"], { stdout: { write: (t: string) => (stdout += t) }, stderr: { write: (t: string) => (stderr += t) } });
    expect(stderr).toBe("");
    expect(code).toBe(0);
    expect(stdout.trim().split("\n").sort()).toEqual(ruleIds.map((id) => expect.stringMatching(new RegExp(`^ok patterns/${id}\\.json \\(${id} v\\d+\\)$`))));
    expect(Object.keys(FIELDS_AGREE).sort()).toEqual(ruleIds);
  });

  for (const [label, seed] of [["fixed seed", FIXED_SEED], [`random seed ${RANDOM_SEED} (rerun with FRAUD_SEED=${RANDOM_SEED})`, RANDOM_SEED]] as const) {
    test(`${label}: every planted alert is raised (rule, key, time) and no other`, async () => {
      const { expected, alerts, stderr } = await generateAndReplay(seed);

      expect(signatures(alerts)).toEqual(signatures(expected));
      expect([...new Set(expected.map((e) => e.rule))].sort()).toEqual(ruleIds); // one scenario per rule at least
      for (const a of alerts) expect(FIELDS_AGREE[a.rule](a.fields), `${a.rule} ${JSON.stringify(a.fields)}`).toBe(true);
      expect(alerts.filter((a) => a.timedOut)).toEqual([]);
      const summary = /^summary: (\d+) events read, (\d+) invalid, (\d+) alerts?$/m.exec(stderr);
      expect(summary?.slice(2)).toEqual(["0", String(expected.length)]);
      expect(Number(summary?.[1])).toBeGreaterThan(15_000);
    });
  }

  test("docs/fraud-rules.md shows the fixed seed's summary and expected alerts", async () => {
    const { out, stderr } = await generateAndReplay(FIXED_SEED);
    const doc = await readFile(join(ROOT, "docs/fraud-rules.md"), "utf8");
    expect(doc).toContain(`generate.ts --out /tmp/fraud --seed ${FIXED_SEED} ${WINDOW.join(" ")}\n`);
    expect(stderr.slice(stderr.indexOf("summary: ")).trimEnd()).toBe(docBlock(doc, "summary"));
    expect((await readFile(join(out, "expected-alerts.jsonl"), "utf8")).trimEnd()).toBe(docBlock(doc, "expected"));
  });

  test("three more seeds with few accounts, so that clean customers are busy enough to meet every guard", async () => {
    const check = async (seed: number) => {
      const traffic = generateTraffic({ seed, minutes: 10, rate: 5, accounts: 1000 });
      const perAccount = traffic.events.length / new Set(traffic.events.map((e) => e.accountId)).size;
      expect(perAccount, `seed ${seed}`).toBeGreaterThan(3);
      const out = join(dir, `busy-${seed}`);
      await mkdir(out, { recursive: true });
      await writeFile(join(out, "events.jsonl"), traffic.events.map((e) => `${JSON.stringify(e)}\n`).join(""));
      const { alerts } = await replay(join(out, "events.jsonl"));
      expect(signatures(alerts), `seed ${seed}`).toEqual(signatures(traffic.expected));
    };
    await Promise.all([1, 2, 3].map(check));
  });

  test("the generator is deterministic for a seed and differs between seeds", () => {
    const options = { minutes: 6, rate: 2 };
    const a = generateTraffic({ seed: 7, ...options });
    const b = generateTraffic({ seed: 7, ...options });
    const c = generateTraffic({ seed: 8, ...options });
    expect(b).toEqual(a);
    expect(a.events.length).toBeGreaterThan(500);
    expect(signatures(c.expected)).not.toEqual(signatures(a.expected));
    const times = a.events.map((e) => e.ts);
    expect([...times].sort((x, y) => x - y)).toEqual(times);
  });
});
