/**
 * The examples of the Flink docs page "FlinkCEP - Complex event processing for Flink"
 * (docs/content/docs/libs/cep.md), each asserting the result the page states.
 *
 * Where the page states a result that FlinkCEP itself does not produce for the pattern the
 * page describes, the test says so and pins FlinkCEP's behaviour (from its NFA tests), with a
 * second test showing the pattern that does give the page's result:
 * - "a b+ c", strict contiguity: the page says {a b3 c}; with followedBy("c") FlinkCEP gives
 *   {a b1 c} {a b2 c} {a b3 c} (as NFAITCase.testOneOrMoreStrictOptional shows); {a b3 c} is
 *   what next("c") gives.
 * - allowCombinations(): the page lists 15 matches, including ones without A1; with
 *   followedBy("middle") FlinkCEP must take A1 first (NFAITCase.testSkipTillAnyOneOrMore), giving
 *   8; the page's 15 are what followedByAny("middle") gives.
 * - The skip-strategy table for `b+ c` over b1 b2 b3 c uses the pattern of FlinkCEP's own
 *   "Example from docs" tests (AfterMatchSkipITCase): b+ consecutive greedy, next c.
 */
import { describe, expect, it } from "vitest";
import { AfterMatchSkipStrategy, Pattern } from "../../../src/index.js";
import {
  ev,
  type Event,
  expectMatches,
  feed,
  feedEvents,
  isSubEvent,
  nameContains,
  named,
  sub,
  type SubEvent,
} from "./harness.js";

const startsWith = (p: string) => (e: Event) => e.name.startsWith(p);

describe("Flink docs: Getting Started", () => {
  it("start(id 42) next middle(SubEvent, volume >= 10) followedBy end(name 'end')", () => {
    const pattern = Pattern.begin<Event>("start")
      .where((e) => e.id === 42)
      .next("middle")
      .subtype(isSubEvent)
      .where((e) => (e as SubEvent).volume >= 10.0)
      .followedBy("end")
      .where(named("end"));
    const start = ev(42, "start", 1.0);
    const middle = sub(43, "middle", 1.0, 10.0);
    const end = ev(44, "end", 1.0);
    const r = feed(pattern, [
      [start, 1],
      [middle, 2],
      [ev(45, "other", 1.0), 3],
      [end, 4],
      // a second start whose next event is too small a SubEvent: no match
      [ev(42, "start", 2.0), 5],
      [sub(46, "small", 1.0, 9.0), 6],
      [ev(47, "end", 2.0), 7],
    ]);
    expectMatches(r.matches, [{ start: [start], middle: [middle], end: [end] }]);
  });
});

