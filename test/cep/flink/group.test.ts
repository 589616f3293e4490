/**
 * Port of FlinkCEP's GroupITCase (flink-cep/src/test/java/org/apache/flink/cep/nfa/GroupITCase.java).
 * A group's events are reported under its inner stage names, accumulated over iterations.
 */
import { describe, expect, it } from "vitest";
import { Pattern } from "../../../src/index.js";
import { driveNfa, ev, type Event, expectMatches, feed, named } from "./harness.js";

/** (middle1: a) followedBy (middle2: b) */
const ab = () => Pattern.begin<Event>("middle1").where(named("a")).followedBy("middle2").where(named("b"));

describe("GroupITCase", () => {
  /** c a1 b1 a2 b2 d at 1..6 */
  const twoPairs = () => {
    const e = {
      c: ev(40, "c", 1.0),
      a1: ev(41, "a", 2.0),
      b1: ev(42, "b", 3.0),
      a2: ev(43, "a", 4.0),
      b2: ev(44, "b", 5.0),
      d: ev(45, "d", 6.0),
    };
    const records = [
      [e.c, 1],
      [e.a1, 2],
      [e.b1, 3],
      [e.a2, 4],
      [e.b2, 5],
      [e.d, 6],
    ] as const;
    return { e, records };
  };

  /** c a1 b1 a2 b2 a3 b3 d at 1..8 */
  const threePairs = () => {
    const e = {
      c: ev(40, "c", 1.0),
      a1: ev(41, "a", 2.0),
      b1: ev(42, "b", 3.0),
      a2: ev(43, "a", 4.0),
      b2: ev(44, "b", 5.0),
      a3: ev(45, "a", 4.0),
      b3: ev(46, "b", 5.0),
      d: ev(47, "d", 6.0),
    };
    const records = [
      [e.c, 1],
      [e.a1, 2],
      [e.b1, 3],
      [e.a2, 4],
      [e.b2, 5],
      [e.a3, 6],
      [e.b3, 7],
      [e.d, 8],
    ] as const;
    return { e, records };
  };

  it("GroupITCase.testGroupFollowedByTimes", () => {
    const { e, records } = twoPairs();
    // c (a b){2} d
    const pattern = Pattern.begin<Event>("start")
      .where(named("c"))
      .followedBy(ab())
      .times(2)
      .followedBy("end")
      .where(named("d"));
    expectMatches(feed(pattern, records).matches, [
      { start: [e.c], middle1: [e.a1, e.a2], middle2: [e.b1, e.b2], end: [e.d] },
    ]);
  });

  it("GroupITCase.testGroupFollowedByOptional", () => {
    const c = ev(40, "c", 1.0);
    const a1 = ev(41, "a", 2.0);
    const a2 = ev(42, "a", 2.0);
    const b = ev(43, "b", 3.0);
    const d = ev(44, "d", 4.0);
    // c (a b)? d
    const pattern = Pattern.begin<Event>("start")
      .where(named("c"))
      .followedBy(ab())
      .optional()
      .followedBy("end")
      .where(named("d"));
    const r = feed(pattern, [
      [c, 1],
      [a1, 2],
      [a2, 3],
      [b, 4],
      [d, 5],
    ]);
    expectMatches(r.matches, [
      { start: [c], end: [d] },
      { start: [c], middle1: [a1], middle2: [b], end: [d] },
    ]);
  });

  it("GroupITCase.testFollowedByGroupTimesOptional", () => {
    const c = ev(40, "c", 1.0);
    const a = ev(41, "a", 2.0);
    const d = ev(45, "d", 3.0);
    // c (a b){2}? d
    const pattern = Pattern.begin<Event>("start")
      .where(named("c"))
      .followedBy(ab())
      .times(2)
      .optional()
      .followedBy("end")
      .where(named("d"));
    const r = feed(pattern, [
      [c, 1],
      [a, 2],
      [d, 3],
    ]);
    expectMatches(r.matches, [{ start: [c], end: [d] }]);
  });

  it("GroupITCase.testGroupFollowedByOneOrMore", () => {
    const { e, records } = twoPairs();
    // c (a b)+ d
    const pattern = Pattern.begin<Event>("start")
      .where(named("c"))
      .followedBy(ab())
      .oneOrMore()
      .followedBy("end")
      .where(named("d"));
    expectMatches(feed(pattern, records).matches, [
      { start: [e.c], middle1: [e.a1], middle2: [e.b1], end: [e.d] },
      { start: [e.c], middle1: [e.a1, e.a2], middle2: [e.b1, e.b2], end: [e.d] },
    ]);
  });

  it("GroupITCase.testGroupFollowedByZeroOrMore", () => {
    const { e, records } = twoPairs();
    // c (a b)* d
    const pattern = Pattern.begin<Event>("start")
      .where(named("c"))
      .followedBy(ab())
      .oneOrMore()
      .optional()
      .followedBy("end")
      .where(named("d"));
    expectMatches(feed(pattern, records).matches, [
      { start: [e.c], end: [e.d] },
      { start: [e.c], middle1: [e.a1], middle2: [e.b1], end: [e.d] },
      { start: [e.c], middle1: [e.a1, e.a2], middle2: [e.b1, e.b2], end: [e.d] },
    ]);
  });

  it("GroupITCase.testGroupFollowedByAnyTimesCombinations", () => {
    const { e, records } = threePairs();
    // c any (a b){2} d
    const pattern = Pattern.begin<Event>("start")
      .where(named("c"))
      .followedByAny(ab())
      .times(2)
      .allowCombinations()
      .followedBy("end")
      .where(named("d"));
    expectMatches(feed(pattern, records).matches, [
      { start: [e.c], middle1: [e.a1, e.a2], middle2: [e.b1, e.b2], end: [e.d] },
      { start: [e.c], middle1: [e.a1, e.a3], middle2: [e.b1, e.b3], end: [e.d] },
      { start: [e.c], middle1: [e.a2, e.a3], middle2: [e.b2, e.b3], end: [e.d] },
    ]);
  });

  it("GroupITCase.testGroupFollowedByAnyTimesOptional", () => {
    const { e, records } = threePairs();
    // c any (a b){2}? d
    const pattern = Pattern.begin<Event>("start")
      .where(named("c"))
      .followedByAny(ab())
      .times(2)
      .optional()
      .followedBy("end")
      .where(named("d"));
    expectMatches(feed(pattern, records).matches, [
      { start: [e.c], end: [e.d] },
      { start: [e.c], middle1: [e.a1, e.a2], middle2: [e.b1, e.b2], end: [e.d] },
      { start: [e.c], middle1: [e.a2, e.a3], middle2: [e.b2, e.b3], end: [e.d] },
    ]);
  });

  it("GroupITCase.testGroupFollowedByAnyOneOrMore", () => {
    const { e, records } = threePairs();
    // c any (a b){1,} d
    const pattern = Pattern.begin<Event>("start")
      .where(named("c"))
      .followedByAny(ab())
      .oneOrMore()
      .followedBy("end")
      .where(named("d"));
    expectMatches(feed(pattern, records).matches, [
      { start: [e.c], middle1: [e.a1], middle2: [e.b1], end: [e.d] },
      { start: [e.c], middle1: [e.a2], middle2: [e.b2], end: [e.d] },
      { start: [e.c], middle1: [e.a3], middle2: [e.b3], end: [e.d] },
      { start: [e.c], middle1: [e.a1, e.a2], middle2: [e.b1, e.b2], end: [e.d] },
      { start: [e.c], middle1: [e.a2, e.a3], middle2: [e.b2, e.b3], end: [e.d] },
      { start: [e.c], middle1: [e.a1, e.a2, e.a3], middle2: [e.b1, e.b2, e.b3], end: [e.d] },
    ]);
  });

  it("GroupITCase.testGroupNextZeroOrMore", () => {
    const c = ev(40, "c", 1.0);
    const a1 = ev(41, "a", 2.0);
    const b1 = ev(42, "b", 3.0);
    const a2 = ev(43, "a", 3.0);
    const b2 = ev(44, "b", 3.0);
    const a3 = ev(45, "a", 4.0);
    const b3 = ev(46, "b", 3.0);
    const d = ev(47, "d", 1.0);
    // c next (a b)* d
    const pattern = Pattern.begin<Event>("start")
      .where(named("c"))
      .next(ab())
      .oneOrMore()
      .optional()
      .consecutive()
      .followedBy("end")
      .where(named("d"));
    const r = feed(pattern, [
      [c, 1],
      [a1, 3],
      [b1, 4],
      [a2, 5],
      [b2, 6],
      [a3, 7],
      [b3, 8],
      [d, 9],
    ]);
    expectMatches(r.matches, [
      { start: [c], end: [d] },
      { start: [c], middle1: [a1], middle2: [b1], end: [d] },
      { start: [c], middle1: [a1, a2], middle2: [b1, b2], end: [d] },
      { start: [c], middle1: [a1, a2, a3], middle2: [b1, b2, b3], end: [d] },
    ]);
  });

  /** c a1 b1 d a2 b2 e at 1..7 */
  const notInput = () => {
    const e = {
      c: ev(40, "c", 1.0),
      a1: ev(41, "a", 2.0),
      b1: ev(42, "b", 3.0),
      d: ev(43, "d", 3.0),
      a2: ev(44, "a", 4.0),
      b2: ev(45, "b", 5.0),
      e: ev(46, "e", 6.0),
    };
    const records = [
      [e.c, 1],
      [e.a1, 2],
      [e.b1, 3],
      [e.d, 4],
      [e.a2, 5],
      [e.b2, 6],
      [e.e, 7],
    ] as const;
    return { e, records };
  };

  it("GroupITCase.testGroupNotFollowedBy", () => {
    const { e, records } = notInput();
    // c (a b) ^d e
    const pattern = Pattern.begin<Event>("start")
      .where(named("c"))
      .followedByAny(ab())
      .notFollowedBy("notPattern")
      .where(named("d"))
      .followedBy("end")
      .where(named("e"));
    expectMatches(feed(pattern, records).matches, [{ start: [e.c], middle1: [e.a2], middle2: [e.b2], end: [e.e] }]);
  });

  it("GroupITCase.testGroupNotNext", () => {
    const { e, records } = notInput();
    // c (a b) next ^d e
    const pattern = Pattern.begin<Event>("start")
      .where(named("c"))
      .followedByAny(ab())
      .notNext("notPattern")
      .where(named("d"))
      .followedBy("end")
      .where(named("e"));
    expectMatches(feed(pattern, records).matches, [{ start: [e.c], middle1: [e.a2], middle2: [e.b2], end: [e.e] }]);
  });

  /** middle2: b followedBy middle3: c */
  const bc = () => Pattern.begin<Event>("middle2").where(named("b")).followedBy("middle3").where(named("c"));

  it("GroupITCase.testGroupNest", () => {
    const d = ev(40, "d", 1.0);
    const a1 = ev(41, "a", 2.0);
    const b1 = ev(42, "b", 3.0);
    const c1 = ev(43, "c", 4.0);
    const b2 = ev(44, "b", 5.0);
    const c2 = ev(45, "c", 4.0);
    const e = ev(46, "e", 6.0);
    // d (a (b c)*)? e
    const pattern = Pattern.begin<Event>("start")
      .where(named("d"))
      .followedBy(Pattern.begin<Event>("middle1").where(named("a")).followedBy(bc()).oneOrMore().optional())
      .optional()
      .followedBy("end")
      .where(named("e"));
    const r = feed(pattern, [
      [d, 1],
      [a1, 2],
      [b1, 3],
      [c1, 4],
      [b2, 5],
      [c2, 6],
      [e, 7],
    ]);
    expectMatches(r.matches, [
      { start: [d], end: [e] },
      { start: [d], middle1: [a1], end: [e] },
      { start: [d], middle1: [a1], middle2: [b1], middle3: [c1], end: [e] },
      { start: [d], middle1: [a1], middle2: [b1, b2], middle3: [c1, c2], end: [e] },
    ]);
  });

  /** d a1 (b c)x3 a2 (b c)x3 e, with an optional breaking event after c4. */
  const nestTimesInput = (breaking: boolean) => {
    const e = {
      d: ev(40, "d", 1.0),
      a1: ev(41, "a", 2.0),
      b1: ev(42, "b", 3.0),
      c1: ev(43, "c", 4.0),
      b2: ev(44, "b", 5.0),
      c2: ev(45, "c", 4.0),
      b3: ev(46, "b", 5.0),
      c3: ev(47, "c", 4.0),
      a2: ev(48, "a", 2.0),
      b4: ev(49, "b", 3.0),
      c4: ev(50, "c", 4.0),
      b5: ev(51, "b", 5.0),
      c5: ev(52, "c", 4.0),
      b6: ev(53, "b", 5.0),
      c6: ev(54, "c", 4.0),
      e: ev(55, "e", 6.0),
    };
    const order: Event[] = [e.d, e.a1, e.b1, e.c1, e.b2, e.c2, e.b3, e.c3, e.a2, e.b4, e.c4];
    if (breaking) order.push(ev(0, "breaking", 99.0));
    order.push(e.b5, e.c5, e.b6, e.c6, e.e);
    const records = order.map((x, i) => [x, i + 1] as const);
    return { e, records };
  };

  it("GroupITCase.testGroupNestTimes", () => {
    const { e, records } = nestTimesInput(false);
    // d any (a (b c){3}){0, 2} e
    const pattern = Pattern.begin<Event>("start")
      .where(named("d"))
      .followedByAny(Pattern.begin<Event>("middle1").where(named("a")).followedBy(bc()).times(3))
      .times(0, 2)
      .followedBy("end")
      .where(named("e"));
    expectMatches(feed(pattern, records).matches, [
      { start: [e.d], end: [e.e] },
      { start: [e.d], middle1: [e.a1], middle2: [e.b1, e.b2, e.b3], middle3: [e.c1, e.c2, e.c3], end: [e.e] },
      { start: [e.d], middle1: [e.a2], middle2: [e.b4, e.b5, e.b6], middle3: [e.c4, e.c5, e.c6], end: [e.e] },
      {
        start: [e.d],
        middle1: [e.a1, e.a2],
        middle2: [e.b1, e.b2, e.b3, e.b4, e.b5, e.b6],
        middle3: [e.c1, e.c2, e.c3, e.c4, e.c5, e.c6],
        end: [e.e],
      },
    ]);
  });

  it("GroupITCase.testGroupNestTimesConsecutive", () => {
    const { e, records } = nestTimesInput(true);
    // d any (a (b c){3}){0, 2} e, both groups consecutive
    const pattern = Pattern.begin<Event>("start")
      .where(named("d"))
      .followedByAny(Pattern.begin<Event>("middle1").where(named("a")).followedBy(bc()).times(3).consecutive())
      .times(0, 2)
      .consecutive()
      .followedBy("end")
      .where(named("e"));
    expectMatches(feed(pattern, records).matches, [
      { start: [e.d], end: [e.e] },
      { start: [e.d], middle1: [e.a1], middle2: [e.b1, e.b2, e.b3], middle3: [e.c1, e.c2, e.c3], end: [e.e] },
    ]);
  });

  it("GroupITCase.testGroupBegin", () => {
    const a1 = ev(41, "a", 2.0);
    const b1 = ev(42, "b", 3.0);
    const a2 = ev(43, "a", 4.0);
    const b2 = ev(44, "b", 5.0);
    const d = ev(45, "d", 6.0);
    // (a b){1, 2} d
    const pattern = Pattern.begin<Event>(ab()).times(1, 2).followedBy("end").where(named("d"));
    const r = feed(pattern, [
      [a1, 1],
      [b1, 2],
      [a2, 3],
      [b2, 4],
      [d, 5],
    ]);
    expectMatches(r.matches, [
      { middle1: [a1], middle2: [b1], end: [d] },
      { middle1: [a2], middle2: [b2], end: [d] },
      { middle1: [a1, a2], middle2: [b1, b2], end: [d] },
    ]);
  });

  it("GroupITCase.testGroupFollowedByOneOrMoreWithUntilCondition", () => {
    const { e, records } = twoPairs();
    // c (a b)+ until d, d
    const pattern = Pattern.begin<Event>("start")
      .where(named("c"))
      .followedBy(ab())
      .oneOrMore()
      .until(named("d"))
      .followedBy("end")
      .where(named("d"));
    expectMatches(feed(pattern, records).matches, [
      { start: [e.c], middle1: [e.a1], middle2: [e.b1], end: [e.d] },
      { start: [e.c], middle1: [e.a1, e.a2], middle2: [e.b1, e.b2], end: [e.d] },
    ]);
    // FlinkCEP: only the start computation state is left
    const h = driveNfa(pattern).feed(records);
    expect(h.state.partialMatchCount).toBe(0);
  });

  it("GroupITCase.testGroupStartsWithOptionalPattern", () => {
    const a = ev(40, "a", 1.0);
    const c = ev(41, "c", 2.0);
    const d = ev(42, "d", 3.0);
    // a (b? c) d
    const pattern = Pattern.begin<Event>("start")
      .where(named("a"))
      .next(Pattern.begin<Event>("middle1").where(named("b")).optional().next("middle2").where(named("c")))
      .next("d")
      .where(named("d"));
    const r = feed(pattern, [
      [a, 1],
      [c, 2],
      [d, 3],
    ]);
    expectMatches(r.matches, [{ start: [a], middle2: [c], d: [d] }]);
  });

  it("GroupITCase.testFollowedByOptionalGroupPattern", () => {
    const a = ev(40, "a", 1.0);
    const d1 = ev(41, "d", 2.0);
    const d2 = ev(42, "d", 3.0);
    // a -> (b c)? d
    const pattern = Pattern.begin<Event>("start")
      .where(named("a"))
      .followedBy(Pattern.begin<Event>("middle1").where(named("b")).next("middle2").where(named("c")))
      .optional()
      .next("d")
      .where(named("d"));
    const r = feed(pattern, [
      [a, 1],
      [d1, 2],
      [d2, 3],
    ]);
    expectMatches(r.matches, [{ start: [a], d: [d1] }]);
  });
});
