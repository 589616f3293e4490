/**
 * `npm run bench:cep`: the CEP benchmark. For each rule, the Vigil engine and the hand-written
 * matcher run over the same generated stream in this one process; their alerts must agree as
 * multisets (else exit 1), then each side is timed, alternating, and the median is reported.
 *
 * Options: `--events N` (1,000,000), `--cards N` (10,000), `--seed N` (42), `--runs N` (7),
 * `--case sequence,card-testing,absence` (all). Run with `--expose-gc`.
 */
import { cpus } from "node:os";
import { compile } from "../../src/cep/index.js";
import { describeDiff, diffAlerts, matchKey } from "./alerts.js";
import { generateTxns } from "./generate.js";
import { MATCHERS } from "./matchers.js";
import { PATTERNS } from "./patterns.js";
import { CASE_NAMES, type CaseName } from "./rules.js";
import { countingCollector, runBaseline, runEngine, runEngineTracked, runLookupFloor, sinkCollector } from "./runners.js";

interface CaseResult {
  readonly bench: string;
  readonly eventsPerSec: number;
  readonly baseline: "hand-written";
  readonly baselineEventsPerSec: number;
  /** Engine time / baseline time: how many times slower the engine is. */
  readonly ratio: number;
  readonly peakPartialMatches: number;
  readonly heapUsedMB: number;
  readonly alerts: number;
}

const MB = 1024 * 1024;

function main(): void {
  const args = parseArgs(process.argv.slice(2));
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error("run with node --expose-gc (npm run bench:cep does)");

  console.log(`# vigil bench:cep  node ${process.version}  ${cpus().length} cpu(s)  ${cpus()[0]?.model ?? "?"}`);
  let t0 = performance.now();
  const { events, injected, spanMs } = generateTxns({ events: args.events, cards: args.cards, seed: args.seed });
  const genMs = performance.now() - t0;
  gc();
  const inputHeap = process.memoryUsage().heapUsed;
  console.log(`# ${events.length} events, ${args.cards} cards, seed ${args.seed}, span ${(spanMs / 3_600_000).toFixed(1)} h, ` +
    `generated in ${genMs.toFixed(0)} ms; heap with the input ${(inputHeap / MB).toFixed(1)} MB; ` +
    `injected: ${JSON.stringify(injected)}`);

  const floorMs: number[] = [];
  for (let r = 0; r < 5; r++) {
    t0 = performance.now();
    runLookupFloor(events);
    floorMs.push(performance.now() - t0);
  }
  console.log(`# floor of the engine path (a Map lookup per event, no matching): median ${median(floorMs).toFixed(0)} ms, ` +
    `${Math.round(events.length / (median(floorMs) / 1000)).toLocaleString("en-US")} events/s`);

  const results: CaseResult[] = [];
  let failed = false;
  for (const name of args.cases) {
    const nfa = compile(PATTERNS[name]());

    // 1. Agreement (doubles as the warm-up of both sides).
    t0 = performance.now();
    const engineKeys: string[] = [];
    runEngine(nfa, events, sinkCollector((m) => engineKeys.push(matchKey(m))));
    const firstPassMs = performance.now() - t0;
    const baselineKeys: string[] = [];
    runBaseline(MATCHERS[name]((m) => baselineKeys.push(matchKey(m))), events);
    const diff = diffAlerts(engineKeys, baselineKeys);
    if (diff.onlyLeft.length > 0 || diff.onlyRight.length > 0) {
      console.error(`!! cep-${name}: the engine and the hand-written matcher disagree ` +
        `(${engineKeys.length} vs ${baselineKeys.length} alerts)\n${describeDiff(diff, "engine", "hand-written")}`);
      failed = true;
      continue;
    }

    // 2. Footprint, untimed: exact peak of live partial matches, heap before the flush.
    gc();
    const footprint = runEngineTracked(nfa, events, countingCollector(), gc);

    // 3. Timing: two more warm-up runs per side with the timed collectors, then alternate the
    //    two sides, full GC before each run, and take the median of the runs.
    //    (A slow engine gets fewer runs so that the whole benchmark stays within a few minutes.)
    const slow = firstPassMs > 4_000;
    for (let w = 0; w < (slow ? 0 : 2); w++) {
      runEngine(nfa, events, countingCollector());
      runBaseline(MATCHERS[name](() => {}), events);
    }
    const runs = firstPassMs > 15_000 ? 1 : slow ? Math.min(3, args.runs) : args.runs;
    const engineMs: number[] = [];
    const baselineMs: number[] = [];
    let alerts = 0;
    for (let r = 0; r < runs; r++) {
      // Both sides are timed the same way: three runs after each full GC. (The first run after a
      // forced GC is slower on either side, as V8 regrows the young generation; timing one side
      // once per GC and the other three times would bias the ratio.)
      gc();
      for (let k = 0; k < 3; k++) {
        const out = countingCollector();
        t0 = performance.now();
        runEngine(nfa, events, out);
        engineMs.push(performance.now() - t0);
        alerts = out.count;
      }
      gc();
      for (let k = 0; k < 3; k++) {
        let baseCount = 0;
        const matcher = MATCHERS[name](() => { baseCount++; });
        t0 = performance.now();
        runBaseline(matcher, events);
        baselineMs.push(performance.now() - t0);
        if (baseCount !== alerts || alerts !== engineKeys.length) {
          throw new Error(`cep-${name}: alert counts changed between runs (${alerts}, ${baseCount}, ${engineKeys.length})`);
        }
      }
    }
    const eMs = median(engineMs);
    const bMs = median(baselineMs);
    const result: CaseResult = {
      bench: `cep-${name}`,
      eventsPerSec: Math.round(events.length / (eMs / 1000)),
      baseline: "hand-written",
      baselineEventsPerSec: Math.round(events.length / (bMs / 1000)),
      ratio: round(eMs / bMs, 2),
      peakPartialMatches: footprint.peakPartialMatches,
      heapUsedMB: round(footprint.heapUsedBytes / MB, 1),
      alerts,
    };
    results.push(result);
    console.log(`# cep-${name}: ${runs} rounds; engine ms ${fmtRuns(engineMs)}; hand-written ms ${fmtRuns(baselineMs)}; ` +
      `state ${((footprint.heapUsedBytes - inputHeap) / MB).toFixed(1)} MB over the input, ` +
      `${footprint.bufferEntries} shared-buffer entries before the flush`);
    console.log(JSON.stringify(result));
  }

  printTable(results);
  if (failed) {
    console.error("!! FAILED: the engine's alerts differ from the hand-written matcher's (see above)");
    process.exitCode = 1;
  }
}