describe("Flink docs: Quantifiers", () => {
  // x, then stage "start" (a's with the quantifier), then y, over x a1 a2 a3 a4 y: the numbers
  // of a's in the matches are the occurrence counts the docs list (capped at the 4 a's given;
  // with more a's than a greedy times(2, 4) can take, FlinkCEP's greedy blocks the following
  // stage on the extra a, so the input stays within the quantifiers' range).
  const run = (q: (p: Pattern<Event, Event>) => Pattern<Event, Event>) => {
    const pattern = q(Pattern.begin<Event>("x").where(named("x")).followedBy("start").where(named("a")))
      .followedBy("y")
      .where(named("y"));
    const records = [
      [ev(1, "x", 0), 1],
      ...[2, 3, 4, 5].map((i) => [ev(i, "a", 0), i] as const),
      [ev(6, "y", 0), 6],
    ] as const;
    const counts = feed(pattern, records).matches.map((m) => (m.start ?? []).length);
    return [...counts].sort((a, b) => a - b);
  };

  const cases: Array<[string, (p: Pattern<Event, Event>) => Pattern<Event, Event>, number[]]> = [
    ["expecting 4 occurrences: times(4)", (p) => p.times(4), [4]],
    ["expecting 0 or 4 occurrences: times(4).optional()", (p) => p.times(4).optional(), [0, 4]],
    ["expecting 2, 3 or 4 occurrences: times(2, 4)", (p) => p.times(2, 4), [2, 3, 4]],
    ["2, 3 or 4, as many as possible: times(2, 4).greedy()", (p) => p.times(2, 4).greedy(), [4]],
    ["expecting 0, 2, 3 or 4 occurrences: times(2, 4).optional()", (p) => p.times(2, 4).optional(), [0, 2, 3, 4]],
    ["0, 2, 3 or 4, as many as possible: times(2, 4).optional().greedy()", (p) => p.times(2, 4).optional().greedy(), [4]],
    ["expecting 1 or more occurrences: oneOrMore()", (p) => p.oneOrMore(), [1, 2, 3, 4]],
    ["1 or more, as many as possible: oneOrMore().greedy()", (p) => p.oneOrMore().greedy(), [4]],
    ["expecting 0 or more occurrences: oneOrMore().optional()", (p) => p.oneOrMore().optional(), [0, 1, 2, 3, 4]],
    ["0 or more, as many as possible: oneOrMore().optional().greedy()", (p) => p.oneOrMore().optional().greedy(), [4]],
    ["expecting 2 or more occurrences: timesOrMore(2)", (p) => p.timesOrMore(2), [2, 3, 4]],
    ["2 or more, as many as possible: timesOrMore(2).greedy()", (p) => p.timesOrMore(2).greedy(), [4]],
    ["expecting 0, 2 or more occurrences: timesOrMore(2).optional()", (p) => p.timesOrMore(2).optional(), [0, 2, 3, 4]],
    ["0, 2 or more, as many as possible: timesOrMore(2).optional().greedy()", (p) => p.timesOrMore(2).optional().greedy(), [4]],
  ];
  for (const [title, q, expected] of cases) {
    it(title, () => {
      expect(run(q)).toEqual(expected);
    });
  }
});

describe("Flink docs: Conditions", () => {
  it("iterative condition: middle.oneOrMore().subtype(SubEvent) takes foo events while the price sum stays below 5", () => {
    const start = ev(1, "start", 0);
    const foo1 = sub(2, "foo1", 1.0, 1);
    const foo2 = sub(3, "foo2", 2.0, 1);
    const bar = sub(4, "bar", 0.5, 1);
    const foo3 = sub(5, "foo3", 3.0, 1);
    const end = ev(6, "end", 0);
    const pattern = Pattern.begin<Event>("start")
      .where(named("start"))
      .followedBy("middle")
      .oneOrMore()
      .subtype(isSubEvent)
      .where((value, ctx) => {
        if (!value.name.startsWith("foo")) return false;
        let sum = value.price;
        for (const e of ctx.eventsFor("middle")) sum += e.price;
        return sum < 5.0;
      })
      .followedBy("end")
      .where(named("end"));
    const r = feed(pattern, [
      [start, 1],
      [foo1, 2],
      [foo2, 3],
      [bar, 4],
      [foo3, 5],
      [end, 6],
    ]);
    // relaxed loop: foo3 (sum would be 6) is skipped like bar
    expectMatches(r.matches, [
      { start: [start], middle: [foo1], end: [end] },
      { start: [start], middle: [foo1, foo2], end: [end] },
    ]);
  });

  it("simple condition: start.where(name startsWith 'foo')", () => {
    const foo = ev(1, "foobar", 0);
    const r = feed(Pattern.begin<Event>("start").where(startsWith("foo")), [
      [ev(0, "bar", 0), 1],
      [foo, 2],
    ]);
    expectMatches(r.matches, [{ start: [foo] }]);
  });

  it("combining conditions: where() calls are ANDed, or() is ORed", () => {
    const cheapA = ev(1, "a", 1.0);
    const dearA = ev(2, "a", 9.0);
    const cheapB = ev(3, "b", 1.0);
    const x = ev(4, "x", 9.0);
    const pattern = Pattern.begin<Event>("start")
      .where(named("a"))
      .where((e) => e.price < 5)
      .or(named("x"));
    const r = feed(pattern, [
      [cheapA, 1],
      [dearA, 2],
      [cheapB, 3],
      [x, 4],
    ]);
    expectMatches(r.matches, [{ start: [cheapA] }, { start: [x] }]);
  });

  it("stop condition: (a+ until b) over a1 c a2 b a3 gives {a1 a2} {a1} {a2} {a3}", () => {
    const a1 = ev(1, "a", 0);
    const a2 = ev(3, "a", 0);
    const a3 = ev(5, "a", 0);
    const pattern = Pattern.begin<Event>("a").where(named("a")).oneOrMore().until(named("b"));
    const r = feed(pattern, [
      [a1, 1],
      [ev(2, "c", 0), 2],
      [a2, 3],
      [ev(4, "b", 0), 4],
      [a3, 5],
    ]);
    expectMatches(r.matches, [{ a: [a1, a2] }, { a: [a1] }, { a: [a2] }, { a: [a3] }]);
  });
});

