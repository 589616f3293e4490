/**
 * `npm run bench:soak`: the crash test (test/runtime/checkpoint/crash.test.ts) as a soak. The
 * fraud job (`fraud-job.ts`: keyed one-minute windows and a CEP pattern over transactions from a
 * JSON-lines file, to the exactly-once file sink, a checkpoint every 100 ms, heap backend,
 * parallelism 2) runs over 1,000,000 generated transactions in a child process that is killed
 * with SIGKILL 20 times at random moments and restarted each time from its latest checkpoint;
 * then a fault-free run of the same job over the same input gives the reference. The committed
 * outputs are compared as multisets of lines: any line missing, repeated or unexpected fails the
 * soak (exit status 1).
 *
 * The killed run reads at most `rate` transactions per second, so that all the kills land while
 * it runs: by default the input would last about 1.5x the expected sum of the kill delays plus
 * 5 s. The reference run reads at full speed (the output does not depend on the speed: the
 * soak checks exactly that too).
 *
 * Options: `--events N` (1,000,000), `--kills K` (20), `--seed S` (default: from the clock; printed
 * to reproduce the kill delays), `--cards N` (2,000), `--rate N` (transactions/s; default: from
 * the above), `--min-delay MS` (400), `--max-delay MS` (2000): each kill comes at a uniformly random
 * moment in [min, max) after the job reports it is running. Run after `npm run build`.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { readCommitted } from "../../src/connectors/index.js";
import { runWithKills, seededRandom } from "./crash-runner.js";
import { generateTransactions } from "./fraud-job.js";

interface SoakOptions {
  events: number;
  kills: number;
  seed: number;
  cards: number;
  rate: number | undefined;
  minDelayMs: number;
  maxDelayMs: number;
}

/** The multiset difference of two lists of lines. */
export function compareMultisets(expected: readonly string[], actual: readonly string[]): { missing: number; duplicated: number; unexpected: number; examples: string[] } {
  const count = new Map<string, number>();
  for (const l of expected) count.set(l, (count.get(l) ?? 0) + 1);
  const seen = new Map<string, number>();
  let duplicated = 0;
  let unexpected = 0;
  const examples: string[] = [];
  for (const l of actual) {
    const n = (seen.get(l) ?? 0) + 1;
    seen.set(l, n);
    const allowed = count.get(l) ?? 0;
    if (n > allowed) {
      if (allowed === 0) unexpected++;
      else duplicated++;
      if (examples.length < 5) examples.push(`${allowed === 0 ? "unexpected" : "repeated"}: ${l}`);
    }
  }
  let missing = 0;
  for (const [l, n] of count) {
    const got = seen.get(l) ?? 0;
    if (got < n) {
      missing += n - got;
      if (examples.length < 10) examples.push(`missing: ${l}`);
    }
  }
  return { missing, duplicated, unexpected, examples };
}