interface Args {
  events: number;
  cards: number;
  seed: number;
  runs: number;
  cases: CaseName[];
}

function parseArgs(argv: string[]): Args {
  const args: Args = { events: 1_000_000, cards: 10_000, seed: 42, runs: 7, cases: [...CASE_NAMES] };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if (value === undefined) throw new Error(`${flag}: missing value`);
    if (flag === "--case") {
      const names = value.split(",");
      for (const n of names) {
        if (!(CASE_NAMES as readonly string[]).includes(n)) throw new Error(`--case: unknown case "${n}" (${CASE_NAMES.join(", ")})`);
      }
      args.cases = names as CaseName[];
    } else if (flag === "--events" || flag === "--cards" || flag === "--seed" || flag === "--runs") {
      const n = Number(value);
      if (!Number.isInteger(n) || n < (flag === "--seed" ? 0 : 1)) throw new Error(`${flag}: expected a positive integer, got "${value}"`);
      args[flag.slice(2) as "events" | "cards" | "seed" | "runs"] = n;
    } else {
      throw new Error(`unknown option "${flag}" (--events, --cards, --seed, --runs, --case)`);
    }
  }
  return args;
}

function printTable(results: readonly CaseResult[]): void {
  if (results.length === 0) return;
  console.log("\n| case | engine events/s | hand-written events/s | engine/hand-written time | peak partial matches | heap MB | alerts |");
  console.log("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
  for (const r of results) {
    console.log(`| ${r.bench} | ${r.eventsPerSec.toLocaleString("en-US")} | ${r.baselineEventsPerSec.toLocaleString("en-US")} | ` +
      `${r.ratio.toFixed(2)}x | ${r.peakPartialMatches.toLocaleString("en-US")} | ${r.heapUsedMB.toFixed(1)} | ${r.alerts.toLocaleString("en-US")} |`);
  }
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

function fmtRuns(ms: readonly number[]): string {
  return ms.map((x) => x.toFixed(0)).join("/");
}

main();
