/**
 * What the connector benchmarks share (JetStream now, Kafka later): the transactions they push
 * through a broker, the pattern both sides evaluate, command-line parsing, timing, and the output
 * (human-readable `#` lines and one JSON line per case).
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** One input event: a card transaction. */
export interface BenchTxn {
  readonly id: string;
  readonly card: string;
  readonly amount: number;
  readonly ts: number;
}

/** The alert both sides forward: a small transaction directly followed by a large one on the same card. */
export interface BenchAlert {
  readonly card: string;
  readonly small: string;
  readonly large: string;
}

/** The pattern's two conditions (the Vigil side's `where`s and the baseline's check are these functions). */
export const isSmall = (t: BenchTxn): boolean => t.amount < 5;
export const isLarge = (t: BenchTxn): boolean => t.amount > 500;

/** The alert's `Nats-Msg-Id` / Kafka key: a function of the alert, so a replay reproduces it. */
export const alertId = (a: BenchAlert): string => `${a.small}>${a.large}`;

/** sfc32, seeded: the same input on every run. */
export function rng(seed: number): () => number {
  let a = 0x9e3779b9 ^ seed;
  let b = 0x243f6a88;
  let c = 0xb7e15162;
  let d = seed | 0;
  return () => {
    a |= 0;
    b |= 0;
    c |= 0;
    d |= 0;
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
}

/**
 * `count` transactions over `cards` cards, encoded as JSON, and how many alerts they make: about
 * 30% are small and 30% large, so about 9% of the events complete a match.
 */
export function generateTxns(count: number, cards: number, seed = 42): { payloads: Uint8Array[]; alerts: number } {
  const next = rng(seed);
  const enc = new TextEncoder();
  const payloads: Uint8Array[] = new Array(count);
  const last = new Map<string, BenchTxn>();
  let alerts = 0;
  for (let i = 0; i < count; i++) {
    const r = next();
    const amount = r < 0.3 ? Math.floor(next() * 500) / 100 : r < 0.6 ? 501 + Math.floor(next() * 2000) : 5 + Math.floor(next() * 495);
    const t: BenchTxn = { id: `t${i}`, card: `c${Math.floor(next() * cards)}`, amount, ts: 1_700_000_000_000 + i };
    const prev = last.get(t.card);
    if (prev !== undefined && isSmall(prev) && isLarge(t)) alerts++;
    last.set(t.card, t);
    payloads[i] = enc.encode(JSON.stringify(t));
  }
  return { payloads, alerts };
}

/** One JSON line of a connector benchmark. */
export interface ConnectorBenchResult {
  readonly bench: string;
  readonly messagesPerSec: number;
  readonly baseline: string;
  readonly baselineMessagesPerSec: number;
  /** Vigil's rate over the baseline's (the goal is at least 0.8). */
  readonly ratio: number;
  readonly [more: string]: string | number | boolean;
}

/** `--name value` pairs of the command line, as numbers or strings. */
export function parseArgs(argv: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith("--")) throw new Error(`unexpected argument "${a}" (options are --name value)`);
    const eq = a.indexOf("=");
    if (eq > 0) out.set(a.slice(2, eq), a.slice(eq + 1));
    else out.set(a.slice(2), argv[++i] ?? "");
  }
  return out;
}

/** A positive integer option, or its default. */
export function intArg(args: Map<string, string>, name: string, dflt: number): number {
  const v = args.get(name);
  if (v === undefined) return dflt;
  const n = Number(v.replace(/_/g, ""));
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer, got "${v}"`);
  return n;
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Polls `cond` every `everyMs` until it holds; throws naming `what` after `timeoutMs`. */
export async function waitFor(cond: () => boolean, what: string, timeoutMs: number, everyMs = 2): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!cond()) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** A new empty directory under the system's temporary directory. */
export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `vigil-bench-${prefix}-`));
}

/** `123456.7` as `123,457`. */
export function fmt(n: number): string {
  return Math.round(n).toLocaleString("en-US");
}

export type Log = (line: string) => void;

/** One timed run of each side (ms). */
export interface RunTimes {
  readonly vigilMs: number;
  readonly baselineMs: number;
}

/**
 * Runs `runOnce` `runs` times (each run times both sides, alternating), logs each run and the
 * medians, and returns the JSON line's object (also logged).
 */
export async function compareRuns(options: {
  readonly bench: string;
  readonly baseline: string;
  readonly messages: number;
  readonly runs: number;
  readonly log: Log;
  readonly extra: Record<string, string | number | boolean>;
  readonly runOnce: (run: number) => Promise<RunTimes>;
}): Promise<ConnectorBenchResult> {
  const { messages, log } = options;
  const vigil: number[] = [];
  const base: number[] = [];
  const rate = (ms: number) => `${(ms / 1000).toFixed(2)} s (${fmt(messages / (ms / 1000))} msg/s)`;
  for (let run = 0; run < options.runs; run++) {
    const t = await options.runOnce(run);
    vigil.push(t.vigilMs);
    base.push(t.baselineMs);
    log(`# run ${run + 1}/${options.runs}: vigil ${rate(t.vigilMs)}, ${options.baseline} ${rate(t.baselineMs)}`);
  }
  const vMs = median(vigil);
  const bMs = median(base);
  const result: ConnectorBenchResult = {
    bench: options.bench,
    messagesPerSec: Math.round(messages / (vMs / 1000)),
    baseline: options.baseline,
    baselineMessagesPerSec: Math.round(messages / (bMs / 1000)),
    ratio: Math.round((bMs / vMs) * 100) / 100,
    messages,
    runs: options.runs,
    ...options.extra,
  };
  log(`# vigil ${fmt(result.messagesPerSec)} msg/s, ${options.baseline} ${fmt(result.baselineMessagesPerSec)} msg/s, ratio ${result.ratio} (goal >= 0.8)`);
  log(JSON.stringify(result));
  return result;
}
