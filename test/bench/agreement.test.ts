import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { compile } from "../../src/cep/index.js";
import { diffAlerts, matchKey } from "../../bench/cep/alerts.js";
import { generateTxns } from "../../bench/cep/generate.js";
import type { TxnMatch } from "../../bench/cep/matcher.js";
import { MATCHERS } from "../../bench/cep/matchers.js";
import { PATTERNS } from "../../bench/cep/patterns.js";
import { CASE_NAMES, type CaseName } from "../../bench/cep/rules.js";
import { runBaseline, runEngine, sinkCollector } from "../../bench/cep/runners.js";
import { makeTxn, type Channel, type Txn, type TxnKind } from "../../bench/cep/txn.js";

/** The alerts of both sides of one benchmark case, normalised to event ids. */
function bothSides(name: CaseName, events: readonly Txn[]): { engine: string[]; handWritten: string[] } {
  const engine: string[] = [];
  runEngine(compile(PATTERNS[name]()), events, sinkCollector((m: TxnMatch) => engine.push(matchKey(m))));
  const handWritten: string[] = [];
  runBaseline(MATCHERS[name]((m) => handWritten.push(matchKey(m))), events);
  return { engine, handWritten };
}

// A small version of the benchmark's stream: 40,000 events over 400 cards, with fraud injected
// ten times as often, so that every rule has a few hundred alerts.
const small = generateTxns({ events: 40_000, cards: 400, seed: 7, fraudRate: 1 / 200 });

describe("the engine and the hand-written matchers find the same alerts (bench:cep's check)", () => {
  test.each(CASE_NAMES)("%s on a generated stream", (name) => {
    const { engine, handWritten } = bothSides(name, small.events);
    expect(handWritten.length).toBeGreaterThan(50);
    expect(diffAlerts(engine, handWritten)).toEqual({ onlyLeft: [], onlyRight: [] });
  });

  const MIN = 60_000;
  const randomStream = fc.array(
    fc.record({
      card: fc.integer({ min: 0, max: 1 }),
      gap: fc.integer({ min: 1, max: 2 * MIN }),
      amount: fc.oneof(fc.constantFrom(0.5, 1.99), fc.constantFrom(2, 40, 350, 500, 501, 900)),
      channel: fc.constantFrom<Channel>("pos", "pos", "ecom", "atm"),
      country: fc.constantFrom("US", "US", "FR"),
      kind: fc.constantFrom<TxnKind>("purchase", "purchase", "purchase", "verification"),
    }),
    { maxLength: 60, size: "max" },
  ).map((steps) => {
    let ts = 1_700_000_000_000;
    return steps.map((s, id) => makeTxn(id, s.card, (ts += s.gap), s.amount, "m", s.country, s.channel, s.kind));
  });

  test.each(CASE_NAMES)("%s on random streams", (name) => {
    fc.assert(fc.property(randomStream, (events) => {
      const { engine, handWritten } = bothSides(name, events);
      expect(diffAlerts(engine, handWritten)).toEqual({ onlyLeft: [], onlyRight: [] });
    }), { numRuns: 300 });
  });
});
