/**
 * Symmetric timing, as in `bench:cep`: every side of a case is timed the same way, in rounds; in
 * each round every side in turn gets a full GC and then `perGc` runs, and the median over all of
 * a side's runs is reported. (The first run after a forced GC is slower on any side, as V8
 * regrows the young generation; timing the sides differently would bias the ratio.)
 *
 * Every run returns a checksum of its output, which must equal the case's expected checksum:
 * the sides do the same work on every timed run, not just in a separate check.
 */

/** One side of a case: a named run that returns a checksum of what it produced. */
export interface Side {
  readonly name: string;
  run(): Promise<string> | string;
}

/** The timed runs of one side. */
export interface SideTiming {
  readonly name: string;
  /** Wall time of each run. */
  readonly ms: number[];
  readonly medianMs: number;
  /**
   * CPU time of the process (all its threads: GC helpers, workers) during each run. On an idle
   * machine a one-thread run's CPU time is about its wall time; well below it, the run waited for
   * a core (other load on the machine).
   */
  readonly cpuMs: number[];
}

/** Options of {@link timeSides}. */
export interface TimingOptions {
  /** The checksum every run of every side must return. */
  readonly expected: string;
  /** Runs per side after each forced GC. */
  readonly perGc: number;
  /**
   * Time budget of the timed runs, ms: rounds go on while the next round is expected to end
   * within it (at least one round, at most `maxRounds`).
   */
  readonly budgetMs: number;
  readonly maxRounds: number;
  /** Exactly this many rounds, whatever the budget (`--rounds`). */
  readonly rounds?: number;
}

/** A full GC (the benchmark runs with `--expose-gc`; without it, nothing, so tests can run the code). */
export function fullGc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

/** Runs `run` once and returns its checksum, wall time and process CPU time in ms. */
export async function timeOnce(run: () => Promise<string> | string): Promise<{ checksum: string; ms: number; cpuMs: number }> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const checksum = await run();
  const ms = performance.now() - t0;
  const c = process.cpuUsage(c0);
  return { checksum, ms, cpuMs: (c.user + c.system) / 1000 };
}

/**
 * Times `sides` in rounds of (full GC, `perGc` runs) per side. Every run must return
 * `expected`, else it throws.
 */
export async function timeSides(sides: readonly Side[], options: TimingOptions): Promise<SideTiming[]> {
  const ms: number[][] = sides.map(() => []);
  const cpuMs: number[][] = sides.map(() => []);
  const start = performance.now();
  const maxRounds = options.rounds ?? options.maxRounds;
  for (let r = 0; r < maxRounds; r++) {
    const roundStart = performance.now();
    for (let s = 0; s < sides.length; s++) {
      fullGc();
      for (let k = 0; k < options.perGc; k++) {
        const { checksum, ms: t, cpuMs: c } = await timeOnce(() => sides[s].run());
        ms[s].push(t);
        cpuMs[s].push(c);
        if (checksum !== options.expected) {
          throw new Error(`${sides[s].name}: wrong output (${checksum}; expected ${options.expected})`);
        }
      }
    }
    const now = performance.now();
    if (options.rounds === undefined && now - start + (now - roundStart) > options.budgetMs) break;
  }
  return sides.map((s, i) => ({ name: s.name, ms: ms[i], medianMs: median(ms[i]), cpuMs: cpuMs[i] }));
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

export function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** Events per second, rounded, for `events` in `ms`. */
export function perSec(events: number, ms: number): number {
  return Math.round(events / (ms / 1000));
}

/** `12/13/12` (milliseconds of each run). */
export function fmtRuns(ms: readonly number[]): string {
  return ms.map((x) => x.toFixed(0)).join("/");
}
