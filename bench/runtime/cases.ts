/**
 * The cases of `bench:runtime`. Each checks that its sides produce the same output (a checksum
 * of it: counts and sums, or the CEP matches by event id), then times them the same way
 * (`timing.ts`) and returns one result per case (per rule for CEP), printing `#` lines of detail
 * through `log`.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { StreamExecutionEnvironment } from "../../src/runtime/index.js";
import { heapBackend, levelDbBackend, type StateBackendFactory } from "../../src/state/index.js";
import { compile } from "../../src/cep/index.js";
import { describeDiff, diffAlerts } from "../cep/alerts.js";
import { generateTxns } from "../cep/generate.js";
import { PATTERNS } from "../cep/patterns.js";
import { CASE_NAMES } from "../cep/rules.js";
import { cepEngineDirect, cepMatchKeys, cepOperatorPath } from "./cep-path.js";
import { cloneCost, windowJobOnWorkers } from "./parallel.js";
import { handWrittenStateless, rxjsStateless, statelessChecksums, vigilStateless } from "./stateless.js";
import { fmtRuns, perSec, round, timeOnce, timeSides, type Side, type SideTiming } from "./timing.js";
import { handWrittenWindows, handWrittenWindowsWithEvents, rxjsPerKeyGroupByWindows, rxjsWindows } from "./window-baselines.js";
import { formatChecksum } from "./window-checksum.js";
import { spanMs, type WindowInput } from "./window-events.js";
import { buildWindowJob } from "./window-job.js";

/** Sizes and knobs of a benchmark run (`run.ts` parses them from the command line). */
export interface RuntimeBenchOptions {
  /** Case 1: numbers through map-filter-map. */
  readonly events: number;
  /** Cases 2 and 5: window events. */
  readonly windowEvents: number;
  readonly keys: number;
  /** Window events per millisecond of event time. */
  readonly eventsPerMs: number;
  /** Case 3: window events on LevelDB (and on the heap, for the ratio). */
  readonly leveldbEvents: number;
  /** Case 4: card events and cards (the `bench:cep` generator). */
  readonly cepEvents: number;
  readonly cards: number;
  readonly seed: number;
  /** `rxjs-groupby`: window events for RxJS `groupBy` per key. */
  readonly groupByEvents: number;
  /** Exactly this many timing rounds per case; default: as many as fit the case's budget. */
  readonly rounds?: number;
  /** Multiplies every case's time budget (0: one round each, as the smoke test does). */
  readonly budgetScale: number;
  /** Case 5: also time the start-up of a worker job of 1,000 events (on 1 and 2 threads). */
  readonly startupProbe: boolean;
}

export const DEFAULT_OPTIONS: RuntimeBenchOptions = {
  events: 10_000_000,
  windowEvents: 5_000_000,
  keys: 100_000,
  eventsPerMs: 5,
  leveldbEvents: 1_000_000,
  cepEvents: 1_000_000,
  cards: 10_000,
  seed: 42,
  groupByEvents: 100_000,
  budgetScale: 1,
  startupProbe: true,
};

/** The cases, in the order they run; `rxjs-groupby` only when asked for. */
export const CASE_IDS = ["stateless", "window", "leveldb", "cep", "parallel", "rxjs-groupby"] as const;
export type CaseId = (typeof CASE_IDS)[number];
export const DEFAULT_CASES: readonly CaseId[] = ["stateless", "window", "leveldb", "cep", "parallel"];

/**
 * One JSON line of the output: `eventsPerSec` is the case's subject (Vigil, or LevelDB, or
 * parallelism 2, or RxJS for `rxjs-groupby`), `ratio` its time / the baseline's time.
 */
export interface CaseResult {
  readonly bench: string;
  readonly eventsPerSec: number;
  readonly baseline: string;
  readonly baselineEventsPerSec: number;
  readonly ratio: number;
  readonly [more: string]: string | number;
}

export type Log = (line: string) => void;

/** Time budget of each case's timed rounds, ms (before `budgetScale`). */
const BUDGET_MS: Record<CaseId, number> = {
  stateless: 15_000,
  window: 45_000,
  leveldb: 30_000,
  cep: 20_000,
  parallel: 45_000,
  "rxjs-groupby": 0,
};

/** Timing options of a case; `share` of its budget (the CEP case splits it between its rules). */
function timing(o: RuntimeBenchOptions, id: CaseId, expected: string, perGc: number, share = 1) {
  return { expected, perGc, budgetMs: BUDGET_MS[id] * o.budgetScale * share, maxRounds: 7, rounds: o.rounds };
}

