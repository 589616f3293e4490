import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { AbsenceMatcher } from "../../bench/cep/absence-matcher.js";
import { diffAlerts, matchKey } from "../../bench/cep/alerts.js";
import { CardTestingMatcher } from "../../bench/cep/card-testing-matcher.js";
import type { Matcher, TxnMatch } from "../../bench/cep/matcher.js";
import {
  FIVE_MINUTES_MS, isAbroadPos, isBig, isHomePos, isRiskyOnline, isSmall, isVerification, TEN_MINUTES_MS,
} from "../../bench/cep/rules.js";
import { SequenceMatcher } from "../../bench/cep/sequence-matcher.js";
import { makeTxn, type Channel, type Txn, type TxnKind } from "../../bench/cep/txn.js";

const MIN = 60_000;

/** A stream built step by step: ids in order, one card unless told. */
function stream(...steps: Array<[tsMs: number, what: "abroad" | "home" | "small" | "big" | "risky" | "verify" | "other", card?: number]>): Txn[] {
  return steps.map(([ts, what, card = 1], id) => {
    switch (what) {
      case "abroad": return makeTxn(id, card, ts, 40, "m", "FR", "pos", "purchase");
      case "home": return makeTxn(id, card, ts, 40, "m", "US", "pos", "purchase");
      case "small": return makeTxn(id, card, ts, 1.5, "m", "US", "ecom", "purchase");
      case "big": return makeTxn(id, card, ts, 900, "m", "US", "pos", "purchase");
      case "risky": return makeTxn(id, card, ts, 400, "m", "US", "ecom", "purchase");
      case "verify": return makeTxn(id, card, ts, 400, "m", "US", "ecom", "verification");
      case "other": return makeTxn(id, card, ts, 40, "m", "US", "atm", "purchase");
    }
  });
}

function run(make: (sink: (m: TxnMatch) => void) => Matcher, events: readonly Txn[]): string[] {
  const keys: string[] = [];
  const m = make((x) => keys.push(matchKey(x)));
  for (const e of events) m.process(e);
  m.flush();
  return keys.sort();
}

const seq = (s: (m: TxnMatch) => void) => new SequenceMatcher(s);
const card = (s: (m: TxnMatch) => void) => new CardTestingMatcher(s);
const absence = (s: (m: TxnMatch) => void) => new AbsenceMatcher(s);

describe("sequence matcher (a followedBy b within 10 min, no skip)", () => {
  test("takes the first b after a, skipping other events", () => {
    expect(run(seq, stream([0, "abroad"], [MIN, "other"], [5 * MIN, "home"], [6 * MIN, "home"])))
      .toEqual(["card 1: a=0 b=2"]);
  });
  test("within is strict", () => {
    expect(run(seq, stream([0, "abroad"], [10 * MIN, "home"]))).toEqual([]);
    expect(run(seq, stream([0, "abroad"], [10 * MIN - 1, "home"]))).toEqual(["card 1: a=0 b=1"]);
  });
  test("every a starts a match; one b completes them all", () => {
    expect(run(seq, stream([0, "abroad"], [MIN, "abroad"], [2 * MIN, "home"], [3 * MIN, "home"])))
      .toEqual(["card 1: a=0 b=2", "card 1: a=1 b=2"]);
  });
  test("an expired a is not completed, a later one is", () => {
    expect(run(seq, stream([0, "abroad"], [9 * MIN, "abroad"], [12 * MIN, "home"])))
      .toEqual(["card 1: a=1 b=2"]);
  });
  test("keys are separate", () => {
    expect(run(seq, stream([0, "abroad", 1], [MIN, "home", 2], [2 * MIN, "home", 1])))
      .toEqual(["card 1: a=0 b=2"]);
  });
});

describe("card-testing matcher (3+ consecutive smalls then big, skipPastLastEvent)", () => {
  test("three smalls then a big", () => {
    expect(run(card, stream([0, "small"], [MIN, "small"], [2 * MIN, "small"], [3 * MIN, "other"], [4 * MIN, "big"])))
      .toEqual(["card 1: small=0,1,2 big=4"]);
  });
  test("the run must be consecutive", () => {
    expect(run(card, stream([0, "small"], [MIN, "small"], [2 * MIN, "other"], [3 * MIN, "small"], [4 * MIN, "big"])))
      .toEqual([]);
  });
  test("the whole run from the earliest start, one alert per big", () => {
    expect(run(card, stream([0, "small"], [1, "small"], [2, "small"], [3, "small"], [4, "small"], [5, "other"], [6, "big"], [7, "big"])))
      .toEqual(["card 1: small=0,1,2,3,4 big=6"]);
  });
  test("the earliest of several runs wins; later smalls are skipped by followedBy", () => {
    expect(run(card, stream([0, "small"], [1, "small"], [2, "small"], [3, "other"], [4, "small"], [5, "small"], [6, "small"], [7, "big"])))
      .toEqual(["card 1: small=0,1,2 big=7"]);
  });
  test("a start out of window gives way to the next one", () => {
    expect(run(card, stream([0, "small"], [MIN, "small"], [2 * MIN, "small"], [3 * MIN, "small"], [10.5 * MIN, "big"])))
      .toEqual(["card 1: small=1,2,3 big=4"]);
    expect(run(card, stream([0, "small"], [MIN, "small"], [2 * MIN, "small"], [10 * MIN, "big"]))).toEqual([]);
  });
  test("after a match, a new episode matches again", () => {
    expect(run(card, stream([0, "small"], [1, "small"], [2, "small"], [3, "big"], [4, "small"], [5, "small"], [6, "small"], [7, "big"])))
      .toEqual(["card 1: small=0,1,2 big=3", "card 1: small=4,5,6 big=7"]);
  });
});