describe("Flink docs: Combining Patterns (contiguity)", () => {
  // pattern "a b" over "a", "c", "b1", "b2"
  const a = ev(1, "a", 0);
  const b1 = ev(3, "b1", 0);
  const b2 = ev(4, "b2", 0);
  const input = () => [a, ev(2, "c", 0), b1, b2];
  const ab = (join: "next" | "followedBy" | "followedByAny") =>
    Pattern.begin<Event>("a").where(named("a"))[join]("b").where(startsWith("b"));

  it("strict contiguity: {} (the c after a discards a)", () => {
    expectMatches(feedEvents(ab("next"), input()).matches, []);
  });

  it("relaxed contiguity: {a b1}", () => {
    expectMatches(feedEvents(ab("followedBy"), input()).matches, [{ a: [a], b: [b1] }]);
  });

  it("non-deterministic relaxed contiguity: {a b1}, {a b2}", () => {
    expectMatches(feedEvents(ab("followedByAny"), input()).matches, [
      { a: [a], b: [b1] },
      { a: [a], b: [b2] },
    ]);
  });
});

describe("Flink docs: Contiguity within looping patterns ('a b+ c' over a b1 d1 b2 d2 b3 c)", () => {
  const a = ev(1, "a", 0);
  const b1 = ev(2, "b1", 0);
  const b2 = ev(4, "b2", 0);
  const b3 = ev(6, "b3", 0);
  const c = ev(7, "c", 0);
  const input = () => [a, b1, ev(3, "d1", 0), b2, ev(5, "d2", 0), b3, c];
  // "a" followed by any (non-deterministic relaxed) sequence of one or more "b"s followed by a "c"
  const abc = (
    inner: (p: Pattern<Event, Event>) => Pattern<Event, Event>,
    join: "next" | "followedBy" = "followedBy",
  ) =>
    inner(Pattern.begin<Event>("a").where(named("a")).followedByAny("b").where(startsWith("b")).oneOrMore())
      [join]("c")
      .where(named("c"));
  const m = (...bs: Event[]) => ({ a: [a], b: bs, c: [c] });

  it("strict contiguity: {a b3 c} (with next('c'): the d after b1 and b2 discards them)", () => {
    expectMatches(feedEvents(abc((p) => p.consecutive(), "next"), input()).matches, [m(b3)]);
  });

  it("strict contiguity with followedBy('c'): FlinkCEP gives {a b1 c} {a b2 c} {a b3 c} (the page says {a b3 c})", () => {
    expectMatches(feedEvents(abc((p) => p.consecutive()), input()).matches, [m(b1), m(b2), m(b3)]);
  });

  it("relaxed contiguity: {a b1 c}, {a b1 b2 c}, {a b1 b2 b3 c}, {a b2 c}, {a b2 b3 c}, {a b3 c}", () => {
    expectMatches(feedEvents(abc((p) => p), input()).matches, [
      m(b1),
      m(b1, b2),
      m(b1, b2, b3),
      m(b2),
      m(b2, b3),
      m(b3),
    ]);
  });

  it("non-deterministic relaxed contiguity: the relaxed results plus {a b1 b3 c}", () => {
    expectMatches(feedEvents(abc((p) => p.allowCombinations()), input()).matches, [
      m(b1),
      m(b1, b2),
      m(b1, b3),
      m(b1, b2, b3),
      m(b2),
      m(b2, b3),
      m(b3),
    ]);
  });
});

