import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { AfterMatchSkipStrategy, compile, deserializeNfaState, Pattern, serializeNfaState, type Match, type MatchCollector } from "../../../src/index.js";

type E = { k: "a" | "b" | "c"; id: number };
const is = (k: E["k"]) => (e: E) => e.k === k;

function collector(out: string[]): MatchCollector<E> {
  const show = (m: Match<E>) => Object.entries(m).map(([s, es]) => `${s}:${es.map((e) => e.id).join(",")}`).join(" ");
  return { match: (m) => out.push(show(m)), timeout: (m, ts) => out.push(`timeout@${ts} ${show(m)}`) };
}

const build = () =>
  Pattern.begin<E>("a", AfterMatchSkipStrategy.skipToNext()).where(is("a")).followedByAny("b").where(is("b")).times(1, 3)
    .followedBy("c").where((e, ctx) => e.k === "c" && ctx.eventsFor("b").length > 1).within(25);

describe("NfaState v1 serialisation", () => {
  it("a restored state continues exactly as the original", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom<E["k"]>("a", "b", "c"), fc.integer({ min: 0, max: 4 })), { minLength: 2, maxLength: 80 }),
        fc.nat(),
        (steps, cut) => {
          const nfa = compile(build());
          const at = cut % steps.length;
          const straight: string[] = [];
          const s1 = nfa.createState();
          const restored: string[] = [];
          let s2 = nfa.createState();
          let ts = 0;
          steps.forEach(([k, gap], i) => {
            ts += gap;
            const e = { k, id: i };
            nfa.process(s1, e, ts, collector(straight));
            if (i === at) s2 = deserializeNfaState(nfa, serializeNfaState(s2), undefined);
            nfa.process(s2, e, ts, collector(restored));
          });
          nfa.advanceTime(s1, Infinity, collector(straight));
          nfa.advanceTime(s2, Infinity, collector(restored));
          expect(restored).toEqual(straight);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("round-trips to identical bytes and rejects another pattern's snapshot", () => {
    const nfa = compile(build());
    const s = nfa.createState();
    [..."abbabcb"].forEach((k, i) => nfa.process(s, { k: k as E["k"], id: i }, i, { match() {} }));
    const bytes = serializeNfaState(s);
    expect(serializeNfaState(deserializeNfaState(nfa, bytes))).toEqual(bytes);
    const other = compile(Pattern.begin<E>("x").where(is("a")).next("y"));
    expect(() => deserializeNfaState(other, bytes)).toThrow(/does not have/);
  });
});