/** `Vigil ms 980/1010 (cpu 950/990); …`: wall and CPU time of every timed run. */
function describeRuns(t: readonly SideTiming[]): string {
  return t.map((s) => `${s.name} ms ${fmtRuns(s.ms)} (cpu ${fmtRuns(s.cpuMs)})`).join("; ");
}

function windowInput(o: RuntimeBenchOptions, events: number): WindowInput {
  return { events, keys: o.keys, eventsPerMs: o.eventsPerMs };
}

async function vigilWindows(input: WindowInput, backend: () => StateBackendFactory): Promise<string> {
  const env = new StreamExecutionEnvironment();
  const sink = buildWindowJob(env, { ...input, parallelism: 1, backend: backend() });
  await env.execute("window job");
  return formatChecksum(sink.total());
}

/** Case 1: map-filter-map, Vigil vs a hand-written loop vs RxJS. */
async function stateless(o: RuntimeBenchOptions, log: Log): Promise<CaseResult[]> {
  const n = o.events;
  const sums = await statelessChecksums(n);
  const agree = sums.vigil === sums.handWritten && sums.rxjs === sums.handWritten;
  log(`# check map-filter-map: count:sum of the output, Vigil ${sums.vigil}, hand-written ${sums.handWritten}, RxJS ${sums.rxjs}: ` +
    (agree ? "equal" : "DIFFERENT"));
  if (!agree) throw new Error("map-filter-map: the sides' outputs differ");
  const expected = sums.handWritten.split(":")[0];
  const sides: Side[] = [
    { name: "Vigil", run: () => vigilStateless(n) },
    { name: "hand-written", run: () => handWrittenStateless(n) },
    { name: "RxJS", run: () => rxjsStateless(n) },
  ];
  for (const s of sides) await s.run(); // warm-up
  const [v, h, r] = await timeSides(sides, timing(o, "stateless", expected, 3));
  log(`# map-filter-map over ${n.toLocaleString("en-US")} numbers: ${describeRuns([v, h, r])}`);
  return [{
    bench: "runtime-map-filter-map",
    eventsPerSec: perSec(n, v.medianMs),
    baseline: "hand-written",
    baselineEventsPerSec: perSec(n, h.medianMs),
    ratio: round(v.medianMs / h.medianMs, 2),
    rxjsEventsPerSec: perSec(n, r.medianMs),
    rxjsRatio: round(v.medianMs / r.medianMs, 2),
    events: n,
    output: Number(expected),
  }];
}

/** Case 2: one-minute tumbling count-and-sum per key, Vigil (heap) vs hand-written vs RxJS. */
async function windows(o: RuntimeBenchOptions, log: Log): Promise<CaseResult[]> {
  const input = windowInput(o, o.windowEvents);
  const first = await timeOnce(() => handWrittenWindows(input));
  const expected = first.checksum;
  log(`# window input: ${input.events.toLocaleString("en-US")} events, ${input.keys.toLocaleString("en-US")} keys, ` +
    `${input.eventsPerMs} events/ms of event time (${(spanMs(input) / 60_000).toFixed(1)} min); expected output ${expected}`);
  const sides: Side[] = [
    { name: "Vigil", run: () => vigilWindows(input, heapBackend) },
    { name: "hand-written", run: () => handWrittenWindows(input) },
    { name: "hand-written with events", run: () => handWrittenWindowsWithEvents(input) },
    { name: "RxJS", run: () => rxjsWindows(input) },
  ];
  const [v, h, he, r] = await timeSides(sides, timing(o, "window", expected, 1));
  log(`# check window: every run of Vigil, hand-written (with and without events) and RxJS gave ${expected}`);
  log(`# window (heap backend): ${describeRuns([v, h, he, r])}`);
  log(`# the hand-written loop with its events kept as objects (as any runtime's are) takes ${round(he.medianMs / h.medianMs, 2)}x ` +
    `its time without them; Vigil takes ${round(v.medianMs / he.medianMs, 2)}x the time of the loop with events`);
  return [{
    bench: "runtime-window-heap",
    eventsPerSec: perSec(input.events, v.medianMs),
    baseline: "hand-written",
    baselineEventsPerSec: perSec(input.events, h.medianMs),
    ratio: round(v.medianMs / h.medianMs, 2),
    withEventsEventsPerSec: perSec(input.events, he.medianMs),
    withEventsRatio: round(v.medianMs / he.medianMs, 2),
    rxjsEventsPerSec: perSec(input.events, r.medianMs),
    rxjsRatio: round(v.medianMs / r.medianMs, 2),
    events: input.events,
    keys: input.keys,
    windows: Number(/windows=(\d+)/.exec(expected)![1]),
  }];
}

