/**
 * Deterministic generator of the benchmark's card events.
 *
 * The stream is one global sequence with strictly increasing timestamps (exponential gaps,
 * 180 ms on average by default, so 1,000,000 events span about 50 hours). Cards are chosen with
 * log-normal activity weights: the median card sees an event every ~40 minutes, the busiest every
 * minute or so, which is what makes 5- and 10-minute windows matter. Follow-up events (the
 * step-up verification of a high-value online purchase, the later steps of an injected fraud) go
 * through a small time-ordered queue and are emitted at the first tick at or after their due time.
 *
 * Fraud is injected for each rule, with near misses (just outside the window, a run of two probes
 * instead of three, a verification that comes late but within the window) so that the edges of
 * each rule are exercised. Background traffic also matches the rules now and then, as real traffic
 * does; the benchmark's expected alerts are whatever the semantics say, not the injected count.
 */
import { HOME_COUNTRY, makeTxn, type Channel, type Txn, type TxnKind } from "./txn.js";
import type { CaseName } from "./rules.js";
import { Rng } from "./rng.js";

/** Knobs of {@link generateTxns}; every field has a default. */
export interface GenerateOptions {
  /** Number of events; default 1,000,000. */
  events?: number;
  /** Number of cards; default 10,000. */
  cards?: number;
  /** PRNG seed; default 42. The same options always give the same stream. */
  seed?: number;
  /** Timestamp of the first event, ms since the epoch; default 2024-03-01T00:00:00Z. */
  startTs?: number;
  /** Mean gap between consecutive events of the whole stream, in ms; default 180. */
  meanGapMs?: number;
  /** Probability that a fresh event starts an injected scenario of each rule; default 1/2000. */
  fraudRate?: number;
}

/** The generated stream and how many positive scenarios were injected per rule. */
export interface GeneratedTxns {
  readonly events: Txn[];
  /** Injected scenarios meant to match (near misses excluded). Background traffic adds more. */
  readonly injected: Record<CaseName, number>;
  /** Time between the first and the last event, in ms. */
  readonly spanMs: number;
}

interface Scheduled {
  readonly due: number;
  readonly seq: number;
  readonly cardId: number;
  readonly amount: number;
  readonly merchant: string;
  readonly country: string;
  readonly channel: Channel;
  readonly kind: TxnKind;
}

const FOREIGN = ["GB", "FR", "DE", "MX", "CA", "JP", "BR", "NG", "RO", "TH"];
const MERCHANTS = Array.from({ length: 5000 }, (_, i) => `m${String(i).padStart(4, "0")}`);
const SEC = 1000;
const MIN = 60 * SEC;