describe("Flink docs: consecutive() and allowCombinations() (C D A1 A2 A3 D A4 B)", () => {
  const C = ev(1, "c", 0);
  const A1 = ev(3, "a", 1);
  const A2 = ev(4, "a", 2);
  const A3 = ev(5, "a", 3);
  const A4 = ev(7, "a", 4);
  const B = ev(8, "b", 0);
  const input = () => [C, ev(2, "d", 0), A1, A2, A3, ev(6, "d", 0), A4, B];
  const pattern = (
    join: "followedBy" | "followedByAny",
    inner: (p: Pattern<Event, Event>) => Pattern<Event, Event>,
  ) =>
    inner(Pattern.begin<Event>("start").where(named("c"))[join]("middle").where(named("a")).oneOrMore())
      .followedBy("end1")
      .where(named("b"));
  const m = (...as: Event[]) => ({ start: [C], middle: as, end1: [B] });

  it("with consecutive applied: {C A1 B}, {C A1 A2 B}, {C A1 A2 A3 B}", () => {
    expectMatches(feedEvents(pattern("followedBy", (p) => p.consecutive()), input()).matches, [
      m(A1),
      m(A1, A2),
      m(A1, A2, A3),
    ]);
  });

  it("without consecutive applied: {C A1 B}, {C A1 A2 B}, {C A1 A2 A3 B}, {C A1 A2 A3 A4 B}", () => {
    expectMatches(feedEvents(pattern("followedBy", (p) => p), input()).matches, [
      m(A1),
      m(A1, A2),
      m(A1, A2, A3),
      m(A1, A2, A3, A4),
    ]);
  });

  it("with combinations enabled, as the docs' pattern (followedBy): FlinkCEP's 8 combinations starting with A1", () => {
    expectMatches(feedEvents(pattern("followedBy", (p) => p.allowCombinations()), input()).matches, [
      m(A1),
      m(A1, A2),
      m(A1, A3),
      m(A1, A4),
      m(A1, A2, A3),
      m(A1, A2, A4),
      m(A1, A3, A4),
      m(A1, A2, A3, A4),
    ]);
  });

  it("with combinations enabled: the page's 15 results (they need followedByAny('middle'))", () => {
    expectMatches(feedEvents(pattern("followedByAny", (p) => p.allowCombinations()), input()).matches, [
      m(A1),
      m(A1, A2),
      m(A1, A3),
      m(A1, A4),
      m(A1, A2, A3),
      m(A1, A2, A4),
      m(A1, A3, A4),
      m(A1, A2, A3, A4),
      m(A2),
      m(A2, A3),
      m(A2, A4),
      m(A2, A3, A4),
      m(A3),
      m(A3, A4),
      m(A4),
    ]);
  });

  it("without combinations enabled: {C A1 B}, {C A1 A2 B}, {C A1 A2 A3 B}, {C A1 A2 A3 A4 B}", () => {
    expectMatches(feedEvents(pattern("followedBy", (p) => p), input()).matches, [
      m(A1),
      m(A1, A2),
      m(A1, A2, A3),
      m(A1, A2, A3, A4),
    ]);
  });
});

