/**
 * A tiny harness for porting FlinkCEP's NFA tests (`org.apache.flink.cep.nfa.*ITCase`) to Vigil.
 *
 * - `Event(id, name, price)` and `SubEvent(id, name, price, volume)` are FlinkCEP's test events.
 * - `feed(pattern, [[event, ts], ..., { watermark }])` runs `runPattern` (arrival mode by default,
 *   as FlinkCEP's `NFATestHarness.feedRecords` does: each record advances time, then is processed).
 * - `expectMatches(actual, expected)` compares matches as multisets of "stage -> events" records,
 *   the per-stage form of FlinkCEP's `NFATestUtilities.comparePatterns` (which only compares the
 *   flattened, sorted event lists). Events compare by value, like FlinkCEP's `Event.equals`.
 */
import { expect } from "vitest";
import {
  compile,
  runPattern,
  type Match,
  type MatchCollector,
  type Pattern,
  type TimedOut,
} from "../../../src/index.js";

/** FlinkCEP's test `Event`: equality is by (id, name, price). */
export class Event {
  constructor(
    readonly id: number,
    readonly name: string,
    readonly price: number,
  ) {}

  toString(): string {
    return `${this.name}(${this.id},${this.price})`;
  }
}

/** FlinkCEP's test `SubEvent`: an `Event` with a volume. */
export class SubEvent extends Event {
  constructor(
    id: number,
    name: string,
    price: number,
    readonly volume: number,
  ) {
    super(id, name, price);
  }

  override toString(): string {
    return `${this.name}(${this.id},${this.price},v${this.volume})`;
  }
}

/** Type guard for `.subtype(isSubEvent)`, FlinkCEP's `.subtype(SubEvent.class)`. */
export const isSubEvent = (e: Event): e is SubEvent => e instanceof SubEvent;

/** `new Event(id, name, price)`. */
export const ev = (id: number, name: string, price: number): Event => new Event(id, name, price);
/** `new SubEvent(id, name, price, volume)`. */
export const sub = (id: number, name: string, price: number, volume: number): SubEvent =>
  new SubEvent(id, name, price, volume);

/** Condition: the event's name equals `n` (FlinkCEP tests' `value.getName().equals(n)`). */
export const named =
  (n: string) =>
  (e: Event): boolean =>
    e.name === n;
/** Condition: the event's name contains `s` (`value.getName().contains(s)`). */
export const nameContains =
  (s: string) =>
  (e: Event): boolean =>
    e.name.includes(s);

/** A record of the input: `[event, timestamp]` (a FlinkCEP `StreamRecord`) or a watermark. */
export type Rec = readonly [Event, number] | { readonly watermark: number };

export type Mode = "arrival" | "eventTime";

/** Runs `pattern` over `records` with `runPattern` and returns its result. */
export function feed(pattern: Pattern<Event, any>, records: readonly Rec[], mode: Mode = "arrival") {
  const input = records.map((r) => (isEventRec(r) ? { event: r[0], timestamp: r[1] } : { watermark: r.watermark }));
  return runPattern<Event>(pattern, input, { mode });
}

/** Feeds events in order with timestamps 0, 1, 2, ... (FlinkCEP tests that use `new StreamRecord<>(e)`). */
export function feedEvents(pattern: Pattern<Event, any>, events: readonly Event[]) {
  return feed(
    pattern,
    events.map((e) => [e, 0] as const),
  );
}

/**
 * Drives the compiled NFA directly (`compile` + `process` / `advanceTime`), for ports of tests
 * that inspect the per-key state afterwards (FlinkCEP's `nfaState.getPartialMatches()`).
 */
export function driveNfa(pattern: Pattern<Event, any>) {
  const nfa = compile<Event>(pattern);
  const state = nfa.createState();
  const matches: Match<Event>[] = [];
  const timeouts: TimedOut<Event>[] = [];
  const out: MatchCollector<Event> = {
    match: (m) => matches.push(m),
    timeout: (m, timestamp) => timeouts.push({ match: m, timestamp }),
  };
  return {
    nfa,
    state,
    matches,
    timeouts,
    process(e: Event, ts: number) {
      nfa.process(state, e, ts, out);
      return this;
    },
    feed(records: ReadonlyArray<readonly [Event, number]>) {
      for (const [e, ts] of records) nfa.process(state, e, ts, out);
      return this;
    },
    advanceTime(ts: number) {
      nfa.advanceTime(state, ts, out);
      return this;
    },
  };
}

/** An expected match: stage name to events, as FlinkCEP's `Map<String, List<Event>>`. */
export type ExpectedMatch = Readonly<Record<string, readonly Event[] | undefined>>;

function isEventRec(r: Rec): r is readonly [Event, number] {
  return Array.isArray(r);
}

function eventKey(e: unknown): string {
  if (e instanceof Event) return e.toString();
  return JSON.stringify(e);
}

/** One match as a canonical string: stages sorted by name, empty stages dropped. */
export function canonMatch(m: Readonly<Record<string, readonly unknown[] | undefined>>): string {
  return Object.keys(m)
    .filter((k) => (m[k] ?? []).length > 0)
    .sort()
    .map((k) => `${k}=[${(m[k] ?? []).map(eventKey).join(", ")}]`)
    .join(" ");
}

/** Asserts that `actual` and `expected` hold the same matches, as multisets. */
export function expectMatches(
  actual: ReadonlyArray<Readonly<Record<string, readonly unknown[] | undefined>>>,
  expected: readonly ExpectedMatch[],
): void {
  expect(actual.map(canonMatch).sort()).toEqual(expected.map(canonMatch).sort());
}

/** Asserts the timed-out partial matches (with the timestamps at which they timed out), as multisets. */
export function expectTimeouts(
  actual: ReadonlyArray<{ match: Readonly<Record<string, readonly unknown[] | undefined>>; timestamp: number }>,
  expected: ReadonlyArray<{ match: ExpectedMatch; timestamp: number }>,
): void {
  const canon = (t: { match: Readonly<Record<string, readonly unknown[] | undefined>>; timestamp: number }) =>
    `${canonMatch(t.match)} @${t.timestamp}`;
  expect(actual.map(canon).sort()).toEqual(expected.map(canon).sort());
}

/** All subsets of `items` (in their order), the empty one included. */
export function subsets<E>(items: readonly E[]): E[][] {
  const out: E[][] = [[]];
  for (const item of items) {
    const n = out.length;
    for (let i = 0; i < n; i++) out.push([...out[i]!, item]);
  }
  return out;
}
