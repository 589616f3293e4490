/**
 * The baselines of the window cases, with the semantics of the Vigil job (`window-job.ts`): per key
 * and one-minute window of event time, the count and sum of the values, emitted when the
 * watermark (the highest timestamp so far - 1, as `forMonotonousTimestamps`) passes the window's
 * last millisecond, i.e. when the first event of a later minute arrives, and the rest at the end
 * of the input. Each returns the checksum of what it emitted.
 */
import { from, groupBy, map, mergeMap, range, reduce, Subject, tap } from "rxjs";
import { addWindow, emptyChecksum, formatChecksum, type WindowResult } from "./window-checksum.js";
import { eventGenerator, WINDOW_MS, type WindowEvent, type WindowInput } from "./window-events.js";

interface Acc {
  count: number;
  sum: number;
}

/** Start of the window of `ts` (timestamps are positive here). */
const windowStart = (ts: number): number => ts - (ts % WINDOW_MS);

/**
 * Hand-written: the code one would write for this job alone. Open windows are a `Map` from
 * window start to a `Map` from key to `{count, sum}`; the window of the previous event is kept at
 * hand (consecutive events almost always share it); when the watermark passes the earliest open
 * window's end, every window it passed is emitted and dropped.
 */
export function handWrittenWindows(input: WindowInput): string {
  const gen = eventGenerator(input);
  const n = input.events;
  const c = emptyChecksum();
  const open = new Map<number, Map<number, Acc>>();
  let curStart = Number.NaN;
  let cur: Map<number, Acc> | undefined;
  let earliestEnd = Number.POSITIVE_INFINITY;
  const fire = (watermark: number): void => {
    earliestEnd = Number.POSITIVE_INFINITY;
    for (const [start, byKey] of open) {
      const end = start + WINDOW_MS;
      if (end - 1 <= watermark) {
        for (const [key, a] of byKey) addWindow(c, key, start, a.count, a.sum);
        open.delete(start);
        if (start === curStart) cur = undefined;
      } else if (end < earliestEnd) earliestEnd = end;
    }
  };
  for (let i = 0; i < n; i++) {
    const e = gen(i);
    // the watermark reaches e.ts - 1 with this event: windows ending at or before e.ts close first
    if (e.ts >= earliestEnd) fire(e.ts - 1);
    const start = windowStart(e.ts);
    if (start !== curStart || cur === undefined) {
      cur = open.get(start);
      if (cur === undefined) {
        open.set(start, (cur = new Map()));
        if (start + WINDOW_MS < earliestEnd) earliestEnd = start + WINDOW_MS;
      }
      curStart = start;
    }
    const a = cur.get(e.key);
    if (a === undefined) cur.set(e.key, { count: 1, sum: e.value });
    else {
      a.count++;
      a.sum += e.value;
    }
  }
  fire(Number.POSITIVE_INFINITY);
  return formatChecksum(c);
}

/** Where {@link handWrittenWindowsWithEvents} puts each event, so that it exists as an object. */
const kept: { event: WindowEvent | undefined } = { event: undefined };

/**
 * The hand-written loop with each event kept for a moment, as a runtime keeps the events its
 * source hands on (a record parsed from JSON is an object too). In {@link handWrittenWindows}
 * V8 inlines the generator and never makes the events (escape analysis); here each is a 64-byte
 * object, so this side is the floor of any job whose events are objects. A copy, not a shared
 * helper: the loops must stay as they are for V8 to compile the first one without the events
 * (measured: a class shared by both loops made the first one 1.5x slower).
 */
export function handWrittenWindowsWithEvents(input: WindowInput): string {
  const gen = eventGenerator(input);
  const n = input.events;
  const c = emptyChecksum();
  const open = new Map<number, Map<number, Acc>>();
  let curStart = Number.NaN;
  let cur: Map<number, Acc> | undefined;
  let earliestEnd = Number.POSITIVE_INFINITY;
  const fire = (watermark: number): void => {
    earliestEnd = Number.POSITIVE_INFINITY;
    for (const [start, byKey] of open) {
      const end = start + WINDOW_MS;
      if (end - 1 <= watermark) {
        for (const [key, a] of byKey) addWindow(c, key, start, a.count, a.sum);
        open.delete(start);
        if (start === curStart) cur = undefined;
      } else if (end < earliestEnd) earliestEnd = end;
    }
  };
  for (let i = 0; i < n; i++) {
    const e = gen(i);
    kept.event = e;
    // the watermark reaches e.ts - 1 with this event: windows ending at or before e.ts close first
    if (e.ts >= earliestEnd) fire(e.ts - 1);
    const start = windowStart(e.ts);
    if (start !== curStart || cur === undefined) {
      cur = open.get(start);
      if (cur === undefined) {
        open.set(start, (cur = new Map()));
        if (start + WINDOW_MS < earliestEnd) earliestEnd = start + WINDOW_MS;
      }
      curStart = start;
    }
    const a = cur.get(e.key);
    if (a === undefined) cur.set(e.key, { count: 1, sum: e.value });
    else {
      a.count++;
      a.sum += e.value;
    }
  }
  kept.event = undefined;
  fire(Number.POSITIVE_INFINITY);
  return formatChecksum(c);
}