describe("Flink docs: Groups of patterns", () => {
  const group = (first: string, second: string) =>
    Pattern.begin<Event>(first).where(named(first)).followedBy(second).where(named(second));

  it("begin(group), next(group).times(3), followedBy(group).oneOrMore(), followedByAny(group).optional() all build", () => {
    const start = Pattern.begin<Event>(group("start", "start_middle"));
    const strict = start.next(group("next_start", "next_middle")).times(3);
    const relaxed = start.followedBy(group("followedby_start", "followedby_middle")).oneOrMore();
    const nonDetermin = start.followedByAny(group("followedbyany_start", "followedbyany_middle")).optional();
    for (const p of [start, strict, relaxed, nonDetermin]) {
      expect(() => feed(p, [])).not.toThrow();
    }
  });

  it("a group is matched as a unit and reported under its inner stage names", () => {
    const s = ev(1, "start", 0);
    const sm = ev(2, "start_middle", 0);
    const f1 = ev(3, "followedby_start", 0);
    const f2 = ev(4, "followedby_middle", 0);
    const relaxed = Pattern.begin<Event>(group("start", "start_middle"))
      .followedBy(group("followedby_start", "followedby_middle"))
      .oneOrMore();
    const r = feed(relaxed, [
      [s, 1],
      [sm, 2],
      [f1, 3],
      [f2, 4],
    ]);
    expectMatches(r.matches, [{ start: [s], start_middle: [sm], followedby_start: [f1], followedby_middle: [f2] }]);
  });
});

describe("Flink docs: within and notFollowedBy at the end", () => {
  it("notFollowedBy at the end with within: start next middle(a) notFollowedBy end(b) within 10s", () => {
    const pattern = Pattern.begin<Event>("start")
      .next("middle")
      .where(named("a"))
      .notFollowedBy("end")
      .where(named("b"))
      .within(10_000);
    const x = ev(1, "x", 0);
    const a = ev(2, "a", 0);
    // no b: emitted once the window (from x at 0) has passed
    expectMatches(
      feed(pattern, [
        [x, 0],
        [a, 1000],
        [ev(3, "c", 0), 5000],
        { watermark: 10_000 },
      ]).matches,
      [{ start: [x], middle: [a] }],
    );
    // a b inside the window: nothing
    expectMatches(
      feed(pattern, [
        [x, 0],
        [a, 1000],
        [ev(3, "b", 0), 5000],
        { watermark: Infinity },
      ]).matches,
      [],
    );
  });

  it("several within() on different stages: the smallest applies", () => {
    const a = ev(1, "a", 0);
    const b = ev(2, "b", 0);
    const pattern = Pattern.begin<Event>("a").where(named("a")).within(20).followedBy("b").where(named("b")).within(10);
    expectMatches(
      feed(pattern, [
        [a, 0],
        [b, 9],
      ]).matches,
      [{ a: [a], b: [b] }],
    );
    expectMatches(
      feed(pattern, [
        [a, 0],
        [b, 15],
      ]).matches,
      [],
    );
  });
});

