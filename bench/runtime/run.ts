/**
 * `npm run bench:runtime`: the runtime benchmark. In one run: (1) a stateless map-filter-map
 * chain, Vigil vs a hand-written loop vs RxJS; (2) a keyed one-minute tumbling count-and-sum,
 * Vigil on the heap backend vs a hand-written loop vs RxJS; (3) the same on LevelDB vs the heap;
 * (4) the `bench:cep` rules through the CEP operator vs `KeyedMatcher`; (5) case 2 on two worker
 * threads vs one. Each case checks that its sides give the same output, then times them the same
 * way; one JSON line per case, then a table and the goals.
 *
 * Options: `--case a,b` (stateless,window,leveldb,cep,parallel; also rxjs-groupby),
 * `--events N` (10,000,000), `--window-events N` (5,000,000), `--keys N` (100,000),
 * `--events-per-ms N` (5), `--leveldb-events N` (1,000,000), `--cep-events N` (1,000,000),
 * `--cards N` (10,000), `--seed N` (42), `--groupby-events N` (100,000), `--rounds N` (default:
 * as many as fit each case's time budget). Run with `--expose-gc`.
 */
import { cpus, loadavg, totalmem } from "node:os";
import { CASE_IDS, CASES, DEFAULT_CASES, DEFAULT_OPTIONS, type CaseId, type CaseResult, type RuntimeBenchOptions } from "./cases.js";

/** The goals of the runtime benchmark, checked against the results. */
const GOALS: ReadonlyArray<{ bench: string; goal: string; met: (r: CaseResult) => boolean; got: (r: CaseResult) => string }> = [
  {
    bench: "runtime-map-filter-map",
    goal: ">= 10M events/s, one core",
    met: (r) => r.eventsPerSec >= 10_000_000,
    got: (r) => `${millions(r.eventsPerSec)} events/s`,
  },
  {
    bench: "runtime-window-heap",
    goal: ">= 5M events/s on the heap backend (Esper: 7.1M/s for a grouped sum)",
    met: (r) => r.eventsPerSec >= 5_000_000,
    got: (r) =>
      `${millions(r.eventsPerSec)} events/s (hand-written ${millions(r.baselineEventsPerSec)}, with its events as objects ${millions(Number(r.withEventsEventsPerSec))})`,
  },
  {
    bench: "runtime-window-leveldb",
    goal: "LevelDB within 3x of the heap",
    met: (r) => r.ratio <= 3,
    got: (r) => `${r.ratio.toFixed(2)}x`,
  },
  {
    bench: "runtime-window-parallel",
    goal: ">= 1.6x at parallelism 2 on 2 cores (keyBy: half the events cross threads)",
    met: (r) => Number(r.speedup) >= 1.6,
    got: (r) => `${Number(r.speedup).toFixed(2)}x`,
  },
  {
    bench: "runtime-window-parallel-partitioned",
    goal: ">= 1.6x at parallelism 2 on 2 cores (source partitioned by key group, reinterpretAsKeyedStream)",
    met: (r) => Number(r.speedup) >= 1.6,
    got: (r) => `${Number(r.speedup).toFixed(2)}x`,
  },
];

async function main(): Promise<void> {
  const { options, cases } = parseArgs(process.argv.slice(2));
  if ((globalThis as { gc?: () => void }).gc === undefined) throw new Error("run with node --expose-gc (npm run bench:runtime does)");
  const started = performance.now();
  console.log(`# vigil bench:runtime  node ${process.version}  ${cpus().length} cpu(s)  ${cpus()[0]?.model ?? "?"}  ` +
    `${(totalmem() / 2 ** 30).toFixed(0)} GB  load average ${fmtLoad()}`);
  const results: CaseResult[] = [];
  for (const id of cases) {
    const t0 = performance.now();
    for (const r of await CASES[id](options, (line) => console.log(line))) {
      console.log(JSON.stringify(r));
      results.push(r);
    }
    console.log(`# ${id}: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
  printTable(results);
  printGoals(results);
  console.log(`\n# total ${((performance.now() - started) / 1000).toFixed(1)} s, load average at the end ${fmtLoad()}`);
}

function parseArgs(argv: string[]): { options: RuntimeBenchOptions; cases: CaseId[] } {
  const options: { -readonly [K in keyof RuntimeBenchOptions]: RuntimeBenchOptions[K] } = { ...DEFAULT_OPTIONS };
  let cases: CaseId[] = [...DEFAULT_CASES];
  const numeric: Record<string, keyof RuntimeBenchOptions> = {
    "--events": "events",
    "--window-events": "windowEvents",
    "--keys": "keys",
    "--events-per-ms": "eventsPerMs",
    "--leveldb-events": "leveldbEvents",
    "--cep-events": "cepEvents",
    "--cards": "cards",
    "--seed": "seed",
    "--groupby-events": "groupByEvents",
    "--rounds": "rounds",
  };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if (value === undefined) throw new Error(`${flag}: missing value`);
    if (flag === "--case") {
      const ids = value.split(",");
      for (const id of ids) {
        if (!(CASE_IDS as readonly string[]).includes(id)) throw new Error(`--case: unknown case "${id}" (${CASE_IDS.join(", ")})`);
      }
      cases = ids as CaseId[];
    } else if (flag in numeric) {
      const n = Number(value);
      const ok = flag === "--events-per-ms" ? n > 0 && Number.isFinite(n) : Number.isInteger(n) && n >= (flag === "--seed" ? 0 : 1);
      if (!ok) throw new Error(`${flag}: expected a positive ${flag === "--events-per-ms" ? "number" : "integer"}, got "${value}"`);
      (options as unknown as Record<string, number>)[numeric[flag]] = n;
    } else {
      throw new Error(`unknown option "${flag}" (--case, ${Object.keys(numeric).join(", ")})`);
    }
  }
  return { options, cases };
}

function printTable(results: readonly CaseResult[]): void {
  if (results.length === 0) return;
  console.log("\n| case | events/s | baseline | baseline events/s | time / baseline time | RxJS events/s | Vigil time / RxJS time |");
  console.log("| --- | ---: | --- | ---: | ---: | ---: | ---: |");
  for (const r of results) {
    const rx = r.rxjsEventsPerSec === undefined ? "" : Number(r.rxjsEventsPerSec).toLocaleString("en-US");
    const rxRatio = r.rxjsRatio === undefined ? "" : `${Number(r.rxjsRatio).toFixed(2)}x`;
    console.log(`| ${r.bench} | ${r.eventsPerSec.toLocaleString("en-US")} | ${r.baseline} | ${r.baselineEventsPerSec.toLocaleString("en-US")} | ` +
      `${r.ratio.toFixed(2)}x | ${rx} | ${rxRatio} |`);
  }
}

function printGoals(results: readonly CaseResult[]): void {
  const rows = GOALS.flatMap((g) => {
    const r = results.find((x) => x.bench === g.bench);
    return r === undefined ? [] : [`| ${g.bench} | ${g.goal} | ${g.got(r)} | ${g.met(r) ? "met" : "NOT met"} |`];
  });
  if (rows.length === 0) return;
  console.log("\n| case | goal | measured | |");
  console.log("| --- | --- | --- | --- |");
  for (const row of rows) console.log(row);
}

function millions(n: number): string {
  return `${(n / 1e6).toFixed(2)}M`;
}

function fmtLoad(): string {
  return loadavg().map((x) => x.toFixed(2)).join(" ");
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