/**
 * RxJS: windows in event time with `groupBy` on the window start, each window group closed (its
 * `duration` notifier fires) by a `tap` upstream when the watermark passes the window's end; each
 * window group `reduce`s its events into a `Map` from key to `{count, sum}` and emits its entries
 * when it closes.
 *
 * Why not `groupBy` on the key (and a window per key group): RxJS keeps a key group's
 * subscription in arrays (the `mergeMap` parent's finalizers, the close notifier's observers),
 * and removing one is a linear search and splice, so with 100,000 concurrent key groups every
 * group that ends costs O(groups): {@link rxjsPerKeyGroupByWindows} measures that.
 */
export function rxjsWindows(input: WindowInput): string {
  const gen = eventGenerator(input);
  const c = emptyChecksum();
  const closes = new Map<number, Subject<void>>();
  const closeOf = (start: number): Subject<void> => {
    let s = closes.get(start);
    if (s === undefined) closes.set(start, (s = new Subject<void>()));
    return s;
  };
  let current = Number.NEGATIVE_INFINITY;
  range(0, input.events)
    .pipe(
      map(gen),
      // the watermark reaches ts - 1: every window ending at or before ts closes
      tap((e) => {
        const start = windowStart(e.ts);
        if (start <= current) return;
        current = start;
        for (const [s, close] of closes) {
          if (s + WINDOW_MS - 1 <= e.ts - 1) {
            closes.delete(s);
            close.next();
            close.complete();
          }
        }
      }),
      groupBy((e) => windowStart(e.ts), { duration: (g) => closeOf(g.key) }),
      mergeMap((g) =>
        g.pipe(
          reduce((byKey, e) => {
            const a = byKey.get(e.key);
            if (a === undefined) byKey.set(e.key, { key: e.key, start: g.key, count: 1, sum: e.value });
            else {
              a.count++;
              a.sum += e.value;
            }
            return byKey;
          }, new Map<number, { key: number; start: number; count: number; sum: number }>()),
          mergeMap((byKey) => from(byKey.values())),
        ),
      ),
    )
    .subscribe((w: WindowResult) => addWindow(c, w.key, w.start, w.count, w.sum));
  return formatChecksum(c);
}

/**
 * RxJS, the other way round: `groupBy` on the key, and in each key group an event-time window of
 * its own (`groupBy` on the window start with a `duration` notifier per window, then `reduce`).
 * Correct, but every key group and every window group is a subscription that RxJS removes from an
 * array by linear search when it ends, so its cost grows with the square of the concurrent groups:
 * not timed by default (`--case window-rxjs-groupby`, small inputs).
 */
export function rxjsPerKeyGroupByWindows(input: WindowInput): string {
  const gen = eventGenerator(input);
  const c = emptyChecksum();
  const closes = new Map<number, Subject<void>>();
  const closeOf = (start: number): Subject<void> => {
    let s = closes.get(start);
    if (s === undefined) closes.set(start, (s = new Subject<void>()));
    return s;
  };
  let current = Number.NEGATIVE_INFINITY;
  range(0, input.events)
    .pipe(
      map(gen),
      tap((e) => {
        const start = windowStart(e.ts);
        if (start <= current) return;
        current = start;
        for (const [s, close] of closes) {
          if (s + WINDOW_MS - 1 <= e.ts - 1) {
            closes.delete(s);
            close.next();
            close.complete();
          }
        }
      }),
      groupBy((e) => e.key),
      mergeMap((byKey) =>
        byKey.pipe(
          groupBy((e) => windowStart(e.ts), { duration: (w) => closeOf(w.key) }),
          mergeMap((w) =>
            w.pipe(
              reduce((a, e) => {
                a.count++;
                a.sum += e.value;
                return a;
              }, { key: byKey.key, start: w.key, count: 0, sum: 0 }),
            ),
          ),
        ),
      ),
    )
    .subscribe((w: WindowResult) => addWindow(c, w.key, w.start, w.count, w.sum));
  return formatChecksum(c);
}