describe("Flink docs: After Match Skip Strategy", () => {
  describe("pattern b+ c over b1 b2 b3 c", () => {
    const b1 = ev(1, "b1", 0);
    const b2 = ev(2, "b2", 0);
    const b3 = ev(3, "b3", 0);
    const c = ev(4, "c", 0);
    const run = (skip: AfterMatchSkipStrategy) =>
      feedEvents(
        Pattern.begin<Event>("b", skip)
          .where(nameContains("b"))
          .oneOrMore()
          .consecutive()
          .greedy()
          .next("c")
          .where(named("c")),
        [b1, b2, b3, c],
      ).matches;
    const all = () => [
      { b: [b1, b2, b3], c: [c] },
      { b: [b2, b3], c: [c] },
      { b: [b3], c: [c] },
    ];

    it("NO_SKIP: b1 b2 b3 c, b2 b3 c, b3 c", () => {
      expectMatches(run(AfterMatchSkipStrategy.noSkip()), all());
    });
    it("SKIP_TO_NEXT: b1 b2 b3 c, b2 b3 c, b3 c", () => {
      expectMatches(run(AfterMatchSkipStrategy.skipToNext()), all());
    });
    it("SKIP_PAST_LAST_EVENT: b1 b2 b3 c", () => {
      expectMatches(run(AfterMatchSkipStrategy.skipPastLastEvent()), [{ b: [b1, b2, b3], c: [c] }]);
    });
    it("SKIP_TO_FIRST[b]: b1 b2 b3 c, b2 b3 c, b3 c", () => {
      expectMatches(run(AfterMatchSkipStrategy.skipToFirst("b")), all());
    });
    it("SKIP_TO_LAST[b]: b1 b2 b3 c, b3 c", () => {
      expectMatches(run(AfterMatchSkipStrategy.skipToLast("b")), [
        { b: [b1, b2, b3], c: [c] },
        { b: [b3], c: [c] },
      ]);
    });
  });

  describe("pattern (a | b | c) (b | c) c+.greedy d over a b c1 c2 c3 d", () => {
    const a = ev(1, "a", 0);
    const b = ev(2, "b", 0);
    const c1 = ev(3, "c1", 0);
    const c2 = ev(4, "c2", 0);
    const c3 = ev(5, "c3", 0);
    const d = ev(6, "d", 0);
    const run = (skip: AfterMatchSkipStrategy) =>
      feedEvents(
        Pattern.begin<Event>("a | b | c", skip)
          .where(nameContains("a"))
          .or(nameContains("b"))
          .or(nameContains("c"))
          .followedBy("b | c")
          .where(nameContains("b"))
          .or(nameContains("c"))
          .followedBy("c*")
          .where(nameContains("c"))
          .oneOrMore()
          .greedy()
          .followedBy("d")
          .where(named("d")),
        [a, b, c1, c2, c3, d],
      ).matches;

    it("NO_SKIP: a b c1 c2 c3 d, b c1 c2 c3 d, c1 c2 c3 d", () => {
      expectMatches(run(AfterMatchSkipStrategy.noSkip()), [
        { "a | b | c": [a], "b | c": [b], "c*": [c1, c2, c3], d: [d] },
        { "a | b | c": [b], "b | c": [c1], "c*": [c2, c3], d: [d] },
        { "a | b | c": [c1], "b | c": [c2], "c*": [c3], d: [d] },
      ]);
    });

    it("SKIP_TO_FIRST[c*]: a b c1 c2 c3 d, c1 c2 c3 d", () => {
      expectMatches(run(AfterMatchSkipStrategy.skipToFirst("c*")), [
        { "a | b | c": [a], "b | c": [b], "c*": [c1, c2, c3], d: [d] },
        { "a | b | c": [c1], "b | c": [c2], "c*": [c3], d: [d] },
      ]);
    });
  });

  describe("pattern a b+ over a b1 b2 b3", () => {
    const a = ev(1, "a", 0);
    const b1 = ev(2, "b1", 0);
    const b2 = ev(3, "b2", 0);
    const b3 = ev(4, "b3", 0);
    const run = (skip: AfterMatchSkipStrategy) =>
      feedEvents(
        Pattern.begin<Event>("a", skip).where(named("a")).next("b").where(nameContains("b")).oneOrMore(),
        [a, b1, b2, b3],
      ).matches;

    it("NO_SKIP: a b1, a b1 b2, a b1 b2 b3", () => {
      expectMatches(run(AfterMatchSkipStrategy.noSkip()), [
        { a: [a], b: [b1] },
        { a: [a], b: [b1, b2] },
        { a: [a], b: [b1, b2, b3] },
      ]);
    });

    it("SKIP_TO_NEXT: a b1", () => {
      expectMatches(run(AfterMatchSkipStrategy.skipToNext()), [{ a: [a], b: [b1] }]);
    });
  });

  it("SKIP_TO_FIRST/LAST on a stage with no events in the match: no skip by default", () => {
    // docs: "By default a NO_SKIP strategy will be used in this case". a+ b? c (strict) over
    // a1 a2 c completes {a1 a2 c} and {a2 c} together; skipping past the first drops the second.
    const a1 = ev(1, "a", 1);
    const a2 = ev(2, "a", 2);
    const c = ev(3, "c", 0);
    const run = (skip: AfterMatchSkipStrategy) =>
      feedEvents(
        Pattern.begin<Event>("a", skip)
          .where(named("a"))
          .oneOrMore()
          .consecutive()
          .next("b")
          .where(named("b"))
          .optional()
          .next("c")
          .where(named("c")),
        [a1, a2, c],
      ).matches;
    const both = () => [
      { a: [a1, a2], c: [c] },
      { a: [a2], c: [c] },
    ];
    expectMatches(run(AfterMatchSkipStrategy.noSkip()), both());
    expectMatches(run(AfterMatchSkipStrategy.skipPastLastEvent()), [{ a: [a1, a2], c: [c] }]);
    expectMatches(run(AfterMatchSkipStrategy.skipToFirst("b")), both());
    expectMatches(run(AfterMatchSkipStrategy.skipToLast("b")), both());
  });

  it("...or an error with throwExceptionOnMiss()", () => {
    const pattern = Pattern.begin<Event>("a", AfterMatchSkipStrategy.skipToFirst("b").throwExceptionOnMiss())
      .where(named("a"))
      .followedBy("b")
      .where(named("b"))
      .optional()
      .followedBy("c")
      .where(named("c"));
    expect(() => feedEvents(pattern, [ev(1, "a", 0), ev(2, "c", 0)])).toThrow();
  });
});

