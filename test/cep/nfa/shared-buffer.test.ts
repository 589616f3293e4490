import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { AfterMatchSkipStrategy, compile, Pattern, type MatchCollector } from "../../../src/index.js";
import { bufferDiscrepancies } from "./buffer-invariants.js";

type E = { k: "a" | "b" | "c"; v: number };
const is = (k: E["k"]) => (e: E) => e.k === k;
const sink: MatchCollector<E> = { match() {}, timeout() {} };

const patterns: Array<[string, () => Pattern<E, any>]> = [
  ["a followedByAny b+ within 50", () => Pattern.begin<E>("a").where(is("a")).followedByAny("b").where(is("b")).oneOrMore().within(50)],
  ["a b{2,3} greedy c within 40, skipPastLast", () =>
    Pattern.begin<E>("a", AfterMatchSkipStrategy.skipPastLastEvent()).where(is("a")).followedBy("b").where(is("b")).times(2, 3).greedy().followedBy("c").where(is("c")).within(40)],
  ["a notFollowedBy c within 30", () => Pattern.begin<E>("a").where(is("a")).notFollowedBy("c").where(is("c")).within(30)],
  ["a+ allowCombinations b, skipToFirst(a), within 30", () =>
    Pattern.begin<E>("a", AfterMatchSkipStrategy.skipToFirst("a")).where(is("a")).oneOrMore().allowCombinations().followedBy("b").where(is("b")).within(30)],
];

describe("shared buffer", () => {
  for (const [name, build] of patterns) {
    it(`holds exactly what live partial matches need: ${name}`, () => {
      fc.assert(
        fc.property(fc.array(fc.tuple(fc.constantFrom<E["k"]>("a", "b", "c"), fc.integer({ min: 0, max: 5 })), { minLength: 1, maxLength: 120 }), (steps) => {
          const nfa = compile(build());
          const state = nfa.createState();
          let ts = 0;
          for (const [k, gap] of steps) {
            ts += gap;
            nfa.process(state, { k, v: ts }, ts, sink);
            expect(bufferDiscrepancies(state)).toEqual([]);
          }
          nfa.advanceTime(state, Infinity, sink);
          expect(bufferDiscrepancies(state)).toEqual([]);
          expect(state.isEmpty).toBe(true);
        }),
        { numRuns: 150 },
      );
    });
  }

  it("stays bounded by the window over a long run", () => {
    const nfa = compile(patterns[0][1]());
    const state = nfa.createState();
    let peak = 0;
    for (let i = 0; i < 20_000; i++) {
      const k = (["a", "b", "c"] as const)[(i * 7919) % 3];
      nfa.process(state, { k, v: i }, i, sink);
      peak = Math.max(peak, state.bufferEntryCount);
    }
    // with one event per ms and a 50 ms window, at most the last 50 events can be needed
    expect(peak).toBeLessThanOrEqual(50);
    expect(bufferDiscrepancies(state)).toEqual([]);
    nfa.advanceTime(state, Infinity, sink);
    expect(state.bufferEntryCount).toBe(0);
    expect(state.partialMatchCount).toBe(0);
  });
});
