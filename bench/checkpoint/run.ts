/**
 * `npm run bench:checkpoint`: what checkpoints cost. In one run: (1) `throughput`: keyed jobs over
 * 100,000 keys with a checkpoint every second vs without, timed alternately: the window job of
 * `bench:runtime` on the heap (10M events) and on LevelDB (3M events), and a running reduce on the
 * heap (5M events); (2) `state-size`: 1M keys of keyed state,
 * per backend: a full checkpoint's duration and size, a second one after changing 1% of the keys
 * (LevelDB writes only changed key groups), and the time to restore a job from it; (3)
 * `heap-snapshot`: a heap snapshot of 100,000 entries alone, packed against listed entry by entry.
 * One JSON line per result, then the goals.
 *
 * Options: `--case a,b` (throughput,state-size,heap-snapshot), `--backends heap,leveldb`, `--events N`
 * (10,000,000), `--leveldb-events N` (3,000,000), `--reduce-events N` (5,000,000), `--keys N` (100,000), `--events-per-ms N` (5),
 * `--interval N` (1000 ms), `--state-keys N` (1,000,000), `--changed-keys N` (10,000),
 * `--repeats N` (3), `--rounds N` (default: as many as fit the budget). Run with `--expose-gc`.
 */
import { cpus, loadavg, totalmem } from "node:os";
import { CASE_IDS, CASES, DEFAULT_OPTIONS, type Backend, type CaseId, type CheckpointBenchOptions, type CheckpointResult } from "./cases.js";
import { fmtInt, fmtMB } from "./common.js";

async function main(): Promise<void> {
  const { options, cases } = parseArgs(process.argv.slice(2));
  if ((globalThis as { gc?: () => void }).gc === undefined) throw new Error("run with node --expose-gc (npm run bench:checkpoint does)");
  const started = performance.now();
  console.log(`# vigil bench:checkpoint  node ${process.version}  ${cpus().length} cpu(s)  ${cpus()[0]?.model ?? "?"}  ` +
    `${(totalmem() / 2 ** 30).toFixed(0)} GB  load average ${fmtLoad()}`);
  const results: CheckpointResult[] = [];
  for (const id of cases) {
    const t0 = performance.now();
    for (const r of await CASES[id](options, (line) => console.log(line))) {
      console.log(JSON.stringify(r));
      results.push(r);
    }
    console.log(`# ${id}: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
  printSummary(results);
  console.log(`\n# total ${((performance.now() - started) / 1000).toFixed(1)} s, load average at the end ${fmtLoad()}`);
}

function parseArgs(argv: string[]): { options: CheckpointBenchOptions; cases: CaseId[] } {
  const options: { -readonly [K in keyof CheckpointBenchOptions]: CheckpointBenchOptions[K] } = { ...DEFAULT_OPTIONS };
  let cases: CaseId[] = [...CASE_IDS];
  const numeric: Record<string, keyof CheckpointBenchOptions> = {
    "--events": "events",
    "--leveldb-events": "leveldbEvents",
    "--reduce-events": "reduceEvents",
    "--keys": "keys",
    "--events-per-ms": "eventsPerMs",
    "--interval": "intervalMs",
    "--state-keys": "stateKeys",
    "--changed-keys": "changedKeys",
    "--repeats": "repeats",
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
    } else if (flag === "--backends") {
      const names = value.split(",");
      for (const b of names) if (b !== "heap" && b !== "leveldb") throw new Error(`--backends: unknown backend "${b}" (heap, leveldb)`);
      options.backends = names as Backend[];
    } else if (flag in numeric) {
      const n = Number(value);
      const ok = flag === "--events-per-ms" ? n > 0 && Number.isFinite(n) : Number.isInteger(n) && n >= 1;
      if (!ok) throw new Error(`${flag}: expected a positive ${flag === "--events-per-ms" ? "number" : "integer"}, got "${value}"`);
      (options as unknown as Record<string, number>)[numeric[flag]] = n;
    } else {
      throw new Error(`unknown option "${flag}" (--case, --backends, ${Object.keys(numeric).join(", ")})`);
    }
  }
  return { options, cases };
}

function printSummary(results: readonly CheckpointResult[]): void {
  const tp = results.filter((r) => r.bench === "checkpoint-throughput");
  if (tp.length > 0) {
    console.log("\n| job | backend | events/s, checkpoint every interval | events/s, no checkpoints | ratio | checkpoints per run (with the final one) | periodic checkpoint, median | goal >= 0.9 |");
    console.log("| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |");
    for (const r of tp) {
      console.log(`| ${r.job} | ${r.backend} | ${fmtInt(Number(r.eventsPerSec))} | ${fmtInt(Number(r.baselineEventsPerSec))} | ${Number(r.ratio).toFixed(2)} | ${r.checkpoints} | ` +
        `${r.periodicCheckpointMs} ms, ${fmtMB(Number(r.periodicCheckpointBytes))} | ${Number(r.ratio) >= 0.9 ? "met" : "NOT met"} |`);
    }
  }
  const ss = results.filter((r) => r.bench !== "checkpoint-throughput" && r.bench !== "heap-snapshot");
  if (ss.length > 0) {
    console.log("\n| backend | step | time | size | written | longest event-loop block |");
    console.log("| --- | --- | ---: | ---: | ---: | ---: |");
    for (const r of ss) {
      const step = r.bench === "checkpoint-full" ? `full checkpoint, ${fmtInt(Number(r.keys))} keys`
        : r.bench === "checkpoint-incremental" ? `after ${fmtInt(Number(r.changedKeys))} keys changed (${r.spread})`
        : "restore (executeAsync)";
      const ms = r.bench === "checkpoint-restore" ? r.restoreMs : r.checkpointMs;
      const written = r.bytesWritten === undefined ? "" : fmtMB(Number(r.bytesWritten));
      const block = r.maxBlockMs === undefined ? "" : `${r.maxBlockMs} ms`;
      console.log(`| ${r.backend} | ${step} | ${ms} ms | ${fmtMB(Number(r.size))} | ${written} | ${block} |`);
    }
  }
  const hs = results.filter((r) => r.bench === "heap-snapshot");
  if (hs.length > 0) {
    console.log("\n| state | form | entries | synchronous part (CPU) | CPU until resolved | per entry | bytes |");
    console.log("| --- | --- | ---: | ---: | ---: | ---: | ---: |");
    for (const r of hs) {
      console.log(`| ${r.shape} | ${r.form} | ${fmtInt(Number(r.entries))} | ${r.syncMs} ms | ${r.cpuMs} ms | ${r.nsPerEntry} ns | ${fmtMB(Number(r.bytes))} |`);
    }
  }
}

function fmtLoad(): string {
  return loadavg().map((x) => x.toFixed(2)).join(" ");
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
