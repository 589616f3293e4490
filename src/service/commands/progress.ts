import cliProgress from "cli-progress";
import type { TerminalSink } from "./io.js";

/**
 * Progress of a batch run, in two phases drawn as two bars one after the other: reading the
 * events file (bytes of its size, events so far, rate, ETA), then matching (events × rules
 * done). Calls are cheap; the bar redraws at most 10 times a second.
 */
export interface RunProgress {
  /** `bytes` read so far and `events` (non-blank lines) among them. */
  reading(bytes: number, events: number): void;
  /** Reading is over; `units` of matching work follow (events × rules); `events` and `rules` are shown. */
  startMatching(units: number, events: number, rules: number): void;
  /** `done` units of matching work are done. */
  matching(done: number): void;
  /** Draws the state reached (100% only if the work got there) and lets go of the terminal; safe to call twice. */
  stop(): void;
}

/** When to draw: `force` true draws even when stderr is not a terminal, false never draws, undefined draws on a terminal. */
export interface ProgressOptions {
  readonly force?: boolean;
  /** Size of the input in bytes; `undefined` when unknown (stdin): no percentage then. */
  readonly totalBytes?: number;
}

const NO_PROGRESS: RunProgress = { reading() {}, startMatching() {}, matching() {}, stop() {} };
/** Matching work is reported in steps of at least this share of the total (bar updates are not free). */
const MATCH_STEP = 1 / 500;

/** The progress display of a run on `stream`, or one that draws nothing (not a terminal, or turned off). */
export function createProgress(stream: TerminalSink, options: ProgressOptions): RunProgress {
  const tty = stream.isTTY === true;
  if (options.force === false || (options.force === undefined && !tty)) return NO_PROGRESS;
  return new BarProgress(stream, tty, options.totalBytes);
}

type Phase = { kind: "reading"; events: number } | { kind: "matching"; events: number; rules: number };

class BarProgress implements RunProgress {
  private readonly bar: cliProgress.SingleBar;
  private phase: Phase = { kind: "reading", events: 0 };
  private matchTotal = 0;
  private lastMatched = 0;
  private active: boolean;

  constructor(stream: TerminalSink, tty: boolean, private readonly totalBytes: number | undefined) {
    this.bar = new cliProgress.SingleBar({
      stream: stream as unknown as NodeJS.WritableStream,
      format: (_options, params) => this.format(params),
      fps: 10,
      // off a terminal every draw is a line of its own: no blank line after the last one
      clearOnComplete: !tty,
      noTTYOutput: !tty,
      notTTYSchedule: 2_000,
      // touch no terminal settings, so an interrupted run leaves none changed
      hideCursor: false,
      linewrap: true,
      gracefulExit: false,
    });
    this.bar.start(totalBytes ?? 0, 0);
    this.active = true;
  }

  reading(bytes: number, events: number): void {
    this.phase = { kind: "reading", events };
    this.bar.update(bytes);
  }

  startMatching(units: number, events: number, rules: number): void {
    // the size was taken before reading: show the end as the end even if the file changed since
    if (this.active && this.totalBytes !== undefined) this.bar.update(this.totalBytes);
    this.bar.stop();
    this.phase = { kind: "matching", events, rules };
    this.matchTotal = units;
    this.lastMatched = 0;
    this.bar.start(units, 0);
    this.active = true;
  }

  matching(done: number): void {
    if (done < this.matchTotal && done - this.lastMatched < this.matchTotal * MATCH_STEP) return;
    this.lastMatched = done;
    this.bar.update(done);
  }

  stop(): void {
    if (!this.active) return;
    this.active = false;
    this.bar.stop();
  }

  private format(params: cliProgress.Params): string {
    const seconds = Math.max(0.001, ((params.stopTime ?? Date.now()) - params.startTime) / 1000);
    const done = params.progress >= 1;
    const eta = typeof params.eta === "number" && Number.isFinite(params.eta) ? formatSeconds(params.eta) : "?";
    const timing = done ? `took ${formatSeconds(seconds)}` : `ETA ${eta}`;
    const phase = this.phase;
    if (phase.kind === "matching") {
      const what = `${count(phase.events, "event")} × ${count(phase.rules, "rule")}`;
      return withBar("matching", params, [what, timing], [what, WIDEST_TIMING]);
    }
    const events = count(phase.events, "event");
    const rate = `${formatBytes(params.value / seconds)}/s`;
    if (this.totalBytes === undefined) return `reading  ${formatBytes(params.value)} | ${events} | ${rate}`;
    const bytes = formatBytes(params.value, this.totalBytes);
    const widest = [formatBytes(this.totalBytes, this.totalBytes), WIDEST_EVENTS, WIDEST_RATE, WIDEST_TIMING];
    // the rate is left out where the line would be too narrow for it
    const withRate = lineWidth("reading ", widest, 10) <= params.maxWidth;
    return withRate
      ? withBar("reading ", params, [bytes, events, rate, timing], widest)
      : withBar("reading ", params, [bytes, events, timing], widest.filter((p) => p !== WIDEST_RATE));
  }
}

/** The widest the parts of a line get, so that the bar keeps one width through a run. */
const WIDEST_EVENTS = "99,999,999 events";
const WIDEST_RATE = "999.9 MiB/s";
const WIDEST_TIMING = "took 59m59s";

function lineWidth(label: string, parts: readonly string[], bar: number): number {
  return label.length + 1 + bar + 5 + parts.reduce((n, p) => n + 3 + p.length, 0);
}

/** `label bar nn% | part | ...`, the bar (6 to 30 characters) as wide as the widest such line leaves room for. */
function withBar(label: string, params: cliProgress.Params, parts: readonly string[], widest: readonly string[]): string {
  const width = Math.max(6, Math.min(30, params.maxWidth - 1 - lineWidth(label, widest, 0)));
  const filled = Math.round(params.progress * width);
  const pct = `${Math.floor(params.progress * 100)}%`.padStart(4);
  return `${label} ${"\u2588".repeat(filled)}${"\u2591".repeat(width - filled)} ${pct}${parts.map((p) => ` | ${p}`).join("")}`;
}

function count(n: number, noun: string): string {
  return `${n.toLocaleString("en-US")} ${noun}${n === 1 ? "" : "s"}`;
}

const BYTE_UNITS = ["B", "KiB", "MiB", "GiB", "TiB"];

/** Bytes in binary units (`512 B`, `4.0 MiB`); with `of`, as a fraction in the unit of `of` (`31.2/69.0 MiB`). */
export function formatBytes(bytes: number, of?: number): string {
  let unit = 0;
  while ((of ?? bytes) >= 1024 ** (unit + 1) && unit < BYTE_UNITS.length - 1) unit++;
  const show = (n: number) => (unit === 0 ? String(Math.round(n)) : (n / 1024 ** unit).toFixed(1));
  return of === undefined ? `${show(bytes)} ${BYTE_UNITS[unit]}` : `${show(bytes)}/${show(of)} ${BYTE_UNITS[unit]}`;
}

/** Seconds as `0.4s`, `4s`, `12s`, `3m05s`, `1h02m`: tenths only below 10 s and when not whole. */
export function formatSeconds(seconds: number): string {
  if (seconds < 9.95 && !Number.isInteger(seconds)) return `${seconds.toFixed(1)}s`;
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}
