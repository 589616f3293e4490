/**
 * Compares the alerts of a replay with the alerts a generated file must raise:
 *
 *   npx tsx examples/fraud/check.ts <dir>/expected-alerts.jsonl <alerts.jsonl>
 *
 * An alert matches an expected one when rule, key and time agree (each counted once). Prints
 * what is missing and what is extra; exits 0 when there is neither, 1 otherwise.
 */
import { readFile } from "node:fs/promises";

interface Keyed {
  readonly rule: string;
  readonly key: unknown;
  readonly time: number;
  readonly scenario?: string;
}

const signature = (a: Keyed): string => `${a.rule} ${JSON.stringify(a.key)} ${new Date(a.time).toISOString()}`;

async function read(path: string): Promise<Keyed[]> {
  const text = await readFile(path, "utf8");
  return text.split("\n").filter((l) => l.trim() !== "").map((l) => JSON.parse(l) as Keyed);
}

async function main([expectedPath, alertsPath, ...rest]: string[]): Promise<number> {
  if (expectedPath === undefined || alertsPath === undefined || rest.length > 0) {
    process.stderr.write("usage: npx tsx examples/fraud/check.ts <expected-alerts.jsonl> <alerts.jsonl>\n");
    return 2;
  }
  const expected = await read(expectedPath);
  const unmatched = new Map<string, number>();
  for (const a of await read(alertsPath)) unmatched.set(signature(a), (unmatched.get(signature(a)) ?? 0) + 1);
  const missing: Keyed[] = [];
  for (const e of expected) {
    const n = unmatched.get(signature(e)) ?? 0;
    if (n === 0) missing.push(e);
    else unmatched.set(signature(e), n - 1);
  }
  const extra = [...unmatched].flatMap(([s, n]) => Array.from({ length: n }, () => s));
  for (const e of missing) process.stdout.write(`missing ${signature(e)} (scenario ${e.scenario ?? "?"})\n`);
  for (const s of extra) process.stdout.write(`extra   ${s}\n`);
  process.stdout.write(`${expected.length - missing.length} of ${expected.length} expected alerts raised, ${extra.length} unexpected\n`);
  return missing.length === 0 && extra.length === 0 ? 0 : 1;
}

process.exitCode = await main(process.argv.slice(2));
