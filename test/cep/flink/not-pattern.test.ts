/**
 * Port of FlinkCEP's NotPatternITCase (flink-cep/src/test/java/org/apache/flink/cep/nfa/NotPatternITCase.java):
 * notNext / notFollowedBy, including notFollowedBy at the end of a pattern with `within`.
 */
import { describe, expect, it } from "vitest";
import { AfterMatchSkipStrategy, Pattern, WithinType } from "../../../src/index.js";
import { ev, type Event, expectMatches, feed, named } from "./harness.js";

describe("NotPatternITCase", () => {
  /** a1 c1 b1 c2 d at 1..5 */
  const acbcd = () => {
    const e = {
      a1: ev(40, "a", 1.0),
      c1: ev(41, "c", 2.0),
      b1: ev(42, "b", 3.0),
      c2: ev(43, "c", 4.0),
      d: ev(43, "d", 4.0),
    };
    const records = [
      [e.a1, 1],
      [e.c1, 2],
      [e.b1, 3],
      [e.c2, 4],
      [e.d, 5],
    ] as const;
    return { e, records };
  };

  it("NotPatternITCase.testNotNext", () => {
    const { e, records } = acbcd();
    const pattern = Pattern.begin<Event>("start")
      .where(named("a"))
      .notNext("notPattern")
      .where(named("b"))
      .followedByAny("middle")
      .where(named("c"))
      .followedBy("end")
      .where(named("d"));
    expectMatches(feed(pattern, records).matches, [
      { start: [e.a1], middle: [e.c1], end: [e.d] },
      { start: [e.a1], middle: [e.c2], end: [e.d] },
    ]);
  });

  it("NotPatternITCase.testNotNextNoMatches", () => {
    const pattern = Pattern.begin<Event>("start")
      .where(named("a"))
      .notNext("notPattern")
      .where(named("b"))
      .followedBy("middle")
      .where(named("c"))
      .followedBy("end")
      .where(named("d"));
    const r = feed(pattern, [
      [ev(40, "a", 1.0), 1],
      [ev(42, "b", 3.0), 2],
      [ev(41, "c", 2.0), 3],
      [ev(43, "c", 4.0), 4],
      [ev(43, "d", 4.0), 5],
    ]);
    expect(r.matches).toHaveLength(0);
  });

  it("NotPatternITCase.testNotNextNoMatchesAtTheEnd", () => {
    const pattern = Pattern.begin<Event>("start")
      .where(named("a"))
      .followedByAny("middle")
      .where(named("c"))
      .followedByAny("end")
      .where(named("d"))
      .notNext("notPattern")
      .where(named("b"));
    const r = feed(pattern, [
      [ev(40, "a", 1.0), 1],
      [ev(41, "c", 2.0), 2],
      [ev(43, "c", 4.0), 3],
      [ev(43, "d", 4.0), 4],
      [ev(42, "b", 3.0), 5],
    ]);
    expect(r.matches).toHaveLength(0);
  });

  it("NotPatternITCase.testNotFollowedBy", () => {
    const { e, records } = acbcd();
    const pattern = Pattern.begin<Event>("start")
      .where(named("a"))
      .notFollowedBy("notPattern")
      .where(named("b"))
      .followedByAny("middle")
      .where(named("c"))
      .followedBy("end")
      .where(named("d"));
    expectMatches(feed(pattern, records).matches, [{ start: [e.a1], middle: [e.c1], end: [e.d] }]);
  });

  it("NotPatternITCase.testNotFollowedByBeforeOptional", () => {
    const { e, records } = acbcd();
    const pattern = Pattern.begin<Event>("start")
      .where(named("a"))
      .notFollowedBy("notPattern")
      .where(named("b"))
      .followedByAny("middle")
      .where(named("c"))
      .optional()
      .followedBy("end")
      .where(named("d"));
    expectMatches(feed(pattern, records).matches, [{ start: [e.a1], middle: [e.c1], end: [e.d] }]);
  });

  it("NotPatternITCase.testTimesWithNotFollowedBy", () => {
    const pattern = Pattern.begin<Event>("start")
      .where(named("a"))
      .followedByAny("middle")
      .where(named("b"))
      .times(2)
      .notFollowedBy("notPattern")
      .where(named("c"))
      .followedBy("end")
      .where(named("d"));
    const r = feed(pattern, [
      [ev(40, "a", 1.0), 1],
      [ev(41, "b", 2.0), 2],
      [ev(42, "c", 3.0), 3],
      [ev(43, "b", 4.0), 4],
      [ev(43, "d", 4.0), 5],
    ]);
    expectMatches(r.matches, []);
  });

  it("NotPatternITCase.testIgnoreStateOfTimesWithNotFollowedBy", () => {
    const a1 = ev(40, "a", 1.0);
    const d1 = ev(45, "d", 6.0);
    const pattern = Pattern.begin<Event>("start")
      .where(named("a"))
      .notFollowedBy("notPattern")
      .where(named("b"))
      .followedByAny("middle")
      .where(named("c"))
      .times(2)
      .optional()
      .followedBy("end")
      .where(named("d"));
    // timestamps go backwards on purpose (arrival order is what counts here)
    const r = feed(pattern, [
      [a1, 1],
      [d1, 2],
      [ev(41, "e", 2.0), 1],
      [ev(43, "b", 4.0), 3],
      [ev(42, "c", 3.0), 2],
      [ev(44, "c", 5.0), 4],
      [ev(46, "d", 7.0), 5],
    ]);
    expectMatches(r.matches, [{ start: [a1], end: [d1] }]);
  });

  it("NotPatternITCase.testTimesWithNotFollowedByAfter", () => {
    const pattern = Pattern.begin<Event>("start")
      .where(named("a"))
      .followedByAny("middle")
      .where(named("b"))
      .times(2)
      .notFollowedBy("notPattern")
      .where(named("c"))
      .followedBy("end")
      .where(named("d"));
    const r = feed(pattern, [
      [ev(40, "a", 1.0), 1],
      [ev(46, "d", 7.0), 2],
      [ev(41, "e", 2.0), 1],
      [ev(43, "b", 4.0), 3],
      [ev(44, "b", 5.0), 3],
      [ev(42, "c", 3.0), 2],
      [ev(47, "d", 8.0), 5],
    ]);
    expectMatches(r.matches, []);
  });

  it("NotPatternITCase.testNotFollowedByBeforeOptionalAtTheEnd", () => {
    const a1 = ev(40, "a", 1.0);
    const c1 = ev(41, "c", 2.0);
    const pattern = Pattern.begin<Event>("start")
      .where(named("a"))
      .notFollowedBy("notPattern")
      .where(named("b"))
      .followedByAny("end")
      .where(named("c"))
      .optional();
    const r = feed(pattern, [
      [a1, 1],
      [c1, 2],
      [ev(42, "b", 3.0), 3],
      [ev(43, "c", 4.0), 4],
    ]);
    expectMatches(r.matches, [{ start: [a1], end: [c1] }, { start: [a1] }]);
  });

  it("NotPatternITCase.testNotFollowedByBeforeOptionalTimes", () => {
    const { e, records } = acbcd();
    const pattern = Pattern.begin<Event>("start")
      .where(named("a"))
      .notFollowedBy("notPattern")
      .where(named("b"))
      .followedByAny("middle")
      .where(named("c"))
      .times(2)
      .optional()
      .followedBy("end")
      .where(named("d"));
    expectMatches(feed(pattern, records).matches, [{ start: [e.a1], middle: [e.c1, e.c2], end: [e.d] }]);
  });

  it("NotPatternITCase.testNotFollowedByWithBranchingAtStart", () => {
    const a2 = ev(41, "a", 4.0);
    const c2 = ev(43, "c", 5.0);
    const d = ev(43, "d", 6.0);
    const pattern = Pattern.begin<Event>("start")
      .where(named("a"))
      .notFollowedBy("notPattern")
      .where(named("b"))
      .followedBy("middle")
      .where(named("c"))
      .followedBy("end")
      .where(named("d"));
    const r = feed(pattern, [
      [ev(40, "a", 1.0), 1],
      [ev(42, "b", 3.0), 2],
      [ev(41, "c", 2.0), 3],
      [a2, 4],
      [c2, 5],
      [d, 6],
    ]);
    expectMatches(r.matches, [{ start: [a2], middle: [c2], end: [d] }]);
  });

  /** NotPatternITCase.NotFollowByData */
  const N = {
    A_1: ev(40, "a", 1.0),
    B_1: ev(41, "b", 2.0),
    B_2: ev(42, "b", 3.0),
    B_3: ev(42, "b", 4.0),
    C_1: ev(43, "c", 5.0),
    B_4: ev(42, "b", 6.0),
    B_5: ev(42, "b", 7.0),
    B_6: ev(42, "b", 8.0),
    D_1: ev(43, "d", 9.0),
  };
  const indexed = (events: Event[]) => events.map((e, i) => [e, i] as const);
  const abd = (...bs: Event[]) => ({ a: [N.A_1], "b*": bs, d: [N.D_1] });

  describe("notNext after oneOrMore", () => {
    const run = (allMatches: boolean) => {
      const a = Pattern.begin<Event>("a").where(named("a"));
      const pattern = (allMatches ? a.followedByAny("b*") : a.followedBy("b*"))
        .where(named("b"))
        .oneOrMore()
        .notNext("not c")
        .where(named("c"))
        .followedBy("d")
        .where(named("d"));
      return feed(pattern, indexed([N.A_1, N.B_1, N.C_1, N.B_2, N.D_1])).matches;
    };

    it("NotPatternITCase.testNotNextAfterOneOrMoreSkipTillNext", () => {
      expect(run(false)).toHaveLength(0);
    });

    it("NotPatternITCase.testNotNextAfterOneOrMoreSkipTillAny", () => {
      expectMatches(run(true), [abd(N.B_2)]);
    });
  });

  describe("notFollowedBy after oneOrMore", () => {
    const run = (eager: boolean, allMatches: boolean) => {
      const a = Pattern.begin<Event>("a").where(named("a"));
      const b = (allMatches ? a.followedByAny("b*") : a.followedBy("b*")).where(named("b")).oneOrMore();
      const pattern = (eager ? b : b.allowCombinations())
        .notFollowedBy("not c")
        .where(named("c"))
        .followedBy("d")
        .where(named("d"));
      return feed(pattern, indexed([N.A_1, N.B_1, N.B_2, N.B_3, N.C_1, N.B_4, N.B_5, N.B_6, N.D_1])).matches;
    };

    it("NotPatternITCase.testNotFollowedByNextAfterOneOrMoreEager", () => {
      expect(run(true, false)).toHaveLength(0);
    });

    it("NotPatternITCase.testNotFollowedByAnyAfterOneOrMoreEager", () => {
      expectMatches(run(true, true), [
        abd(N.B_4, N.B_5, N.B_6),
        abd(N.B_4, N.B_5),
        abd(N.B_4),
        abd(N.B_5, N.B_6),
        abd(N.B_5),
        abd(N.B_6),
      ]);
    });

    it("NotPatternITCase.testNotFollowedByNextAfterOneOrMoreCombinations", () => {
      expect(run(false, false)).toHaveLength(0);
    });

    it("NotPatternITCase.testNotFollowedByAnyAfterOneOrMoreCombinations", () => {
      expectMatches(run(false, true), [
        abd(N.B_4, N.B_5, N.B_6),
        abd(N.B_4, N.B_5),
        abd(N.B_4, N.B_6),
        abd(N.B_4),
        abd(N.B_5, N.B_6),
        abd(N.B_5),
        abd(N.B_6),
      ]);
    });
  });

  describe("notFollowedBy before oneOrMore / zeroOrMore", () => {
    const run = (eager: boolean, allMatches: boolean, optional: boolean) => {
      const a = Pattern.begin<Event>("a").where(named("a")).notFollowedBy("not c").where(named("c"));
      let b = (allMatches ? a.followedByAny("b*") : a.followedBy("b*")).where(named("b")).oneOrMore();
      if (optional) b = b.optional();
      const pattern = (eager ? b : b.allowCombinations()).followedBy("d").where(named("d"));
      return feed(pattern, indexed([N.A_1, N.B_1, N.C_1, N.B_4, N.B_5, N.B_6, N.D_1])).matches;
    };
    const eagerResult = () => [abd(N.B_1, N.B_4, N.B_5, N.B_6), abd(N.B_1, N.B_4, N.B_5), abd(N.B_1, N.B_4), abd(N.B_1)];
    const combinationsResult = () => [
      abd(N.B_1, N.B_4, N.B_5, N.B_6),
      abd(N.B_1, N.B_4, N.B_6),
      abd(N.B_1, N.B_4, N.B_5),
      abd(N.B_1, N.B_4),
      abd(N.B_1, N.B_5, N.B_6),
      abd(N.B_1, N.B_5),
      abd(N.B_1, N.B_6),
      abd(N.B_1),
    ];

    it("NotPatternITCase.testNotFollowedByAnyBeforeOneOrMoreEager", () => {
      expectMatches(run(true, true, false), eagerResult());
    });
    it("NotPatternITCase.testNotFollowedByAnyBeforeOneOrMoreCombinations", () => {
      expectMatches(run(false, true, false), combinationsResult());
    });
    it("NotPatternITCase.testNotFollowedByBeforeOneOrMoreEager", () => {
      expectMatches(run(true, false, false), eagerResult());
    });
    it("NotPatternITCase.testNotFollowedByBeforeOneOrMoreCombinations", () => {
      expectMatches(run(false, false, false), combinationsResult());
    });
    it("NotPatternITCase.testNotFollowedByBeforeZeroOrMoreEagerSkipTillNext", () => {
      expectMatches(run(true, false, true), eagerResult());
    });
    it("NotPatternITCase.testNotFollowedByBeforeZeroOrMoreCombinationsSkipTillNext", () => {
      expectMatches(run(false, false, true), combinationsResult());
    });
    it("NotPatternITCase.testNotFollowedByBeforeZeroOrMoreEagerSkipTillAny", () => {
      expectMatches(run(true, true, true), eagerResult());
    });
    it("NotPatternITCase.testNotFollowedByBeforeZeroOrMoreCombinationsSkipTillAny", () => {
      expectMatches(run(false, true, true), combinationsResult());
    });
  });

  for (const withinType of [WithinType.FIRST_AND_LAST, WithinType.PREVIOUS_AND_CURRENT]) {
    const name = withinType === WithinType.FIRST_AND_LAST ? "FirstAndLast" : "PreviousAndCurrent";
    it(`NotPatternITCase.testNotFollowedByWithin${name}AtEnd`, () => {
      const a2 = ev(42, "a", 3.0);
      const pattern = Pattern.begin<Event>("a")
        .where(named("a"))
        .notFollowedBy("b")
        .where(named("b"))
        .within(3, withinType);
      const r = feed(pattern, [
        [ev(40, "a", 1.0), 1],
        [ev(41, "b", 2.0), 2],
        [a2, 4],
        [ev(43, "c", 4.0), 5],
        [ev(44, "b", 5.0), 10],
        [ev(45, "a", 7.0), 11],
        [ev(46, "b", 8.0), 13],
      ]);
      expectMatches(r.matches, [{ a: [a2] }]);
    });
  }

  it("NotPatternITCase.testNotFollowByBeforeTimesWithin", () => {
    const a1 = ev(40, "a", 1.0);
    const a2 = ev(42, "a", 3.0);
    const c1 = ev(43, "c", 4.0);
    const c2 = ev(44, "c", 5.0);
    const a3 = ev(45, "a", 7.0);
    const c3 = ev(46, "c", 8.0);
    const pattern = Pattern.begin<Event>("a")
      .where(named("a"))
      .notFollowedBy("b")
      .where(named("b"))
      .followedBy("c")
      .where(named("c"))
      .times(0, 2)
      .within(3);
    const r = feed(pattern, [
      [a1, 1],
      [ev(41, "b", 2.0), 2],
      [a2, 10],
      [c1, 11],
      [c2, 12],
      [a3, 20],
      [c3, 21],
      [ev(47, "c", 8.0), 24],
    ]);
    expectMatches(r.matches, [{ a: [a1] }, { a: [a2] }, { a: [a2], c: [c1] }, { a: [a2], c: [c1, c2] }, { a: [a3] }, { a: [a3], c: [c3] }]);
  });

  it("NotPatternITCase.testNotFollowedByWithinAtEndAfterMatch", () => {
    const a1 = ev(40, "a", 1.0);
    const a2 = ev(41, "a", 2.0);
    const a3 = ev(42, "a", 3.0);
    const c1 = ev(43, "c", 4.0);
    const pattern = Pattern.begin<Event>("a", AfterMatchSkipStrategy.skipPastLastEvent())
      .where(named("a"))
      .oneOrMore()
      .allowCombinations()
      .followedBy("c")
      .where(named("c"))
      .notFollowedBy("b")
      .where(named("b"))
      .within(5);
    const r = feed(pattern, [
      [a1, 1],
      [a2, 2],
      [a3, 3],
      [c1, 4],
      [ev(44, "c", 5.0), 10],
    ]);
    expectMatches(r.matches, [{ a: [a1, a2, a3], c: [c1] }]);
  });

  describe("FlinkCEP NFACompiler behaviour (from its source, not its tests)", () => {
    it("NFACompiler.copyWithoutTransitiveNots: taking an optional stage discards the NOTs before it", () => {
      // its Javadoc: for begin("a").notFollowedBy("b").followedByAny("c").optional().followedByAny("d"),
      // {a c b d} is a valid match, but {a b d} is not.
      const pattern = () =>
        Pattern.begin<Event>("a")
          .where(named("a"))
          .notFollowedBy("b")
          .where(named("b"))
          .followedByAny("c")
          .where(named("c"))
          .optional()
          .followedByAny("d")
          .where(named("d"));
      const a = ev(1, "a", 0);
      const c = ev(2, "c", 0);
      const d = ev(4, "d", 0);
      expectMatches(
        feed(pattern(), [
          [a, 1],
          [c, 2],
          [ev(3, "b", 0), 3],
          [d, 4],
        ]).matches,
        [{ a: [a], c: [c], d: [d] }],
      );
      expectMatches(
        feed(pattern(), [
          [a, 1],
          [ev(3, "b", 0), 3],
          [d, 4],
        ]).matches,
        [],
      );
    });

    it("notNext at the end: the match is emitted on the next event, if that event does not match", () => {
      // NFACompiler: a trailing notNext state gets an ignore edge to the final state on NOT(b)
      const pattern = Pattern.begin<Event>("a").where(named("a")).notNext("b").where(named("b"));
      const a = ev(1, "a", 0);
      expectMatches(
        feed(pattern, [
          [a, 1],
          [ev(2, "c", 0), 2],
        ]).matches,
        [{ a: [a] }],
      );
      expectMatches(
        feed(pattern, [
          [a, 1],
          [ev(2, "b", 0), 2],
        ]).matches,
        [],
      );
    });
  });
});
