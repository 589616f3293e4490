/**
 * Port of FlinkCEP's NFAITCase (flink-libraries/flink-cep/src/test/java/org/apache/flink/cep/nfa/NFAITCase.java):
 * same events, timestamps, patterns and expected matches, compared per stage. Kept as one
 * file in NFAITCase's order (hence its length) so the two can be read side by side.
 */
import { describe, expect, it } from "vitest";
import { AfterMatchSkipStrategy, Pattern, PatternError, WithinType } from "../../../src/index.js";
import {
  driveNfa,
  ev,
  type Event,
  expectMatches,
  expectTimeouts,
  feed,
  isSubEvent,
  named,
  sub,
  type SubEvent,
} from "./harness.js";

/** NFAITCase.ConsecutiveData */
const C = {
  startEvent: ev(40, "c", 1.0),
  middleEvent1: ev(41, "a", 2.0),
  middleEvent2: ev(42, "a", 3.0),
  middleEvent3: ev(43, "a", 4.0),
  middleEvent4: ev(43, "a", 5.0),
  end: ev(44, "b", 5.0),
};
const f = () => ev(23, "f", 1.0);

/** c, f, m1, f, m2, m3, end at 1..7 (used by many NFAITCase tests). */
const nonStrictInput = () =>
  [
    [C.startEvent, 1],
    [f(), 2],
    [C.middleEvent1, 3],
    [f(), 4],
    [C.middleEvent2, 5],
    [C.middleEvent3, 6],
    [C.end, 7],
  ] as const;

