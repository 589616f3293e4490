import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { AfterMatchSkipStrategy, compile, KeyedMatcher, Pattern, type Match } from "../../src/index.js";

type E = { key: number; k: "a" | "b" | "c" | "d"; id: number };
const is = (k: E["k"]) => (e: E) => e.k === k;
const show = (m: Match<E>, key: number) => `${key}|${Object.entries(m).map(([s, es]) => `${s}:${es.map((e) => e.id).join(",")}`).join(" ")}`;

const patterns: Array<[string, () => Pattern<E, any>, boolean]> = [
  ["a followedBy b within 10 (inert events skippable)", () => Pattern.begin<E>("a").where(is("a")).followedBy("b").where(is("b")).within(10), true],
  ["a notFollowedBy b within 8 (inert events skippable)", () => Pattern.begin<E>("a").where(is("a")).notFollowedBy("b").where(is("b")).within(8), true],
  ["a{3,} consecutive followedBy b, skipPastLast", () =>
    Pattern.begin<E>("a", AfterMatchSkipStrategy.skipPastLastEvent()).where(is("a")).timesOrMore(3).consecutive().followedBy("b").where(is("b")).within(20), false],
  ["a next b (strict)", () => Pattern.begin<E>("a").where(is("a")).next("b").where(is("b")), false],
  ["iterative: a followedByAny b with b.id > a.id + 2", () =>
    Pattern.begin<E>("a").where(is("a")).followedByAny("b").where((e, ctx) => e.k === "b" && e.id > ctx.eventsFor("a")[0].id + 2).within(15), false],
];

describe("KeyedMatcher", () => {
  for (const [name, build, skippable] of patterns) {
    it(`equals per-key NFA processing: ${name}`, () => {
      expect(compile(build()).canSkipInert).toBe(skippable);
      fc.assert(
        fc.property(
          fc.array(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.constantFrom<E["k"]>("a", "b", "c", "d"), fc.integer({ min: 0, max: 3 })), { maxLength: 100 }),
          (steps) => {
            const nfa = compile(build());
            const expected: string[] = [];
            const states = new Map<number, ReturnType<typeof nfa.createState>>();
            const actual: string[] = [];
            const keyed = new KeyedMatcher<E, number>(build(), (e) => e.key, {
              match: (m, key) => actual.push(show(m, key)),
            });
            let ts = 0;
            steps.forEach(([key, k, gap], id) => {
              ts += gap;
              const e = { key, k, id };
              let s = states.get(key);
              if (s === undefined) states.set(key, (s = nfa.createState()));
              nfa.process(s, e, ts, { match: (m) => expected.push(show(m, key)) });
              keyed.process(e, ts);
            });
            for (const [key, s] of states) nfa.advanceTime(s, Infinity, { match: (m) => expected.push(show(m, key)) });
            keyed.advanceTime(Infinity);
            expect(actual.sort()).toEqual(expected.sort());
            if (nfa.windowMs > 0) expect(keyed.liveKeys).toBe(0); // without a window a trailing partial match lives on
          },
        ),
        { numRuns: 200 },
      );
    });
  }

  it("keeps state only for keys with something in progress", () => {
    const keyed = new KeyedMatcher<E, number>(patterns[0][1](), (e) => e.key, { match() {} });
    for (let i = 0; i < 1000; i++) keyed.process({ key: i, k: "c", id: i }, i);
    expect(keyed.liveKeys).toBe(0);
    keyed.process({ key: 7, k: "a", id: 1000 }, 1000);
    expect(keyed.liveKeys).toBe(1);
    expect(keyed.partialMatchCount).toBe(1);
    keyed.advanceTime(2000);
    expect(keyed.liveKeys).toBe(0);
  });
});