describe("Flink docs: Time in CEP library", () => {
  it("handling lateness in event time: buffered events are processed in timestamp order when the watermark passes them", () => {
    const a = ev(1, "a", 0);
    const b = ev(2, "b", 0);
    const pattern = Pattern.begin<Event>("a").where(named("a")).next("b").where(named("b"));
    // b arrives before a, but has the later timestamp
    const r = feed(
      pattern,
      [
        [b, 20],
        [a, 10],
        { watermark: 30 },
      ],
      "eventTime",
    );
    expectMatches(r.matches, [{ a: [a], b: [b] }]);
  });

  it("handling lateness in event time: elements behind the last seen watermark are late and not processed", () => {
    const a = ev(1, "a", 0);
    const lateB = ev(2, "b", 0);
    const pattern = Pattern.begin<Event>("a").where(named("a")).followedBy("b").where(named("b"));
    const r = feed(
      pattern,
      [
        [a, 10],
        { watermark: 20 },
        [lateB, 15],
        { watermark: Infinity },
      ],
      "eventTime",
    );
    expectMatches(r.matches, []);
    expect(r.late).toEqual([{ event: lateB, timestamp: 15 }]);
  });

  it("time context: ctx.timestamp() is the event time of the element being processed", () => {
    const seen: number[] = [];
    const early = ev(1, "a", 0);
    const late = ev(2, "a", 0);
    const pattern = Pattern.begin<Event>("a").where((_, ctx) => {
      seen.push(ctx.timestamp());
      return ctx.timestamp() >= 5;
    });
    const r = feed(pattern, [
      [early, 3],
      [late, 7],
    ]);
    expectMatches(r.matches, [{ a: [late] }]);
    expect(seen).toEqual([3, 7]);
  });
});

describe("Flink docs: Examples", () => {
  // start, middle(name = "error") -> end(name = "critical") within 10 seconds, one key
  const pattern = Pattern.begin<Event>("start")
    .next("middle")
    .where(named("error"))
    .followedBy("end")
    .where(named("critical"))
    .within(10_000);

  it("detects start, error, ..., critical within 10 seconds", () => {
    const s = ev(7, "login", 0);
    const e = ev(7, "error", 0);
    const c = ev(7, "critical", 0);
    const r = feed(pattern, [
      [s, 0],
      [e, 1000],
      [ev(7, "info", 0), 2000],
      [c, 9999],
    ]);
    expectMatches(r.matches, [{ start: [s], middle: [e], end: [c] }]);
  });

  it("a critical 10 seconds or more after the start is too late", () => {
    const r = feed(pattern, [
      [ev(7, "login", 0), 0],
      [ev(7, "error", 0), 1000],
      [ev(7, "critical", 0), 10_000],
    ]);
    expectMatches(r.matches, []);
  });
});