describe("NFAITCase", () => {
  it("NFAITCase.testNoConditionNFA", () => {
    const [a, b, c, d, e] = [ev(40, "a", 1.0), ev(41, "b", 2.0), ev(42, "c", 3.0), ev(43, "d", 4.0), ev(44, "e", 5.0)];
    const pattern = Pattern.begin<Event>("start").followedBy("end");
    const r = feed(pattern, [[a, 1], [b, 2], [c, 3], [d, 4], [e, 5]]);
    expectMatches(r.matches, [
      { start: [a], end: [b] },
      { start: [b], end: [c] },
      { start: [c], end: [d] },
      { start: [d], end: [e] },
    ]);
  });

  it("NFAITCase.testNoConditionLoopingNFA", () => {
    const [a, b, c, d, e] = [ev(40, "a", 1.0), ev(41, "b", 2.0), ev(42, "c", 3.0), ev(43, "d", 4.0), ev(44, "e", 5.0)];
    const pattern = Pattern.begin<Event>("start").followedBy("end").oneOrMore();
    const r = feed(pattern, [[a, 1], [b, 2], [c, 3], [d, 4], [e, 5]]);
    expectMatches(r.matches, [
      { start: [a], end: [b, c, d, e] },
      { start: [a], end: [b, c, d] },
      { start: [a], end: [b, c] },
      { start: [a], end: [b] },
      { start: [b], end: [c, d, e] },
      { start: [b], end: [c, d] },
      { start: [b], end: [c] },
      { start: [c], end: [d, e] },
      { start: [c], end: [d] },
      { start: [d], end: [e] },
    ]);
  });

  it("NFAITCase.testAnyWithNoConditionNFA", () => {
    const [a, b, c, d, e] = [ev(40, "a", 1.0), ev(41, "b", 2.0), ev(42, "c", 3.0), ev(43, "d", 4.0), ev(44, "e", 5.0)];
    const pattern = Pattern.begin<Event>("start").followedByAny("end");
    const r = feed(pattern, [[a, 1], [b, 2], [c, 3], [d, 4], [e, 5]]);
    expectMatches(r.matches, [
      { start: [a], end: [b] },
      { start: [a], end: [c] },
      { start: [a], end: [d] },
      { start: [a], end: [e] },
      { start: [b], end: [c] },
      { start: [b], end: [d] },
      { start: [b], end: [e] },
      { start: [c], end: [d] },
      { start: [c], end: [e] },
      { start: [d], end: [e] },
    ]);
  });

  it("NFAITCase.testSimplePatternNFA", () => {
    const startEvent = ev(41, "start", 1.0);
    const middleEvent = sub(42, "foo", 1.0, 10.0);
    const endEvent = ev(43, "end", 1.0);
    const pattern = Pattern.begin<Event>("start")
      .where(named("start"))
      .followedBy("middle")
      .subtype(isSubEvent)
      .where((e) => (e as SubEvent).volume > 5.0)
      .followedBy("end")
      .where(named("end"));
    const r = feed(pattern, [
      [startEvent, 1],
      [ev(43, "foobar", 1.0), 2],
      [sub(41, "barfoo", 1.0, 5.0), 3],
      [middleEvent, 3],
      [ev(43, "start", 1.0), 4],
      [endEvent, 5],
    ]);
    expectMatches(r.matches, [{ start: [startEvent], middle: [middleEvent], end: [endEvent] }]);
  });

  it("NFAITCase.testStrictContinuityWithResults", () => {
    const middleEvent1 = ev(41, "a", 2.0);
    const end = ev(42, "b", 4.0);
    const pattern = Pattern.begin<Event>("middle").where(named("a")).next("end").where(named("b"));
    const r = feed(pattern, [
      [middleEvent1, 3],
      [end, 5],
    ]);
    expectMatches(r.matches, [{ middle: [middleEvent1], end: [end] }]);
  });

  it("NFAITCase.testStrictContinuityNoResults", () => {
    const pattern = Pattern.begin<Event>("middle").where(named("a")).next("end").where(named("b"));
    const r = feed(pattern, [
      [ev(41, "a", 2.0), 3],
      [ev(42, "c", 3.0), 4],
      [ev(43, "b", 4.0), 5],
    ]);
    expectMatches(r.matches, []);
  });

  describe("time windows", () => {
    const windowInput = () => {
      const e = {
        s1: ev(1, "start", 1.0),
        s2: ev(2, "start", 1.0),
        middle: ev(3, "middle", 1.0),
        foobar: ev(4, "foobar", 1.0),
        end5: ev(5, "end", 1.0),
        end6: ev(6, "end", 1.0),
      };
      const records = [
        [e.s1, 1],
        [e.s2, 2],
        [e.middle, 3],
        [e.foobar, 4],
        [e.end5, 11],
        [e.end6, 13],
      ] as const;
      return { e, records };
    };

    it("NFAITCase.testSimplePatternWithTimeWindowNFAWithinFirstAndLast", () => {
      const { e, records } = windowInput();
      const pattern = Pattern.begin<Event>("start")
        .where(named("start"))
        .followedBy("middle")
        .where(named("middle"))
        .followedBy("end")
        .where(named("end"))
        .within(10);
      expectMatches(feed(pattern, records).matches, [{ start: [e.s2], middle: [e.middle], end: [e.end5] }]);
    });

    it("NFAITCase.testSimplePatternWithTimeWindowNFAWithinPreviousAndCurrent", () => {
      const { e, records } = windowInput();
      const pattern = Pattern.begin<Event>("start")
        .where(named("start"))
        .followedBy("middle")
        .where(named("middle"))
        .followedBy("end")
        .where(named("end"))
        .within(9, WithinType.PREVIOUS_AND_CURRENT);
      expectMatches(feed(pattern, records).matches, [
        { start: [e.s1], middle: [e.middle], end: [e.end5] },
        { start: [e.s2], middle: [e.middle], end: [e.end5] },
      ]);
    });

    it("NFAITCase.testSimplePatternWithTimeoutHandlingWithinFirstAndLast", () => {
      const { e, records } = windowInput();
      const pattern = Pattern.begin<Event>("start")
        .where(named("start"))
        .followedByAny("middle")
        .where(named("middle"))
        .followedByAny("end")
        .where(named("end"))
        .within(10);
      const r = feed(pattern, records);
      expect(r.matches).toHaveLength(1);
      expectTimeouts(r.timeouts, [
        { match: { start: [e.s1], middle: [e.middle] }, timestamp: 11 },
        { match: { start: [e.s2], middle: [e.middle] }, timestamp: 12 },
        { match: { start: [e.s1] }, timestamp: 11 },
        { match: { start: [e.s2] }, timestamp: 12 },
      ]);
    });

    it("NFAITCase.testSimplePatternWithTimeoutHandlingWithinPreviousAndCurrent", () => {
      const { e, records } = windowInput();
      const pattern = Pattern.begin<Event>("start")
        .where(named("start"))
        .followedByAny("middle")
        .where(named("middle"))
        .followedByAny("end")
        .where(named("end"))
        .within(10, WithinType.PREVIOUS_AND_CURRENT);
      const r = feed(pattern, records);
      expect(r.matches).toHaveLength(2);
      expectTimeouts(r.timeouts, [
        { match: { start: [e.s1], middle: [e.middle] }, timestamp: 13 },
        { match: { start: [e.s2], middle: [e.middle] }, timestamp: 13 },
      ]);
    });

    for (const withinType of [WithinType.FIRST_AND_LAST, WithinType.PREVIOUS_AND_CURRENT]) {
      const suffix = withinType === WithinType.FIRST_AND_LAST ? "WithinFirstAndLast" : "WithinPreviousAndCurrent";
      it(`NFAITCase.testPendingStateMatches${suffix}`, () => {
        // start notFollowedBy middle within 5: a pending match is emitted when its window closes.
        const s3 = ev(3, "start", 1.0);
        const s4 = ev(4, "start", 1.0);
        const pattern = Pattern.begin<Event>("start")
          .where(named("start"))
          .notFollowedBy("middle")
          .where(named("middle"))
          .within(5, withinType);
        const r = feed(pattern, [
          [ev(1, "start", 1.0), 1],
          [ev(2, "middle", 1.0), 4],
          [s3, 5],
          [s4, 11],
          [ev(5, "middle", 1.0), 18],
        ]);
        expectMatches(r.matches, [{ start: [s3] }, { start: [s4] }]);
      });
    }
  });

  it("NFAITCase.testBranchingPattern", () => {
    const startEvent = ev(40, "start", 1.0);
    const m1 = sub(41, "foo1", 1.0, 10.0);
    const m2 = sub(42, "foo2", 1.0, 10.0);
    const m3 = sub(43, "foo3", 1.0, 10.0);
    const n1 = sub(44, "next-one", 1.0, 2.0);
    const n2 = sub(45, "next-one", 1.0, 2.0);
    const endEvent = ev(46, "end", 1.0);
    const pattern = Pattern.begin<Event>("start")
      .where(named("start"))
      .followedByAny("middle-first")
      .subtype(isSubEvent)
      .where((e) => (e as SubEvent).volume > 5.0)
      .followedByAny("middle-second")
      .subtype(isSubEvent)
      .where(named("next-one"))
      .followedByAny("end")
      .where(named("end"));
    const r = feed(pattern, [
      [startEvent, 1],
      [m1, 3],
      [m2, 4],
      [m3, 5],
      [n1, 6],
      [n2, 7],
      [endEvent, 8],
    ]);
    const expected = [];
    for (const n of [n1, n2]) {
      for (const m of [m1, m2, m3]) {
        expected.push({ start: [startEvent], "middle-first": [m], "middle-second": [n], end: [endEvent] });
      }
    }
    expectMatches(r.matches, expected);
  });

  it("NFAITCase.testComplexBranchingAfterZeroOrMore", () => {
    const startEvent = ev(40, "c", 1.0);
    const m1 = ev(41, "a", 2.0);
    const m2 = ev(42, "a", 3.0);
    const m3 = ev(43, "a", 4.0);
    const end1 = ev(44, "b", 5.0);
    const end2 = ev(45, "d", 6.0);
    const end3 = ev(46, "d", 7.0);
    const end4 = ev(47, "e", 8.0);
    const pattern = Pattern.begin<Event>("start")
      .where(named("c"))
      .followedByAny("middle")
      .where(named("a"))
      .oneOrMore()
      .allowCombinations()
      .optional()
      .followedByAny("end1")
      .where(named("b"))
      .followedByAny("end2")
      .where(named("d"))
      .followedByAny("end3")
      .where(named("e"));
    const r = feed(pattern, [
      [startEvent, 1],
      [m1, 3],
      [m2, 4],
      [m3, 5],
      [end1, 6],
      [end2, 7],
      [end3, 8],
      [end4, 9],
    ]);
    const middles = [[m1, m2, m3], [m1, m2], [m1, m3], [m2, m3], [m1], [m2], [m3], []];
    const expected = [];
    for (const d of [end2, end3]) {
      for (const middle of middles) {
        expected.push({ start: [startEvent], middle, end1: [end1], end2: [d], end3: [end4] });
      }
    }
    expectMatches(r.matches, expected);
  });

  it("NFAITCase.testZeroOrMore", () => {
    const startEvent = ev(40, "c", 1.0);
    const m1 = ev(41, "a", 2.0);
    const m2 = ev(42, "a", 3.0);
    const end1 = ev(44, "b", 5.0);
    const pattern = Pattern.begin<Event>("start")
      .where(named("c"))
      .followedByAny("middle")
      .where(named("a"))
      .oneOrMore()
      .allowCombinations()
      .optional()
      .followedBy("end1")
      .where(named("b"));
    const r = feed(pattern, [
      [startEvent, 1],
      [m1, 3],
      [m2, 4],
      [end1, 6],
    ]);
    expectMatches(r.matches, [
      { start: [startEvent], middle: [m1, m2], end1: [end1] },
      { start: [startEvent], middle: [m1], end1: [end1] },
      { start: [startEvent], middle: [m2], end1: [end1] },
      { start: [startEvent], end1: [end1] },
    ]);
  });

  it("NFAITCase.testEagerZeroOrMore", () => {
    const startEvent = ev(40, "c", 1.0);
    const m1 = ev(41, "a", 2.0);
    const m2 = ev(42, "a", 3.0);
    const m3 = ev(43, "a", 4.0);
    const end1 = ev(44, "b", 5.0);
    const pattern = Pattern.begin<Event>("start")
      .where(named("c"))
      .followedBy("middle")
      .where(named("a"))
      .oneOrMore()
      .optional()
      .followedBy("end1")
      .where(named("b"));
    const r = feed(pattern, [
      [startEvent, 1],
      [m1, 3],
      [m2, 4],
      [ev(50, "d", 6.0), 5],
      [m3, 6],
      [end1, 7],
    ]);
    expectMatches(r.matches, [
      { start: [startEvent], middle: [m1, m2, m3], end1: [end1] },
      { start: [startEvent], middle: [m1, m2], end1: [end1] },
      { start: [startEvent], middle: [m1], end1: [end1] },
      { start: [startEvent], end1: [end1] },
    ]);
  });

  it("NFAITCase.testBeginWithZeroOrMore", () => {
    const m1 = ev(40, "a", 2.0);
    const m2 = ev(41, "a", 3.0);
    const m3 = ev(41, "a", 3.0);
    const end = ev(42, "b", 4.0);
    const pattern = Pattern.begin<Event>("middle")
      .where(named("a"))
      .oneOrMore()
      .optional()
      .followedBy("end")
      .where(named("b"));
    const r = feed(pattern, [
      [m1, 3],
      [m2, 4],
      [m3, 5],
      [end, 6],
    ]);
    expectMatches(r.matches, [
      { middle: [m1, m2, m3], end: [end] },
      { middle: [m1, m2], end: [end] },
      { middle: [m2, m3], end: [end] },
      { middle: [m1], end: [end] },
      { middle: [m2], end: [end] },
      { middle: [m3], end: [end] },
      { end: [end] },
    ]);
  });

  it("NFAITCase.testZeroOrMoreAfterZeroOrMore", () => {
    const startEvent = ev(40, "c", 1.0);
    const m1 = ev(41, "a", 2.0);
    const m2 = ev(42, "d", 3.0);
    const m3 = ev(43, "d", 4.0);
    const end = ev(44, "e", 4.0);
    const pattern = Pattern.begin<Event>("start")
      .where(named("c"))
      .followedByAny("middle-first")
      .where(named("a"))
      .oneOrMore()
      .allowCombinations()
      .optional()
      .followedBy("middle-second")
      .where(named("d"))
      .oneOrMore()
      .allowCombinations()
      .optional()
      .followedBy("end")
      .where(named("e"));
    const r = feed(pattern, [
      [startEvent, 1],
      [m1, 3],
      [m2, 4],
      [m3, 5],
      [end, 6],
    ]);
    expectMatches(r.matches, [
      { start: [startEvent], "middle-first": [m1], "middle-second": [m2, m3], end: [end] },
      { start: [startEvent], "middle-first": [m1], "middle-second": [m2], end: [end] },
      { start: [startEvent], "middle-second": [m2, m3], end: [end] },
      { start: [startEvent], "middle-second": [m2], end: [end] },
      { start: [startEvent], "middle-first": [m1], end: [end] },
      { start: [startEvent], end: [end] },
    ]);
  });

  it("NFAITCase.testZeroOrMoreAfterBranching", () => {
    const startEvent = ev(40, "c", 1.0);
    const m1 = ev(41, "a", 2.0);
    const m2 = ev(42, "a", 3.0);
    const merging = ev(42, "f", 3.0);
    const k1 = ev(43, "d", 4.0);
    const k2 = ev(44, "d", 4.0);
    const end = ev(45, "e", 4.0);
    const pattern = Pattern.begin<Event>("start")
      .where(named("c"))
      .followedByAny("branching")
      .where(named("a"))
      .followedByAny("merging")
      .where(named("f"))
      .followedByAny("kleene")
      .where(named("d"))
      .oneOrMore()
      .allowCombinations()
      .optional()
      .followedBy("end")
      .where(named("e"));
    const r = feed(pattern, [
      [startEvent, 1],
      [m1, 3],
      [m2, 4],
      [merging, 5],
      [k1, 6],
      [k2, 7],
      [end, 8],
    ]);
    const expected = [];
    for (const branching of [m1, m2]) {
      for (const kleene of [[], [k1], [k2], [k1, k2]]) {
        expected.push({ start: [startEvent], branching: [branching], merging: [merging], kleene, end: [end] });
      }
    }
    expectMatches(r.matches, expected);
  });

  it("NFAITCase.testStrictContinuityNoResultsAfterZeroOrMore", () => {
    const pattern = Pattern.begin<Event>("start")
      .where(named("d"))
      .followedBy("middle")
      .where(named("a"))
      .oneOrMore()
      .optional()
      .next("end")
      .where(named("b"));
    const r = feed(pattern, [
      [ev(40, "d", 2.0), 1],
      [ev(41, "a", 2.0), 2],
      [ev(42, "a", 2.0), 3],
      [ev(43, "c", 3.0), 4],
      [ev(44, "b", 4.0), 5],
    ]);
    expectMatches(r.matches, []);
  });

  it("NFAITCase.testStrictContinuityResultsAfterZeroOrMore", () => {
    const start = ev(40, "d", 2.0);
    const m1 = ev(41, "a", 2.0);
    const m2 = ev(42, "a", 2.0);
    const end = ev(43, "b", 4.0);
    const pattern = Pattern.begin<Event>("start")
      .where(named("d"))
      .followedByAny("middle")
      .where(named("a"))
      .oneOrMore()
      .optional()
      .allowCombinations()
      .next("end")
      .where(named("b"));
    const r = feed(pattern, [
      [start, 1],
      [m1, 2],
      [m2, 3],
      [end, 5],
    ]);
    expectMatches(r.matches, [
      { start: [start], middle: [m1, m2], end: [end] },
      { start: [start], middle: [m2], end: [end] },
    ]);
  });

  it("NFAITCase.testAtLeastOne", () => {
    const startEvent = ev(40, "c", 1.0);
    const m1 = ev(41, "a", 2.0);
    const m2 = ev(42, "a", 3.0);
    const end1 = ev(44, "b", 5.0);
    const pattern = Pattern.begin<Event>("start")
      .where(named("c"))
      .followedByAny("middle")
      .where(named("a"))
      .oneOrMore()
      .allowCombinations()
      .followedByAny("end1")
      .where(named("b"));
    const r = feed(pattern, [
      [startEvent, 1],
      [m1, 3],
      [m2, 4],
      [end1, 6],
    ]);
    expectMatches(r.matches, [
      { start: [startEvent], middle: [m1, m2], end1: [end1] },
      { start: [startEvent], middle: [m1], end1: [end1] },
      { start: [startEvent], middle: [m2], end1: [end1] },
    ]);
  });

  it("NFAITCase.testBeginWithAtLeastOne", () => {
    const s1 = ev(41, "a", 2.0);
    const s2 = ev(42, "a", 3.0);
    const s3 = ev(42, "a", 4.0);
    const end1 = ev(44, "b", 5.0);
    const pattern = Pattern.begin<Event>("start")
      .where(named("a"))
      .oneOrMore()
      .allowCombinations()
      .followedBy("end")
      .where(named("b"));
    const r = feed(pattern, [
      [s1, 3],
      [s2, 4],
      [s3, 5],
      [end1, 6],
    ]);
    expectMatches(r.matches, [
      { start: [s1, s2, s3], end: [end1] },
      { start: [s1, s2], end: [end1] },
      { start: [s1, s3], end: [end1] },
      { start: [s2, s3], end: [end1] },
      { start: [s1], end: [end1] },
      { start: [s2], end: [end1] },
      { start: [s3], end: [end1] },
    ]);
  });

  it("NFAITCase.testNextZeroOrMore", () => {
    const startEvent = ev(40, "start", 1.0);
    const endEvent = ev(46, "end", 1.0);
    const pattern = Pattern.begin<Event>("start")
      .where(named("start"))
      .next("middle")
      .where(named("middle"))
      .oneOrMore()
      .optional()
      .consecutive()
      .followedBy("end")
      .where(named("end"));
    const r = feed(pattern, [
      [startEvent, 1],
      [ev(1, "event", 1.0), 2],
      [ev(40, "middle", 2.0), 3],
      [ev(40, "middle", 3.0), 4],
      [ev(40, "middle", 4.0), 5],
      [endEvent, 6],
    ]);
    expectMatches(r.matches, [{ start: [startEvent], end: [endEvent] }]);
  });

  it("NFAITCase.testAtLeastOneEager", () => {
    const startEvent = ev(40, "c", 1.0);
    const m1 = ev(41, "a", 2.0);
    const m2 = ev(42, "a", 3.0);
    const m3 = ev(43, "a", 4.0);
    const end1 = ev(44, "b", 5.0);
    const pattern = Pattern.begin<Event>("start")
      .where(named("c"))
      .followedByAny("middle")
      .where(named("a"))
      .oneOrMore()
      .followedByAny("end1")
      .where(named("b"));
    const r = feed(pattern, [
      [startEvent, 1],
      [m1, 3],
      [m2, 4],
      [m3, 5],
      [end1, 6],
    ]);
    expectMatches(r.matches, [
      { start: [startEvent], middle: [m1, m2, m3], end1: [end1] },
      { start: [startEvent], middle: [m1, m2], end1: [end1] },
      { start: [startEvent], middle: [m2, m3], end1: [end1] },
      { start: [startEvent], middle: [m3], end1: [end1] },
      { start: [startEvent], middle: [m2], end1: [end1] },
      { start: [startEvent], middle: [m1], end1: [end1] },
    ]);
  });

  it("NFAITCase.testOptional", () => {
    const startEvent = ev(40, "c", 1.0);
    const middleEvent = ev(43, "a", 4.0);
    const end1 = ev(44, "b", 5.0);
    const pattern = Pattern.begin<Event>("start")
      .where(named("c"))
      .followedBy("middle")
      .where(named("a"))
      .optional()
      .followedBy("end1")
      .where(named("b"));
    const r = feed(pattern, [
      [startEvent, 1],
      [middleEvent, 5],
      [end1, 6],
    ]);
    expectMatches(r.matches, [
      { start: [startEvent], middle: [middleEvent], end1: [end1] },
      { start: [startEvent], end1: [end1] },
    ]);
  });

  it("NFAITCase.testTimes", () => {
    const pattern = Pattern.begin<Event>("start")
      .where(named("c"))
      .next("middle")
      .where(named("a"))
      .times(2)
      .allowCombinations()
      .followedBy("end1")
      .where(named("b"));
    const r = feed(pattern, [
      [C.startEvent, 1],
      [C.middleEvent1, 2],
      [C.middleEvent2, 3],
      [C.middleEvent3, 4],
      [C.end, 6],
    ]);
    expectMatches(r.matches, [
      { start: [C.startEvent], middle: [C.middleEvent1, C.middleEvent2], end1: [C.end] },
      { start: [C.startEvent], middle: [C.middleEvent1, C.middleEvent3], end1: [C.end] },
    ]);
  });

  it("NFAITCase.testStartWithTimes", () => {
    const pattern = Pattern.begin<Event>("middle")
      .where(named("a"))
      .times(2)
      .consecutive()
      .followedBy("end1")
      .where(named("b"));
    const r = feed(pattern, [
      [C.middleEvent1, 2],
      [C.middleEvent2, 3],
      [C.middleEvent3, 4],
      [C.end, 6],
    ]);
    expectMatches(r.matches, [
      { middle: [C.middleEvent1, C.middleEvent2], end1: [C.end] },
      { middle: [C.middleEvent2, C.middleEvent3], end1: [C.end] },
    ]);
  });

  it("NFAITCase.testTimesNonStrictWithNext", () => {
    const pattern = Pattern.begin<Event>("start")
      .where(named("c"))
      .next("middle")
      .where(named("a"))
      .times(2)
      .allowCombinations()
      .followedBy("end1")
      .where(named("b"));
    const r = feed(pattern, [
      [C.startEvent, 1],
      [C.middleEvent1, 2],
      [f(), 3],
      [C.middleEvent2, 4],
      [f(), 5],
      [C.middleEvent3, 6],
      [C.end, 7],
    ]);
    expectMatches(r.matches, [
      { start: [C.startEvent], middle: [C.middleEvent1, C.middleEvent2], end1: [C.end] },
      { start: [C.startEvent], middle: [C.middleEvent1, C.middleEvent3], end1: [C.end] },
    ]);
  });

  const followedByInput = () =>
    [
      [C.startEvent, 1],
      [C.middleEvent1, 2],
      [C.middleEvent2, 4],
      [C.middleEvent3, 6],
      [C.end, 7],
    ] as const;

  it("NFAITCase.testTimesNotStrictWithFollowedByEager", () => {
    const pattern = Pattern.begin<Event>("start")
      .where(named("c"))
      .followedBy("middle")
      .where(named("a"))
      .times(2)
      .followedBy("end1")
      .where(named("b"));
    expectMatches(feed(pattern, followedByInput()).matches, [
      { start: [C.startEvent], middle: [C.middleEvent1, C.middleEvent2], end1: [C.end] },
    ]);
  });

  it("NFAITCase.testTimesNotStrictWithFollowedByNotEager", () => {
    const pattern = Pattern.begin<Event>("start")
      .where(named("c"))
      .followedByAny("middle")
      .where(named("a"))
      .times(2)
      .allowCombinations()
      .followedBy("end1")
      .where(named("b"));
    expectMatches(feed(pattern, followedByInput()).matches, [
      { start: [C.startEvent], middle: [C.middleEvent1, C.middleEvent2], end1: [C.end] },
      { start: [C.startEvent], middle: [C.middleEvent2, C.middleEvent3], end1: [C.end] },
      { start: [C.startEvent], middle: [C.middleEvent1, C.middleEvent3], end1: [C.end] },
    ]);
  });

  it("NFAITCase.testTimesStrictWithNextAndConsecutive", () => {
    const pattern = Pattern.begin<Event>("start")
      .where(named("c"))
      .next("middle")
      .where(named("a"))
      .times(2)
      .consecutive()
      .followedBy("end1")
      .where(named("b"));
    const r = feed(pattern, [
      [C.startEvent, 1],
      [C.middleEvent1, 2],
      [f(), 3],
      [C.middleEvent2, 4],
      [C.middleEvent3, 6],
      [C.end, 7],
    ]);
    expectMatches(r.matches, []);
  });

  it("NFAITCase.testStartWithOptional", () => {
    const startEvent = ev(40, "c", 1.0);
    const end1 = ev(44, "b", 5.0);
    const pattern = Pattern.begin<Event>("start")
      .where(named("c"))
      .optional()
      .followedBy("end1")
      .where(named("b"));
    const r = feed(pattern, [
      [startEvent, 1],
      [end1, 6],
    ]);
    expectMatches(r.matches, [{ start: [startEvent], end1: [end1] }, { end1: [end1] }]);
  });

  it("NFAITCase.testEndWithZeroOrMore", () => {
    const startEvent = ev(40, "c", 1.0);
    const m1 = ev(41, "a", 2.0);
    const m2 = ev(42, "a", 3.0);
    const m3 = ev(43, "a", 4.0);
    const pattern = Pattern.begin<Event>("start")
      .where(named("c"))
      .followedBy("middle")
      .where(named("a"))
      .oneOrMore()
      .optional();
    const r = feed(pattern, [
      [startEvent, 1],
      [m1, 3],
      [m2, 4],
      [m3, 5],
    ]);
    expectMatches(r.matches, [
      { start: [startEvent], middle: [m1, m2, m3] },
      { start: [startEvent], middle: [m1, m2] },
      { start: [startEvent], middle: [m1] },
      { start: [startEvent] },
    ]);
  });

  it("NFAITCase.testStartAndEndWithZeroOrMore: a pattern that can match nothing is a PatternError", () => {
    // FlinkCEP accepts begin("start").where(a).oneOrMore().optional() and, over
    // c a1 a2 a3 d d d, emits [a1 a2 a3], [a1 a2], [a1], [a2 a3], [a2], [a3]. cep-api.md makes
    // patterns that can match the empty sequence a PatternError instead.
    const build = () => Pattern.begin<Event>("start").where(named("a")).oneOrMore().optional();
    expect(() => feed(build(), [[ev(41, "a", 2.0), 3]])).toThrow(PatternError);
  });

  it("NFAITCase.testEndWithOptional", () => {
    const startEvent = ev(40, "c", 1.0);
    const m1 = ev(41, "a", 2.0);
    const pattern = Pattern.begin<Event>("start").where(named("c")).followedBy("middle").where(named("a")).optional();
    const r = feed(pattern, [
      [startEvent, 1],
      [m1, 3],
    ]);
    expectMatches(r.matches, [{ start: [startEvent], middle: [m1] }, { start: [startEvent] }]);
  });

  it("NFAITCase.testEndWithOneOrMore", () => {
    const startEvent = ev(40, "c", 1.0);
    const m1 = ev(41, "a", 2.0);
    const m2 = ev(42, "a", 3.0);
    const m3 = ev(43, "a", 4.0);
    const pattern = Pattern.begin<Event>("start").where(named("c")).followedBy("middle").where(named("a")).oneOrMore();
    const r = feed(pattern, [
      [startEvent, 1],
      [m1, 3],
      [m2, 4],
      [m3, 5],
    ]);
    expectMatches(r.matches, [
      { start: [startEvent], middle: [m1, m2, m3] },
      { start: [startEvent], middle: [m1, m2] },
      { start: [startEvent], middle: [m1] },
    ]);
  });

  describe("optional", () => {
    it("NFAITCase.testTimesNonStrictOptional1", () => {
      const pattern = Pattern.begin<Event>("start")
        .where(named("c"))
        .followedBy("middle")
        .where(named("a"))
        .times(3)
        .optional()
        .followedBy("end1")
        .where(named("b"));
      const r = feed(pattern, [
        [C.startEvent, 1],
        [f(), 2],
        [C.end, 7],
      ]);
      expectMatches(r.matches, [{ start: [C.startEvent], end1: [C.end] }]);
    });

    it("NFAITCase.testTimesNonStrictOptional2", () => {
      const pattern = Pattern.begin<Event>("start")
        .where(named("c"))
        .followedByAny("middle")
        .where(named("a"))
        .times(2)
        .allowCombinations()
        .optional()
        .followedBy("end1")
        .where(named("b"));
      expectMatches(feed(pattern, nonStrictInput()).matches, [
        { start: [C.startEvent], middle: [C.middleEvent1, C.middleEvent2], end1: [C.end] },
        { start: [C.startEvent], middle: [C.middleEvent1, C.middleEvent3], end1: [C.end] },
        { start: [C.startEvent], middle: [C.middleEvent2, C.middleEvent3], end1: [C.end] },
        { start: [C.startEvent], end1: [C.end] },
      ]);
    });

    it("NFAITCase.testTimesNonStrictOptional3", () => {
      const pattern = Pattern.begin<Event>("start")
        .where(named("c"))
        .followedByAny("middle")
        .where(named("a"))
        .times(2)
        .optional()
        .followedBy("end1")
        .where(named("b"));
      expectMatches(feed(pattern, nonStrictInput()).matches, [
        { start: [C.startEvent], middle: [C.middleEvent1, C.middleEvent2], end1: [C.end] },
        { start: [C.startEvent], middle: [C.middleEvent2, C.middleEvent3], end1: [C.end] },
        { start: [C.startEvent], end1: [C.end] },
      ]);
    });

    it("NFAITCase.testTimesStrictOptional", () => {
      const pattern = Pattern.begin<Event>("start")
        .where(named("c"))
        .followedByAny("middle")
        .where(named("a"))
        .times(2)
        .consecutive()
        .optional()
        .followedBy("end1")
        .where(named("b"));
      expectMatches(feed(pattern, nonStrictInput()).matches, [
        { start: [C.startEvent], middle: [C.middleEvent2, C.middleEvent3], end1: [C.end] },
        { start: [C.startEvent], end1: [C.end] },
      ]);
    });

    it("NFAITCase.testOneOrMoreStrictOptional", () => {
      const pattern = Pattern.begin<Event>("start")
        .where(named("c"))
        .followedByAny("middle")
        .where(named("a"))
        .oneOrMore()
        .consecutive()
        .optional()
        .followedBy("end1")
        .where(named("b"));
      expectMatches(feed(pattern, nonStrictInput()).matches, [
        { start: [C.startEvent], middle: [C.middleEvent2, C.middleEvent3], end1: [C.end] },
        { start: [C.startEvent], middle: [C.middleEvent1], end1: [C.end] },
        { start: [C.startEvent], middle: [C.middleEvent2], end1: [C.end] },
        { start: [C.startEvent], middle: [C.middleEvent3], end1: [C.end] },
        { start: [C.startEvent], end1: [C.end] },
      ]);
    });

    it("NFAITCase.testTimesStrictOptional1", () => {
      const pattern = Pattern.begin<Event>("start")
        .where(named("c"))
        .next("middle")
        .where(named("a"))
        .times(2)
        .consecutive()
        .optional()
        .followedBy("end1")
        .where(named("b"));
      const r = feed(pattern, [
        [C.startEvent, 1],
        [C.middleEvent1, 3],
        [C.middleEvent2, 5],
        [C.middleEvent3, 6],
        [C.end, 7],
      ]);
      expectMatches(r.matches, [
        { start: [C.startEvent], middle: [C.middleEvent1, C.middleEvent2], end1: [C.end] },
        { start: [C.startEvent], end1: [C.end] },
      ]);
    });

    it("NFAITCase.testOptionalTimesNonStrictWithNext", () => {
      const pattern = Pattern.begin<Event>("start")
        .where(named("c"))
        .next("middle")
        .where(named("a"))
        .times(2)
        .allowCombinations()
        .optional()
        .followedBy("end1")
        .where(named("b"));
      const r = feed(pattern, [
        [C.startEvent, 1],
        [C.middleEvent1, 2],
        [f(), 3],
        [C.middleEvent2, 4],
        [f(), 5],
        [C.middleEvent3, 6],
        [C.end, 7],
      ]);
      expectMatches(r.matches, [
        { start: [C.startEvent], middle: [C.middleEvent1, C.middleEvent2], end1: [C.end] },
        { start: [C.startEvent], middle: [C.middleEvent1, C.middleEvent3], end1: [C.end] },
        { start: [C.startEvent], end1: [C.end] },
      ]);
    });
  });

  describe("consecutive", () => {
    /** NFAITCase.testOneOrMore / testZeroOrMore: c d a1 a2 a3 d a4 b. */
    const loopInput = () =>
      [
        [C.startEvent, 1],
        [ev(50, "d", 6.0), 2],
        [C.middleEvent1, 3],
        [C.middleEvent2, 4],
        [C.middleEvent3, 4],
        [ev(50, "d", 6.0), 5],
        [C.middleEvent4, 6],
        [C.end, 7],
      ] as const;
    type Strategy = "STRICT" | "SKIP_TILL_NEXT" | "SKIP_TILL_ANY";
    const loopPattern = (strategy: Strategy, optional: boolean) => {
      let p = Pattern.begin<Event>("start").where(named("c")).followedBy("middle").where(named("a")).oneOrMore();
      if (optional) p = p.optional();
      if (strategy === "STRICT") p = p.consecutive();
      if (strategy === "SKIP_TILL_ANY") p = p.allowCombinations();
      return p.followedBy("end1").where(named("b"));
    };
    const m = (...middle: Event[]) =>
      middle.length === 0
        ? { start: [C.startEvent], end1: [C.end] }
        : { start: [C.startEvent], middle, end1: [C.end] };
    const { middleEvent1: m1, middleEvent2: m2, middleEvent3: m3, middleEvent4: m4 } = C;

    it("NFAITCase.testStrictOneOrMore", () => {
      expectMatches(feed(loopPattern("STRICT", false), loopInput()).matches, [m(m1, m2, m3), m(m1, m2), m(m1)]);
    });

    it("NFAITCase.testSkipTillNextOneOrMore", () => {
      expectMatches(feed(loopPattern("SKIP_TILL_NEXT", false), loopInput()).matches, [
        m(m1, m2, m3, m4),
        m(m1, m2, m3),
        m(m1, m2),
        m(m1),
      ]);
    });

    it("NFAITCase.testSkipTillAnyOneOrMore", () => {
      expectMatches(feed(loopPattern("SKIP_TILL_ANY", false), loopInput()).matches, [
        m(m1, m2, m3, m4),
        m(m1, m3, m4),
        m(m1, m2, m3),
        m(m1, m2, m4),
        m(m1, m2),
        m(m1, m3),
        m(m1, m4),
        m(m1),
      ]);
    });

    it("NFAITCase.testStrictEagerZeroOrMore", () => {
      expectMatches(feed(loopPattern("STRICT", true), loopInput()).matches, [m(m1, m2, m3), m(m1, m2), m(m1), m()]);
    });

    it("NFAITCase.testSkipTillAnyZeroOrMore", () => {
      expectMatches(feed(loopPattern("SKIP_TILL_ANY", true), loopInput()).matches, [
        m(m1, m2, m3, m4),
        m(m1, m2, m4),
        m(m1, m3, m4),
        m(m1, m4),
        m(m1, m2, m3),
        m(m1, m2),
        m(m1, m3),
        m(m1),
        m(),
      ]);
    });

    it("NFAITCase.testSkipTillNextZeroOrMore", () => {
      expectMatches(feed(loopPattern("SKIP_TILL_NEXT", true), loopInput()).matches, [
        m(m1, m2, m3, m4),
        m(m1, m2, m3),
        m(m1, m2),
        m(m1),
        m(),
      ]);
    });

    it("NFAITCase.testTimesStrict", () => {
      const pattern = Pattern.begin<Event>("start")
        .where(named("c"))
        .followedByAny("middle")
        .where(named("a"))
        .times(2)
        .consecutive()
        .followedBy("end1")
        .where(named("b"));
      expectMatches(feed(pattern, nonStrictInput()).matches, [m(m2, m3)]);
    });

    it("NFAITCase.testTimesNonStrict", () => {
      const pattern = Pattern.begin<Event>("start")
        .where(named("c"))
        .followedByAny("middle")
        .where(named("a"))
        .times(2)
        .allowCombinations()
        .followedBy("end1")
        .where(named("b"));
      expectMatches(feed(pattern, nonStrictInput()).matches, [m(m1, m2), m(m1, m3), m(m2, m3)]);
    });

    const startStrictInput = () =>
      [
        [C.startEvent, 1],
        [C.middleEvent1, 3],
        [C.startEvent, 4],
        [C.middleEvent2, 5],
        [C.middleEvent3, 6],
      ] as const;

    it("NFAITCase.testStartWithZeroOrMoreStrict: a pattern that can match nothing is a PatternError", () => {
      // FlinkCEP: begin(a).oneOrMore().optional().consecutive() yields [a1], [a2 a3], [a2], [a3];
      // cep-api.md rejects patterns that can match the empty sequence.
      const build = () => Pattern.begin<Event>("start").where(named("a")).oneOrMore().optional().consecutive();
      expect(() => feed(build(), startStrictInput())).toThrow(PatternError);
    });

    it("NFAITCase.testStartWithOneOrMoreStrict", () => {
      const pattern = Pattern.begin<Event>("start").where(named("a")).oneOrMore().consecutive();
      expectMatches(feed(pattern, startStrictInput()).matches, [
        { start: [m1] },
        { start: [m2, m3] },
        { start: [m2] },
        { start: [m3] },
      ]);
    });
  });

  describe("clearing the shared buffer", () => {
    for (const withinType of [WithinType.FIRST_AND_LAST, WithinType.PREVIOUS_AND_CURRENT]) {
      const suffix = withinType === WithinType.FIRST_AND_LAST ? "WithinFirstAndLast" : "WithinPreviousAndCurrent";

      it(`NFAITCase.testTimesClearingBuffer${suffix}`, () => {
        const startEvent = ev(40, "c", 1.0);
        const pattern = Pattern.begin<Event>("start")
          .where(named("c"))
          .next("middle")
          .where(named("a"))
          .times(2)
          .followedBy("end1")
          .where(named("b"))
          .within(8, withinType);
        const h = driveNfa(pattern).feed([
          [startEvent, 1],
          [ev(41, "a", 2.0), 2],
          [ev(42, "a", 3.0), 3],
          [ev(43, "a", 4.0), 4],
          [ev(44, "b", 5.0), 6],
        ]);
        h.advanceTime(10);
        // FlinkCEP: only the start computation state is left
        expect(h.state.partialMatchCount).toBe(0);
      });

      it(`NFAITCase.testOptionalClearingBuffer${suffix}`, () => {
        const startEvent = ev(40, "c", 1.0);
        const pattern = Pattern.begin<Event>("start")
          .where(named("c"))
          .followedBy("middle")
          .where(named("a"))
          .optional()
          .followedBy("end1")
          .where(named("b"))
          .within(8, withinType);
        const h = driveNfa(pattern).feed([
          [startEvent, 1],
          [ev(43, "a", 4.0), 5],
          [ev(44, "b", 5.0), 6],
        ]);
        h.advanceTime(10);
        expect(h.state.partialMatchCount).toBe(0);
      });

      it(`NFAITCase.testAtLeastOneClearingBuffer${suffix}`, () => {
        // (FlinkCEP uses a plain within(8) for both variants of this test)
        const pattern = Pattern.begin<Event>("start")
          .where(named("c"))
          .followedBy("middle")
          .where(named("a"))
          .oneOrMore()
          .allowCombinations()
          .followedBy("end1")
          .where(named("b"))
          .within(8);
        const h = driveNfa(pattern).feed([
          [ev(40, "c", 1.0), 1],
          [ev(41, "a", 2.0), 3],
          [ev(42, "a", 3.0), 4],
          [ev(44, "b", 5.0), 6],
        ]);
        h.advanceTime(10);
        expect(h.state.partialMatchCount).toBe(0);
      });
    }

    it("NFAITCase.testZeroOrMoreClearingBufferWithinFirstAndLast", () => {
      const pattern = Pattern.begin<Event>("start")
        .where(named("c"))
        .followedBy("middle")
        .where(named("a"))
        .oneOrMore()
        .allowCombinations()
        .optional()
        .followedBy("end1")
        .where(named("b"))
        .within(8);
      const h = driveNfa(pattern).feed([
        [ev(40, "c", 1.0), 1],
        [ev(41, "a", 2.0), 3],
        [ev(42, "a", 3.0), 4],
        [ev(44, "b", 5.0), 6],
      ]);
      h.advanceTime(10);
      expect(h.state.partialMatchCount).toBe(0);
    });

    it("NFAITCase.testLoopClearingWithinFirstAndLast", () => {
      const pattern = Pattern.begin<Event>("start", AfterMatchSkipStrategy.skipPastLastEvent())
        .times(4)
        .where(named("a"))
        .within(3);
      const h = driveNfa(pattern)
        .process(ev(40, "a", 1.0), 1)
        .process(ev(40, "a", 1.0), 2)
        .advanceTime(4);
      // the partial match started at 1 expired at 4; the one started at 2 still holds a2
      expect(h.state.bufferEntryCount).toBe(1);
    });
  });

  describe("skip till next", () => {
    const branchingInput = () => {
      const e = {
        startEvent: ev(40, "start", 1.0),
        m1: sub(41, "foo1", 1.0, 10.0),
        m2: sub(42, "foo2", 1.0, 10.0),
        m3: sub(43, "foo3", 1.0, 10.0),
        n1: sub(44, "next-one", 1.0, 2.0),
        n2: sub(45, "next-one", 1.0, 2.0),
        endEvent: ev(46, "end", 1.0),
      };
      const records = [
        [e.startEvent, 1],
        [e.m1, 3],
        [e.m2, 4],
        [e.m3, 5],
        [e.n1, 6],
        [e.n2, 7],
        [e.endEvent, 8],
      ] as const;
      return { e, records };
    };

    it("NFAITCase.testBranchingPatternSkipTillNext", () => {
      const { e, records } = branchingInput();
      const pattern = Pattern.begin<Event>("start")
        .where(named("start"))
        .followedBy("middle-first")
        .subtype(isSubEvent)
        .where((x) => (x as SubEvent).volume > 5.0)
        .followedBy("middle-second")
        .subtype(isSubEvent)
        .where(named("next-one"))
        .followedByAny("end")
        .where(named("end"));
      expectMatches(feed(pattern, records).matches, [
        { start: [e.startEvent], "middle-first": [e.m1], "middle-second": [e.n1], end: [e.endEvent] },
      ]);
    });

    it("NFAITCase.testBranchingPatternMixedFollowedBy", () => {
      const { e, records } = branchingInput();
      const pattern = Pattern.begin<Event>("start")
        .where(named("start"))
        .followedByAny("middle-first")
        .subtype(isSubEvent)
        .where((x) => (x as SubEvent).volume > 5.0)
        .followedBy("middle-second")
        .subtype(isSubEvent)
        .where(named("next-one"))
        .followedByAny("end")
        .where(named("end"));
      expectMatches(
        feed(pattern, records).matches,
        [e.m1, e.m2, e.m3].map((m) => ({
          start: [e.startEvent],
          "middle-first": [m],
          "middle-second": [e.n1],
          end: [e.endEvent],
        })),
      );
    });
  });

  it("NFAITCase.testMultipleTakesVersionCollision", () => {
    const startEvent = ev(40, "c", 1.0);
    const m1 = ev(41, "a", 2.0);
    const m2 = ev(41, "a", 3.0);
    const m3 = ev(41, "a", 4.0);
    const m4 = ev(41, "a", 5.0);
    const m5 = ev(41, "a", 6.0);
    const end = ev(44, "b", 5.0);
    const pattern = Pattern.begin<Event>("start")
      .where(named("c"))
      .followedBy("middle1")
      .where(named("a"))
      .oneOrMore()
      .allowCombinations()
      .followedBy("middle2")
      .where(named("a"))
      .oneOrMore()
      .allowCombinations()
      .followedBy("end")
      .where(named("b"));
    const r = feed(pattern, [
      [startEvent, 1],
      [m1, 3],
      [m2, 4],
      [m3, 5],
      [m4, 6],
      [m5, 7],
      [end, 10],
    ]);
    // FlinkCEP lists the 20 flattened matches; split per stage: middle1 starts with m1 (followedBy),
    // middle2 starts with the event right after middle1's last one, then any later subset.
    const x = (middle1: Event[], middle2: Event[]) => ({ start: [startEvent], middle1, middle2, end: [end] });
    expectMatches(r.matches, [
      x([m1], [m2]),
      x([m1], [m2, m3]),
      x([m1], [m2, m4]),
      x([m1], [m2, m5]),
      x([m1], [m2, m3, m4]),
      x([m1], [m2, m3, m5]),
      x([m1], [m2, m4, m5]),
      x([m1], [m2, m3, m4, m5]),
      x([m1, m2], [m3]),
      x([m1, m2], [m3, m4]),
      x([m1, m2], [m3, m5]),
      x([m1, m2], [m3, m4, m5]),
      x([m1, m3], [m4]),
      x([m1, m3], [m4, m5]),
      x([m1, m2, m3], [m4]),
      x([m1, m2, m3], [m4, m5]),
      x([m1, m4], [m5]),
      x([m1, m2, m4], [m5]),
      x([m1, m3, m4], [m5]),
      x([m1, m2, m3, m4], [m5]),
    ]);
  });

  it("NFAITCase.testNFAResultOrdering", () => {
    const s = [ev(41, "a-1", 2.0), ev(41, "a-2", 3.0), ev(41, "a-3", 4.0), ev(41, "a-4", 5.0)] as const;
    const e = [ev(41, "b-1", 6.0), ev(41, "b-2", 7.0), ev(41, "b-3", 8.0)] as const;
    const pattern = Pattern.begin<Event>("start")
      .where((x) => x.name.startsWith("a-"))
      .times(4)
      .allowCombinations()
      .followedByAny("middle")
      .where((x) => x.name.startsWith("b-"))
      .times(3)
      .consecutive();
    const r = feed(pattern, [
      [s[0], 1],
      [s[1], 3],
      [s[2], 4],
      [s[3], 5],
      [e[0], 6],
      [e[1], 7],
      [e[2], 10],
    ]);
    expect(r.matches).toHaveLength(1);
    expect(r.matches[0]!.start).toEqual([...s]);
    expect(r.matches[0]!.middle).toEqual([...e]);
  });

  it("NFAITCase.testNFAResultKeyOrdering", () => {
    const names = ["a", "b", "aa", "bb", "ab"];
    const pattern = Pattern.begin<Event>("a")
      .where(named("a"))
      .next("b")
      .where(named("b"))
      .next("aa")
      .where(named("aa"))
      .next("bb")
      .where(named("bb"))
      .next("ab")
      .where(named("ab"));
    const r = feed(pattern, [
      [ev(41, "a", 2.0), 1],
      [ev(41, "b", 3.0), 3],
      [ev(41, "aa", 4.0), 4],
      [ev(41, "bb", 5.0), 5],
      [ev(41, "ab", 6.0), 6],
    ]);
    expect(r.matches).toHaveLength(1);
    expect(Object.keys(r.matches[0]!)).toEqual(names);
  });
});
