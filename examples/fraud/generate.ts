/**
 * Writes a realistic day (or a few minutes) of bank traffic with fraud planted at known points:
 *
 *   npx tsx examples/fraud/generate.ts --out <dir> [--seed N] [--minutes M] [--rate R] [--start ISO] [--accounts N]
 *
 * <dir>/events.jsonl holds the events in event-time order; <dir>/expected-alerts.jsonl the alerts
 * that `vigil replay patterns <dir>/events.jsonl` must raise: {rule, key, time, scenario}. The same
 * options always give the same files. See examples/fraud/README.md.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { DEFAULT_START_MS, generateTraffic } from "./traffic.js";

const USAGE = "usage: npx tsx examples/fraud/generate.ts --out <dir> [--seed N] [--minutes M] [--rate R] [--start ISO] [--accounts N]";

async function main(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        out: { type: "string" },
        seed: { type: "string", default: "1" },
        minutes: { type: "string", default: "10" },
        rate: { type: "string", default: "50" },
        start: { type: "string" },
        accounts: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (values.out === undefined) {
    process.stderr.write(`--out is required\n${USAGE}\n`);
    return 2;
  }
  const startMs = values.start === undefined ? DEFAULT_START_MS : Date.parse(values.start);
  let traffic;
  try {
    if (Number.isNaN(startMs)) throw new RangeError(`--start is not an ISO-8601 time: ${values.start}`);
    traffic = generateTraffic({
      seed: Number(values.seed),
      minutes: Number(values.minutes),
      rate: Number(values.rate),
      startMs,
      ...(values.accounts !== undefined && { accounts: Number(values.accounts) }),
    });
  } catch (err) {
    if (!(err instanceof RangeError)) throw err;
    process.stderr.write(`${err.message}\n${USAGE}\n`);
    return 2;
  }
  await mkdir(values.out, { recursive: true });
  await writeFile(join(values.out, "events.jsonl"), lines(traffic.events));
  await writeFile(join(values.out, "expected-alerts.jsonl"), lines(traffic.expected));
  process.stderr.write(
    `wrote ${traffic.events.length} events (${traffic.planted} planted by scenarios) to ${join(values.out, "events.jsonl")}\n` +
      `wrote ${traffic.expected.length} expected alerts to ${join(values.out, "expected-alerts.jsonl")}\n`,
  );
  return 0;
}

const lines = (items: readonly unknown[]): string => items.map((x) => `${JSON.stringify(x)}\n`).join("");

process.exitCode = await main(process.argv.slice(2));