/**
 * The LevelDB cache for case 3: 400k entries (about 60 MB), room for the live windows of 100k keys.
 * With the default 100k entries most windows are written to disk before they close: about 10x the
 * heap's time instead of about 4x (measured; see RESULTS.md).
 */
const LEVELDB_CACHE_ENTRIES = 400_000;

/** Case 3: the window job on LevelDB vs on the heap. */
async function leveldb(o: RuntimeBenchOptions, log: Log): Promise<CaseResult[]> {
  const input = windowInput(o, o.leveldbEvents);
  const expected = handWrittenWindows(input);
  const dirs: string[] = [];
  const onLevelDb = (): StateBackendFactory => {
    const directory = mkdtempSync(join(tmpdir(), "vigil-bench-leveldb-"));
    dirs.push(directory);
    return levelDbBackend({ directory, cacheEntries: LEVELDB_CACHE_ENTRIES });
  };
  try {
    const sides: Side[] = [
      { name: "LevelDB", run: () => vigilWindows(input, onLevelDb) },
      { name: "heap", run: () => vigilWindows(input, heapBackend) },
    ];
    const [l, h] = await timeSides(sides, timing(o, "leveldb", expected, 1));
    log(`# LevelDB cache: ${LEVELDB_CACHE_ENTRIES.toLocaleString("en-US")} entries`);
    log(`# check window on LevelDB: every run on LevelDB and on the heap gave ${expected} (as the hand-written loop)`);
    log(`# window, ${input.events.toLocaleString("en-US")} events: ${describeRuns([l, h])}`);
    return [{
      bench: "runtime-window-leveldb",
      eventsPerSec: perSec(input.events, l.medianMs),
      baseline: "vigil-heap",
      baselineEventsPerSec: perSec(input.events, h.medianMs),
      ratio: round(l.medianMs / h.medianMs, 2),
      events: input.events,
      keys: input.keys,
    }];
  } finally {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
}

/** Case 4: the CEP rules of `bench:cep` through source -> keyBy -> CEP -> sink vs `KeyedMatcher`. */
async function cep(o: RuntimeBenchOptions, log: Log): Promise<CaseResult[]> {
  const { events } = generateTxns({ events: o.cepEvents, cards: o.cards, seed: o.seed });
  const results: CaseResult[] = [];
  for (const name of CASE_NAMES) {
    const { operator, engine } = await cepMatchKeys(name, events); // the check, and a warm-up of both sides
    const diff = diffAlerts(operator, engine);
    const agree = diff.onlyLeft.length === 0 && diff.onlyRight.length === 0;
    log(`# check cep-${name}: ${operator.length} matches through the operator, ${engine.length} from KeyedMatcher, ` +
      (agree ? "the same (by card and event ids)" : `DIFFERENT\n${describeDiff(diff, "operator", "KeyedMatcher")}`));
    if (!agree) throw new Error(`cep-${name}: the operator path and KeyedMatcher disagree`);
    const nfa = compile(PATTERNS[name]());
    const sides: Side[] = [
      { name: "operator", run: () => cepOperatorPath(name, events) },
      { name: "KeyedMatcher", run: () => cepEngineDirect(nfa, events) },
    ];
    const [op, km] = await timeSides(sides, timing(o, "cep", String(engine.length), 3, 1 / CASE_NAMES.length));
    log(`# cep-${name}, ${events.length.toLocaleString("en-US")} events, ${o.cards.toLocaleString("en-US")} cards: ${describeRuns([op, km])}`);
    results.push({
      bench: `runtime-cep-${name}`,
      eventsPerSec: perSec(events.length, op.medianMs),
      baseline: "keyed-matcher",
      baselineEventsPerSec: perSec(events.length, km.medianMs),
      ratio: round(op.medianMs / km.medianMs, 2),
      alerts: engine.length,
    });
  }
  return results;
}

/** Two copies of the parallelism-1 window job at once, each on its own worker thread; the checksum both gave. */
async function twoJobsAtOnce(input: WindowInput): Promise<string> {
  const [a, b] = await Promise.all([windowJobOnWorkers(input, 1), windowJobOnWorkers(input, 1)]);
  if (a !== b) throw new Error(`two copies of the window job disagree: ${a} vs ${b}`);
  return a;
}

/** Case 5: the window job on 2 worker threads (parallelism 2) vs 1 (parallelism 1). */
async function parallel(o: RuntimeBenchOptions, log: Log): Promise<CaseResult[]> {
  const input = windowInput(o, o.windowEvents);
  const expected = handWrittenWindows(input);
  let startup = "";
  if (o.startupProbe) {
    // start-up alone: workers, job module, graph, for a job of (almost) no events
    const tiny = windowInput(o, 1000);
    const ms1 = (await timeOnce(() => windowJobOnWorkers(tiny, 1))).ms;
    const ms2 = (await timeOnce(() => windowJobOnWorkers(tiny, 2))).ms;
    startup = `; start-up of a 1,000-event job: ${ms1.toFixed(0)} ms on 1 thread, ${ms2.toFixed(0)} ms on 2`;
  }
  const sides: Side[] = [
    { name: "parallelism 2", run: () => windowJobOnWorkers(input, 2) },
    { name: "parallelism 1", run: () => windowJobOnWorkers(input, 1) },
    { name: "parallelism 2 key-partitioned", run: () => windowJobOnWorkers(input, 2, true) },
    // what two cores give this job at best: two independent copies at once, on a thread each
    { name: "two parallelism-1 jobs at once", run: () => twoJobsAtOnce(input) },
  ];
  const [p2, p1, p2k, twice] = await timeSides(sides, timing(o, "parallel", expected, 1));
  // throughput of the two copies together against one alone: the most 2 threads can give here
  const ceiling = round((2 * p1.medianMs) / twice.medianMs, 2);
  log(`# check window-parallel: every run at parallelism 1 and 2 (hash exchange and key-partitioned source) gave ${expected} (as the hand-written loop)`);
  log(`# window on worker threads: ${describeRuns([p2, p1, p2k, twice])}${startup}`);
  log(`# two copies of the parallelism-1 job at once finish ${ceiling}x the work of one in the same time: the ceiling of any speedup on this machine for this job`);
  log(`# at parallelism 2 with keyBy about half of the events (those of the other worker's key groups) cross threads: ` +
    `${cloneCost(input)}; from the key-partitioned source (reinterpretAsKeyedStream) none do`);
  const common = {
    baseline: "parallelism-1",
    baselineEventsPerSec: perSec(input.events, p1.medianMs),
    events: input.events,
    keys: input.keys,
  };
  return [
    {
      bench: "runtime-window-parallel",
      eventsPerSec: perSec(input.events, p2.medianMs),
      ...common,
      ratio: round(p2.medianMs / p1.medianMs, 2),
      speedup: round(p1.medianMs / p2.medianMs, 2),
    },
    {
      bench: "runtime-window-parallel-partitioned",
      eventsPerSec: perSec(input.events, p2k.medianMs),
      ...common,
      ratio: round(p2k.medianMs / p1.medianMs, 2),
      speedup: round(p1.medianMs / p2k.medianMs, 2),
      machineCeiling: ceiling,
    },
  ];
}

/** Not run by default: RxJS with `groupBy` per key, on a smaller input, vs the hand-written loop. */
async function rxjsGroupBy(o: RuntimeBenchOptions, log: Log): Promise<CaseResult[]> {
  const input = windowInput(o, o.groupByEvents);
  const h = await timeOnce(() => handWrittenWindows(input));
  const r = await timeOnce(() => rxjsPerKeyGroupByWindows(input));
  const agree = r.checksum === h.checksum;
  log(`# check window-rxjs-groupby: RxJS ${r.checksum}, hand-written ${h.checksum}: ${agree ? "equal" : "DIFFERENT"}`);
  if (!agree) throw new Error("rxjs-groupby: RxJS and the hand-written loop disagree");
  log(`# RxJS groupBy per key, ${input.events.toLocaleString("en-US")} events, ${input.keys.toLocaleString("en-US")} keys, one run each: ` +
    `RxJS ${r.ms.toFixed(0)} ms, hand-written ${h.ms.toFixed(0)} ms`);
  return [{
    bench: "runtime-window-rxjs-groupby",
    eventsPerSec: perSec(input.events, r.ms),
    baseline: "hand-written",
    baselineEventsPerSec: perSec(input.events, h.ms),
    ratio: round(r.ms / h.ms, 2),
    events: input.events,
    keys: input.keys,
  }];
}

/** Every case by id. */
export const CASES: Record<CaseId, (o: RuntimeBenchOptions, log: Log) => Promise<CaseResult[]>> = {
  stateless,
  window: windows,
  leveldb,
  cep,
  parallel,
  "rxjs-groupby": rxjsGroupBy,
};
