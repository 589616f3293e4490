/**
 * The two ways the benchmark feeds a stream: through the Vigil engine (a `KeyedMatcher`: the
 * compiled NFA with a state per card that has something in progress, `advanceTime(Infinity)` at
 * the end) and through a hand-written matcher. Both are plain loops with nothing else in them, so
 * that timings compare the matching and nothing more.
 */
import { KeyedMatcher, type MatchCollector, type Nfa } from "../../src/cep/index.js";
import type { AlertSink, Matcher, TxnMatch } from "./matcher.js";
import type { Txn } from "./txn.js";

const cardOf = (t: Txn) => t.cardId;

/** Runs `events` through `nfa` keyed by card, then flushes every card. */
export function runEngine(nfa: Nfa<Txn>, events: readonly Txn[], out: MatchCollector<Txn>): KeyedMatcher<Txn, number> {
  const keyed = new KeyedMatcher<Txn, number>(nfa, cardOf, out);
  for (let i = 0; i < events.length; i++) {
    const e = events[i];
    keyed.process(e, e.ts);
  }
  keyed.advanceTime(Infinity);
  return keyed;
}

/** What {@link runEngineTracked} measured besides the alerts. */
export interface EngineFootprint {
  /** Highest sum over cards of live partial matches, sampled every 1,000 events. */
  readonly peakPartialMatches: number;
  /** `heapUsed` in bytes after the last event and a full GC, every card's state still live. */
  readonly heapUsedBytes: number;
  /** Events held in the shared buffers at that moment. */
  readonly bufferEntries: number;
  /** Cards with a state at that moment (cards with nothing in progress have none). */
  readonly liveKeys: number;
}

/** As {@link runEngine}, also sampling live partial matches and the heap before the flush. Not for timing. */
export function runEngineTracked(nfa: Nfa<Txn>, events: readonly Txn[], out: MatchCollector<Txn>, gc: () => void): EngineFootprint {
  const keyed = new KeyedMatcher<Txn, number>(nfa, cardOf, out);
  let peak = 0;
  for (let i = 0; i < events.length; i++) {
    const e = events[i];
    keyed.process(e, e.ts);
    if (i % 1000 === 999) peak = Math.max(peak, keyed.partialMatchCount);
  }
  gc();
  const heapUsedBytes = process.memoryUsage().heapUsed;
  const footprint = { peakPartialMatches: peak, heapUsedBytes, bufferEntries: keyed.bufferEntryCount, liveKeys: keyed.liveKeys };
  keyed.advanceTime(Infinity);
  return footprint;
}

/** Runs `events` through a hand-written matcher, then flushes it. */
export function runBaseline(matcher: Matcher, events: readonly Txn[]): void {
  for (let i = 0; i < events.length; i++) matcher.process(events[i]);
  matcher.flush();
}

/** A collector counting matches and ignoring timeouts (the rules report matches only). */
export function countingCollector(): MatchCollector<Txn> & { count: number } {
  return {
    count: 0,
    match() {
      this.count++;
    },
    timeout() {},
  };
}

/** A collector handing every match to `sink` and ignoring timeouts. */
export function sinkCollector(sink: AlertSink): MatchCollector<Txn> {
  return {
    match(m: TxnMatch) {
      sink(m);
    },
    timeout() {},
  };
}

/**
 * The per-key lookup the engine path pays on every event and nothing else: a `Map` from card to
 * a state object, created on first sight. Returns a value so the loop cannot be optimised away.
 */
export function runLookupFloor(events: readonly Txn[]): number {
  const states = new Map<number, { n: number }>();
  for (let i = 0; i < events.length; i++) {
    const e = events[i];
    let st = states.get(e.cardId);
    if (st === undefined) {
      st = { n: 0 };
      states.set(e.cardId, st);
    }
    st.n++;
  }
  return states.size;
}