describe("absence matcher (a notFollowedBy b within 5 min)", () => {
  test("an a with no b is emitted when the window closes (here: end of input)", () => {
    expect(run(absence, stream([0, "risky"], [MIN, "other"]))).toEqual(["card 1: a=0"]);
  });
  test("a b inside the window cancels every pending a", () => {
    expect(run(absence, stream([0, "risky"], [MIN, "risky"], [4 * MIN, "verify"]))).toEqual([]);
  });
  test("within is strict: a b exactly at the window's end comes too late", () => {
    expect(run(absence, stream([0, "risky"], [5 * MIN, "verify"]))).toEqual(["card 1: a=0"]);
  });
  test("only the a's still open are cancelled", () => {
    expect(run(absence, stream([0, "risky"], [2 * MIN, "risky"], [6 * MIN, "verify"], [7 * MIN, "risky"])))
      .toEqual(["card 1: a=0", "card 1: a=3"]);
  });
  test("another card's b does not count", () => {
    expect(run(absence, stream([0, "risky", 1], [MIN, "verify", 2]))).toEqual(["card 1: a=0"]);
  });
});

// Brute-force references: the definition of each rule over one card's events, written without
// any incremental state, against which the hand-written matchers are checked on random streams.

function byCard(events: readonly Txn[]): Txn[][] {
  const m = new Map<number, Txn[]>();
  for (const e of events) (m.get(e.cardId) ?? m.set(e.cardId, []).get(e.cardId)!).push(e);
  return [...m.values()];
}

function referenceSequence(events: readonly Txn[]): string[] {
  const out: string[] = [];
  for (const l of byCard(events)) {
    l.forEach((a, i) => {
      if (!isAbroadPos(a)) return;
      const b = l.slice(i + 1).find(isHomePos);
      if (b !== undefined && b.ts - a.ts < TEN_MINUTES_MS) out.push(matchKey({ a: [a], b: [b] }));
    });
  }
  return out;
}

function referenceAbsence(events: readonly Txn[]): string[] {
  const out: string[] = [];
  for (const l of byCard(events)) {
    l.forEach((a, i) => {
      if (!isRiskyOnline(a)) return;
      if (!l.slice(i + 1).some((b) => isVerification(b) && b.ts - a.ts < FIVE_MINUTES_MS)) out.push(matchKey({ a: [a] }));
    });
  }
  return out;
}

function referenceCardTesting(events: readonly Txn[]): string[] {
  const out: string[] = [];
  for (const l of byCard(events)) {
    const firstBigAfter = (i: number): number => l.findIndex((e, j) => j > i && isBig(e));
    let from = 0;
    l.forEach((big, t) => {
      if (!isBig(big)) return;
      for (let i = from; i + 2 < t; i++) {
        if (!(isSmall(l[i]) && isSmall(l[i + 1]) && isSmall(l[i + 2]))) continue;
        if (firstBigAfter(i + 2) !== t || big.ts - l[i].ts >= TEN_MINUTES_MS) continue;
        let k = i + 2;
        while (isSmall(l[k + 1])) k++;
        out.push(matchKey({ small: l.slice(i, k + 1), big: [big] }));
        from = t + 1;
        return;
      }
    });
  }
  return out;
}

/**
 * Random streams over two cards with gaps of up to two minutes, so windows matter, and half the
 * amounts under $2, so runs of probes of every length occur.
 */
const randomStream = fc.array(
  fc.record({
    card: fc.integer({ min: 0, max: 1 }),
    gap: fc.integer({ min: 1, max: 2 * MIN }),
    amount: fc.oneof(fc.constantFrom(0.5, 1.99), fc.constantFrom(2, 40, 350, 500, 501, 900)),
    channel: fc.constantFrom<Channel>("pos", "pos", "ecom", "atm"),
    country: fc.constantFrom("US", "US", "FR"),
    kind: fc.constantFrom<TxnKind>("purchase", "purchase", "purchase", "verification"),
  }),
  { maxLength: 80, size: "max" },
).map((steps) => {
  let ts = 1_700_000_000_000;
  return steps.map((s, id) => makeTxn(id, s.card, (ts += s.gap), s.amount, "m", s.country, s.channel, s.kind));
});

describe("hand-written matchers agree with brute-force references on random streams", () => {
  const agree = (make: (s: (m: TxnMatch) => void) => Matcher, ref: (e: readonly Txn[]) => string[]) => {
    fc.assert(fc.property(randomStream, (events) => {
      const d = diffAlerts(run(make, events), ref(events));
      expect(d).toEqual({ onlyLeft: [], onlyRight: [] });
    }), { numRuns: 500 });
  };
  test("sequence", () => agree(seq, referenceSequence));
  test("card-testing", () => agree(card, referenceCardTesting));
  test("absence", () => agree(absence, referenceAbsence));
});
