import { JobError } from "../../errors.js";
import type { MergeCallback, Window } from "./api.js";

/**
 * A window of event or processing time, `[start, end)` in ms, as Flink's `TimeWindow`. Immutable.
 */
export class TimeWindow implements Window {
  constructor(
    readonly start: number,
    readonly end: number,
  ) {}

  /** `end - 1`: the last timestamp inside the window. */
  maxTimestamp(): number {
    return this.end - 1;
  }

  /** Whether the windows overlap or touch (`[0, 10)` and `[10, 20)` intersect, as in Flink: sessions that touch merge). */
  intersects(other: TimeWindow): boolean {
    return this.start <= other.end && this.end >= other.start;
  }

  /** The smallest window containing both. */
  cover(other: TimeWindow): TimeWindow {
    return new TimeWindow(Math.min(this.start, other.start), Math.max(this.end, other.end));
  }

  equals(other: unknown): boolean {
    return other instanceof TimeWindow && other.start === this.start && other.end === this.end;
  }

  toString(): string {
    return `TimeWindow{start=${this.start}, end=${this.end}}`;
  }

  /**
   * The start of the window of size `windowSize` (shifted by `offset`) that contains `timestamp`,
   * as Flink's `TimeWindow.getWindowStartWithOffset`; correct for negative timestamps too.
   */
  static getWindowStartWithOffset(timestamp: number, offset: number, windowSize: number): number {
    const remainder = (timestamp - offset) % windowSize;
    return remainder < 0 ? timestamp - (remainder + windowSize) : timestamp - remainder;
  }

  /**
   * Merges overlapping (or touching) windows, as Flink's `TimeWindow.mergeWindows`: sorted by
   * start, each run of intersecting windows becomes their cover; `callback` is called for every
   * run of more than one window.
   */
  static mergeWindows(windows: readonly TimeWindow[], callback: MergeCallback<TimeWindow>): void {
    const sorted = [...windows].sort((a, b) => a.start - b.start || a.end - b.end);
    let cover: TimeWindow | undefined;
    let members: TimeWindow[] = [];
    for (const w of sorted) {
      if (cover === undefined) {
        cover = w;
        members = [w];
      } else if (cover.intersects(w)) {
        cover = cover.cover(w);
        if (!members.some((m) => m.equals(w))) members.push(w);
      } else {
        if (members.length > 1) callback(members, cover);
        cover = w;
        members = [w];
      }
    }
    if (cover !== undefined && members.length > 1) callback(members, cover);
  }

  /** `${start}:${end}`: the namespace of a window of any size. */
  static namespaceOf(w: TimeWindow): string {
    return `${w.start}:${w.end}`;
  }

  /** The window of a namespace from `TimeWindow.namespaceOf`. */
  static fromNamespace(ns: string): TimeWindow {
    const i = ns.indexOf(":");
    const start = Number(ns.slice(0, i));
    const end = Number(ns.slice(i + 1));
    if (i < 0 || !Number.isFinite(start) || !Number.isFinite(end)) throw new JobError(`not a time window namespace: ${JSON.stringify(ns)}`);
    return new TimeWindow(start, end);
  }
}

/**
 * The one window of `GlobalWindows`, holding every element of a key, as Flink's `GlobalWindow`.
 * Its max timestamp is `Number.MAX_SAFE_INTEGER` (Flink's `Long.MAX_VALUE`): the end of time,
 * still an exact number, so records it emits can be windowed again downstream.
 */
export class GlobalWindow implements Window {
  private static readonly INSTANCE = new GlobalWindow();

  private constructor() {}

  /** The singleton. */
  static get(): GlobalWindow {
    return GlobalWindow.INSTANCE;
  }

  maxTimestamp(): number {
    return Number.MAX_SAFE_INTEGER;
  }

  toString(): string {
    return "GlobalWindow";
  }
}