/** Generates the benchmark stream in memory (about 0.3 s for a million events). */
export function generateTxns(options: GenerateOptions = {}): GeneratedTxns {
  const n = options.events ?? 1_000_000;
  const cards = options.cards ?? 10_000;
  const meanGapMs = options.meanGapMs ?? 180;
  const fraudRate = options.fraudRate ?? 1 / 2000;
  const rng = new Rng(options.seed ?? 42);
  const pickCard = cardPicker(rng, cards);
  const queue = new ScheduleQueue();
  const injected: Record<CaseName, number> = { sequence: 0, "card-testing": 0, absence: 0 };
  const events: Txn[] = new Array(n);
  let now = options.startTs ?? Date.UTC(2024, 2, 1);
  let seq = 0;

  const schedule = (due: number, cardId: number, amount: number, merchant: string,
    country: string, channel: Channel, kind: TxnKind): void => {
    queue.push({ due, seq: seq++, cardId, amount, merchant, country, channel, kind });
  };
  /** A high-value online purchase is stepped up; usually the cardholder verifies in time. */
  const maybeVerify = (t: Txn): void => {
    if (t.kind === "purchase" && t.channel === "ecom" && t.amount > 300 && rng.next() < 0.96) {
      schedule(t.ts + rng.between(5 * SEC, 2 * MIN), t.cardId, t.amount, t.merchant,
        t.country, "ecom", "verification");
    }
  };

  for (let id = 0; id < n; id++) {
    now += 1 + Math.floor(rng.exponential(meanGapMs - 1));
    const due = queue.peek();
    if (due !== undefined && due.due <= now) {
      queue.pop();
      const t = makeTxn(id, due.cardId, now, due.amount, due.merchant, due.country, due.channel, due.kind);
      events[id] = t;
      maybeVerify(t);
      continue;
    }
    const cardId = pickCard();
    const r = rng.next();
    let t: Txn;
    if (r < fraudRate) {
      // Impossible travel: in person abroad, then in person at home.
      t = makeTxn(id, cardId, now, rng.amount(), rng.pick(MERCHANTS), rng.pick(FOREIGN), "pos", "purchase");
      const hit = rng.next() < 0.85;
      if (hit) injected.sequence++;
      const delay = hit ? rng.between(20 * SEC, 9.5 * MIN) : rng.between(10 * MIN, 12 * MIN);
      schedule(now + delay, cardId, rng.amount(), rng.pick(MERCHANTS), HOME_COUNTRY, "pos", "purchase");
    } else if (r < 2 * fraudRate) {
      // Card testing: consecutive probes under $2 at one merchant, then a cash-out over $500.
      const hit = rng.next() < 0.8;
      if (hit) injected["card-testing"]++;
      const probes = hit ? 3 + Math.floor(rng.next() * 4) : 2;
      const merchant = rng.pick(MERCHANTS);
      t = makeTxn(id, cardId, now, probeAmount(rng), merchant, HOME_COUNTRY, "ecom", "purchase");
      let at = now;
      for (let k = 1; k < probes; k++) {
        at += rng.between(3 * SEC, 40 * SEC);
        schedule(at, cardId, probeAmount(rng), merchant, HOME_COUNTRY, "ecom", "purchase");
      }
      at += rng.between(15 * SEC, 5 * MIN);
      schedule(at, cardId, cents(rng.between(550, 3000)), rng.pick(MERCHANTS), HOME_COUNTRY, "ecom", "purchase");
    } else if (r < 3 * fraudRate) {
      // A high-value online purchase whose step-up is never (or too late) verified.
      const hit = rng.next() < 0.85;
      if (hit) injected.absence++;
      const merchant = rng.pick(MERCHANTS);
      t = makeTxn(id, cardId, now, cents(rng.between(320, 2500)), merchant, HOME_COUNTRY, "ecom", "purchase");
      if (!hit) schedule(now + rng.between(4 * MIN, 7 * MIN), cardId, t.amount, merchant, HOME_COUNTRY, "ecom", "verification");
    } else {
      t = backgroundTxn(rng, id, cardId, now);
      maybeVerify(t);
    }
    events[id] = t;
  }
  return { events, injected, spanMs: n === 0 ? 0 : events[n - 1].ts - events[0].ts };
}

function backgroundTxn(rng: Rng, id: number, cardId: number, now: number): Txn {
  const c = rng.next();
  const channel: Channel = c < 0.6 ? "pos" : c < 0.92 ? "ecom" : "atm";
  const abroad = rng.next() < (channel === "pos" ? 0.015 : channel === "ecom" ? 0.05 : 0.01);
  const country = abroad ? rng.pick(FOREIGN) : HOME_COUNTRY;
  const amount = channel === "atm" ? 20 * (1 + Math.floor(rng.amount() / 20)) : rng.amount();
  return makeTxn(id, cardId, now, amount, rng.pick(MERCHANTS), country, channel, "purchase");
}

function probeAmount(rng: Rng): number {
  return cents(rng.between(0.5, 1.99));
}

function cents(x: number): number {
  return Math.round(x * 100) / 100;
}

/** Returns a function drawing card ids with log-normal activity weights (sigma 1.1). */
function cardPicker(rng: Rng, cards: number): () => number {
  const cumulative = new Float64Array(cards);
  let total = 0;
  for (let i = 0; i < cards; i++) {
    total += Math.exp(1.1 * rng.normal());
    cumulative[i] = total;
  }
  return () => {
    const x = rng.next() * total;
    let lo = 0;
    let hi = cards - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cumulative[mid] <= x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

/** Binary min-heap of scheduled follow-ups, ordered by due time then scheduling order. */
class ScheduleQueue {
  private readonly heap: Scheduled[] = [];

  peek(): Scheduled | undefined {
    return this.heap[0];
  }

  push(s: Scheduled): void {
    const h = this.heap;
    h.push(s);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(h[i], h[parent])) break;
      [h[i], h[parent]] = [h[parent], h[i]];
      i = parent;
    }
  }

  pop(): void {
    const h = this.heap;
    const last = h.pop()!;
    if (h.length === 0) return;
    h[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && before(h[l], h[m])) m = l;
      if (r < h.length && before(h[r], h[m])) m = r;
      if (m === i) return;
      [h[i], h[m]] = [h[m], h[i]];
      i = m;
    }
  }
}

function before(x: Scheduled, y: Scheduled): boolean {
  return x.due < y.due || (x.due === y.due && x.seq < y.seq);
}
