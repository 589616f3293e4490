/**
 * The input of the window cases: event `i` of a stream of `events` over `keys` keys, made from its
 * index alone (so any side, thread or split can make any event, and every side makes its events
 * the same way, paying the same allocation per event).
 *
 * - timestamps increase with the index: `START_TS + floor(i / eventsPerMs)`, i.e. `eventsPerMs`
 *   events per millisecond of event time (default 5: 300,000 events a minute, so 5M events span
 *   16.7 minutes, 17 one-minute windows);
 * - keys are uniform pseudo-random in `[0, keys)` (a 32-bit hash of `i`), so with 100,000 keys a
 *   key has 3 events a minute on average and about 95% of the (key, minute) windows exist;
 * - values are integers in `[0, 1000)` (another hash of `i`), so sums are exact.
 */

/** One event: its key, an integer value and its event time in ms. */
export interface WindowEvent {
  readonly key: number;
  readonly value: number;
  readonly ts: number;
}

/** The shape of a window case's input. */
export interface WindowInput {
  readonly events: number;
  readonly keys: number;
  /** Events per millisecond of event time. */
  readonly eventsPerMs: number;
}

/** Event time of the first event: 2024-03-01T00:00:00Z (a whole minute). */
export const START_TS = Date.UTC(2024, 2, 1);

/** The window size of the cases: one minute. */
export const WINDOW_MS = 60_000;

/** lowbias32 (Chris Wellons' integer hash): a well-mixed 32-bit hash of a 32-bit integer. */
export function hash32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return x >>> 0;
}

/** The key of event `i` (without making the event). */
export function keyAtIndex(input: WindowInput): (i: number) => number {
  const { keys } = input;
  // "| 0": a small integer, as JSON.parse gives whole numbers (a uint32 remainder is a boxed double)
  return (i) => (hash32(i) % keys) | 0;
}

/** The generator of a stream: index -> event (a new object each call, one hidden class). */
export function eventGenerator(input: WindowInput): (i: number) => WindowEvent {
  const { keys, eventsPerMs } = input;
  return (i) => ({ key: (hash32(i) % keys) | 0, value: (hash32(i ^ 0x5bd1e995) % 1000) | 0, ts: START_TS + Math.floor(i / eventsPerMs) });
}

/** The timestamp of an event (the sides' timestamp assigner). */
export const tsOf = (e: WindowEvent): number => e.ts;
/** The key of an event (the sides' key selector). */
export const keyOf = (e: WindowEvent): number => e.key;

/** Event-time span of the input, in ms. */
export function spanMs(input: WindowInput): number {
  return Math.floor((input.events - 1) / input.eventsPerMs);
}
