/**
 * What the `bench:checkpoint` cases share: their options, their result lines, and small helpers
 * (a fresh temporary directory, the bytes under a directory, a logger that records the
 * coordinator's "checkpoint complete" lines).
 */
import { mkdtempSync, promises as fs } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import type { Logger } from "../../src/runtime/logger.js";

/** Sizes and knobs of a run (`run.ts` parses them from the command line). */
export interface CheckpointBenchOptions {
  /** throughput: window events per run on the heap backend. */
  readonly events: number;
  /** throughput: window events per run on LevelDB. */
  readonly leveldbEvents: number;
  /** throughput: events per run of the reduce job (heap backend only). */
  readonly reduceEvents: number;
  /** throughput: keys of the window job. */
  readonly keys: number;
  /** throughput: events per millisecond of event time. */
  readonly eventsPerMs: number;
  /** throughput: checkpoint interval of the checkpointed side (ms). */
  readonly intervalMs: number;
  /** state-size: keys of keyed state. */
  readonly stateKeys: number;
  /** state-size: keys changed before the second checkpoint (1% of `stateKeys` by default). */
  readonly changedKeys: number;
  /** state-size: repetitions of each timed step (median reported). */
  readonly repeats: number;
  /** Which backends the cases run on. */
  readonly backends: readonly Backend[];
  /** throughput: exactly this many rounds; default: as many as fit the budget. */
  readonly rounds?: number;
  /** Multiplies each case's time budget (0: one round, as the smoke test does). */
  readonly budgetScale: number;
}

export type Backend = "heap" | "leveldb";

export const DEFAULT_OPTIONS: CheckpointBenchOptions = {
  events: 10_000_000,
  leveldbEvents: 3_000_000,
  reduceEvents: 5_000_000,
  keys: 100_000,
  eventsPerMs: 5,
  intervalMs: 1000,
  stateKeys: 1_000_000,
  changedKeys: 10_000,
  repeats: 3,
  backends: ["heap", "leveldb"],
  budgetScale: 1,
};

/** One JSON line of the output. */
export interface CheckpointResult {
  readonly bench: string;
  readonly backend: Backend;
  readonly [more: string]: string | number | boolean;
}

export type Log = (line: string) => void;

/** A new empty directory under the system's temporary directory. */
export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `vigil-bench-${prefix}-`));
}

/** Bytes of every file under `dir` (as `du -sb`, without directory entries). */
export async function dirBytes(dir: string): Promise<number> {
  let total = 0;
  let entries: import("node:fs").Dirent[];
  try {
    entries = await fs.readdir(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) total += await dirBytes(p);
    else if (e.isFile()) total += (await fs.stat(p)).size;
  }
  return total;
}

/** What the coordinator logged for one stored checkpoint. */
export interface CheckpointLogLine {
  readonly checkpointId: number;
  readonly durationMs: number;
  readonly bytes: number;
}

/**
 * A logger at info level that keeps the coordinator's "checkpoint complete" lines (their
 * `durationMs` is trigger -> stored, measured by the coordinator) and drops everything else.
 */
export function checkpointLogger(): { logger: Logger; completed: CheckpointLogLine[] } {
  const completed: CheckpointLogLine[] = [];
  const logger = pino(
    { level: "info" },
    {
      write(line: string) {
        if (!line.includes("checkpoint complete")) return;
        const o = JSON.parse(line) as { checkpointId: number; durationMs: number; bytes: number };
        completed.push({ checkpointId: o.checkpointId, durationMs: o.durationMs, bytes: o.bytes });
      },
    },
  );
  return { logger, completed };
}

/** `1,234,567` */
export function fmtInt(n: number): string {
  return Math.round(n).toLocaleString("en-US");
}

/** `12.3 MB` (10^6 bytes) */
export function fmtMB(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