function parseArgs(argv: string[]): SoakOptions {
  const o: SoakOptions = { events: 1_000_000, kills: 20, seed: Date.now() % 100_000, cards: 2_000, rate: undefined, minDelayMs: 400, maxDelayMs: 2000 };
  const flags: Record<string, keyof SoakOptions> = {
    "--events": "events",
    "--kills": "kills",
    "--seed": "seed",
    "--cards": "cards",
    "--rate": "rate",
    "--min-delay": "minDelayMs",
    "--max-delay": "maxDelayMs",
  };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]];
    const key = flags[flag];
    if (key === undefined) throw new Error(`unknown option "${flag}" (${Object.keys(flags).join(", ")})`);
    const n = Number(value);
    if (!Number.isInteger(n) || n < (key === "seed" || key === "kills" ? 0 : 1)) throw new Error(`${flag}: expected a ${key === "seed" || key === "kills" ? "non-negative" : "positive"} integer, got "${value}"`);
    o[key] = n as never;
  }
  if (o.maxDelayMs <= o.minDelayMs) throw new Error("--max-delay must be greater than --min-delay");
  return o;
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const started = performance.now();
  const meanDelayS = (o.minDelayMs + o.maxDelayMs) / 2000;
  const rate = o.rate ?? Math.max(1000, Math.round(o.events / (o.kills * meanDelayS * 1.5 + 5)));
  const job = fileURLToPath(new URL("./fraud-job.js", import.meta.url));
  const root = mkdtempSync(join(tmpdir(), "vigil-soak-"));
  const input = join(root, "transactions.jsonl");
  const args = (out: string, ckpt: string, r: number | "Infinity") => [job, input, join(root, out), join(root, ckpt), "100", "heap", String(r)];
  let ok = false;
  try {
    console.log(`# vigil bench:soak  node ${process.version}  seed ${o.seed}: ${o.events.toLocaleString("en-US")} transactions over ${o.cards.toLocaleString("en-US")} cards, ` +
      `${o.kills} SIGKILLs each ${o.minDelayMs}-${o.maxDelayMs} ms after the job runs, killed run throttled to ${rate.toLocaleString("en-US")} transactions/s; in ${root}`);
    writeFileSync(input, generateTransactions(o.events, o.cards).map((t) => JSON.stringify(t)).join("\n") + "\n");

    const t0 = performance.now();
    const run = await runWithKills({
      command: process.execPath,
      args: args("out", "ckpt", rate),
      kills: o.kills,
      minDelayMs: o.minDelayMs,
      maxDelayMs: o.maxDelayMs,
      random: seededRandom(o.seed),
    });
    const killedMs = performance.now() - t0;
    const fromCheckpoint = run.restoredFrom.filter((r) => r.includes("chk-"));
    const distinct = new Set(fromCheckpoint).size;
    console.log(`# killed run: ${run.kills} kills, ${run.starts} starts in ${(killedMs / 1000).toFixed(1)} s; ${fromCheckpoint.length} starts restored a checkpoint ` +
      `(${distinct} different ones), ${run.restoredFrom.filter((r) => r === "fresh").length} started fresh; kill delays ${run.killDelays.join(", ")} ms`);

    const t1 = performance.now();
    const reference = await runWithKills({ command: process.execPath, args: args("reference", "reference-ckpt", "Infinity"), kills: 0, minDelayMs: 0, maxDelayMs: 0, random: Math.random });
    const referenceMs = performance.now() - t1;
    if (reference.starts !== 1) throw new Error(`the reference run started ${reference.starts} times`);
    console.log(`# reference run (no kills, full speed): ${(referenceMs / 1000).toFixed(1)} s`);

    const expected = await readCommitted<string>(join(root, "reference"), (l) => l);
    const actual = await readCommitted<string>(join(root, "out"), (l) => l);
    const diff = compareMultisets(expected, actual);
    const alerts = expected.filter((l) => l.includes('"alert"')).length;
    ok = diff.missing === 0 && diff.duplicated === 0 && diff.unexpected === 0 && actual.length === expected.length && expected.length > 0 && run.kills === o.kills;
    console.log(`# check: ${expected.length.toLocaleString("en-US")} committed records in the reference (${alerts.toLocaleString("en-US")} alerts, the rest minute totals), ` +
      `${actual.length.toLocaleString("en-US")} in the killed run; missing ${diff.missing}, repeated ${diff.duplicated}, unexpected ${diff.unexpected}: ` +
      (ok ? "the same multiset" : "DIFFERENT"));
    for (const e of diff.examples) console.log(`#   ${e}`);
    const wallMs = performance.now() - started;
    console.log(JSON.stringify({
      bench: "soak",
      events: o.events,
      kills: run.kills,
      starts: run.starts,
      restoresFromCheckpoint: fromCheckpoint.length,
      distinctCheckpointsRestored: distinct,
      referenceRecords: expected.length,
      records: actual.length,
      missing: diff.missing,
      duplicated: diff.duplicated,
      unexpected: diff.unexpected,
      seed: o.seed,
      rate,
      killedRunMs: Math.round(killedMs),
      referenceMs: Math.round(referenceMs),
      wallMs: Math.round(wallMs),
      ok,
    }));
    console.log(`# total ${(wallMs / 1000).toFixed(1)} s`);
  } finally {
    if (ok) rmSync(root, { recursive: true, force: true });
    else console.log(`# kept ${root} for inspection`);
  }
  if (!ok) process.exitCode = 1;
}

if (process.argv[1] !== undefined && /soak\.(ts|js)$/.test(process.argv[1])) {
  main().catch((e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  });
}
