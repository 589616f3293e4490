/**
 * Port of FlinkCEP's SameElementITCase (flink-cep/src/test/java/org/apache/flink/cep/nfa/SameElementITCase.java):
 * events that are equal (or the very same object) and share a timestamp are distinct input
 * records. Matches compare by value, as FlinkCEP's `Event.equals` does.
 */
import { describe, expect, it } from "vitest";
import { Pattern, type PatternContext } from "../../../src/index.js";
import { driveNfa, ev, type Event, expectMatches, feed, named, subsets } from "./harness.js";

describe("SameElementITCase", () => {
  it("SameElementITCase.testEagerZeroOrMoreSameElement", () => {
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
      [m1, 3],
      [m1, 3],
      [m2, 4],
      [ev(50, "d", 6.0), 5],
      [m3, 6],
      [m3, 6],
      [end1, 7],
    ]);
    const x = (...middle: Event[]) =>
      middle.length === 0 ? { start: [startEvent], end1: [end1] } : { start: [startEvent], middle, end1: [end1] };
    expectMatches(r.matches, [
      x(m1, m1, m1, m2, m3, m3),
      x(m1, m1, m1, m2, m3),
      x(m1, m1, m1, m2),
      x(m1, m1, m1),
      x(m1, m1),
      x(m1),
      x(),
    ]);
  });

  it("SameElementITCase.testClearingBuffer", () => {
    const a1 = ev(40, "a", 1.0);
    const b1 = ev(41, "b", 2.0);
    const c1 = ev(41, "c", 2.0);
    const d = ev(41, "d", 2.0);
    const pattern = Pattern.begin<Event>("a")
      .where(named("a"))
      .followedBy("b")
      .where(named("b"))
      .followedBy("c")
      .where(named("c"))
      .followedBy("d")
      .where(named("d"));
    const records = [
      [a1, 1],
      [b1, 2],
      [c1, 2],
      [d, 2],
    ] as const;
    expectMatches(feed(pattern, records).matches, [{ a: [a1], b: [b1], c: [c1], d: [d] }]);
    // FlinkCEP: one computation state left, the start state "a"
    expect(driveNfa(pattern).feed(records).state.partialMatchCount).toBe(0);
  });

  it("SameElementITCase.testClearingBufferWithUntilAtTheEnd", () => {
    const a1 = ev(40, "a", 1.0);
    const d1 = ev(41, "d", 2.0);
    const d2 = ev(41, "d", 2.0);
    const d3 = ev(41, "d", 2.0);
    const d4 = ev(41, "d", 2.0);
    const pattern = Pattern.begin<Event>("a")
      .where(named("a"))
      .followedBy("d")
      .where(named("d"))
      .oneOrMore()
      .until((_, ctx) => ctx.eventsFor("d").length === 3);
    const records = [
      [a1, 1],
      [d1, 2],
      [d2, 2],
      [d3, 2],
      [d4, 4],
    ] as const;
    expectMatches(feed(pattern, records).matches, [
      { a: [a1], d: [d1, d2, d3] },
      { a: [a1], d: [d1, d2] },
      { a: [a1], d: [d1] },
    ]);
    expect(driveNfa(pattern).feed(records).state.partialMatchCount).toBe(0);
  });

  it("SameElementITCase.testZeroOrMoreSameElement", () => {
    const startEvent = ev(40, "c", 1.0);
    const m1 = ev(41, "a", 2.0);
    const m1a = ev(41, "a", 2.0);
    const m2 = ev(42, "a", 3.0);
    const m3 = ev(43, "a", 4.0);
    const m3a = ev(43, "a", 4.0);
    const end1 = ev(44, "b", 5.0);
    const pattern = Pattern.begin<Event>("start")
      .where(named("c"))
      .followedByAny("middle")
      .where(named("a"))
      .oneOrMore()
      .optional()
      .allowCombinations()
      .followedByAny("end1")
      .where(named("b"));
    const r = feed(pattern, [
      [startEvent, 1],
      [m1, 3],
      [m1a, 3],
      [m2, 4],
      [ev(50, "d", 6.0), 5],
      [m3, 6],
      [m3a, 6],
      [end1, 7],
    ]);
    // FlinkCEP lists all 32 subsets of {m1, m1a, m2, m3, m3a}
    const expected = subsets([m1, m1a, m2, m3, m3a]).map((middle) =>
      middle.length === 0 ? { start: [startEvent], end1: [end1] } : { start: [startEvent], middle, end1: [end1] },
    );
    expect(expected).toHaveLength(32);
    expectMatches(r.matches, expected);
  });

  it("SameElementITCase.testSimplePatternWSameElement", () => {
    const startEvent = ev(40, "c", 1.0);
    const m1 = ev(41, "a", 2.0);
    const end1 = ev(44, "b", 5.0);
    const pattern = Pattern.begin<Event>("start")
      .where(named("c"))
      .followedByAny("middle")
      .where(named("a"))
      .followedBy("end1")
      .where(named("b"));
    const r = feed(pattern, [
      [startEvent, 1],
      [m1, 3],
      [m1, 3],
      [end1, 7],
    ]);
    expectMatches(r.matches, [
      { start: [startEvent], middle: [m1], end1: [end1] },
      { start: [startEvent], middle: [m1], end1: [end1] },
    ]);
  });

  /** c, three equal a's at 3, b at 7 */
  const sameInput = () => {
    const e = {
      startEvent: ev(40, "c", 1.0),
      m1: ev(41, "a", 2.0),
      m1a: ev(41, "a", 2.0),
      m1b: ev(41, "a", 2.0),
      end: ev(44, "b", 5.0),
    };
    return e;
  };

  it("SameElementITCase.testIterativeConditionWSameElement", () => {
    const e = sameInput();
    const pattern = Pattern.begin<Event>("start")
      .where(named("c"))
      .followedByAny("middle")
      .where(named("a"))
      .oneOrMore()
      .optional()
      .allowCombinations()
      .followedBy("end")
      .where((_: Event, ctx: PatternContext<Event>) => ctx.eventsFor("middle").reduce((s, x) => s + x.price, 0) === 4.0);
    const r = feed(pattern, [
      [e.startEvent, 1],
      [e.m1, 3],
      [e.m1a, 3],
      [e.m1b, 3],
      [e.end, 7],
    ]);
    // FlinkCEP (flattened): [c a a b], [c a a a], [c a a b]; the end condition only looks at
    // the middle sum, so the third a can be "end".
    expectMatches(r.matches, [
      { start: [e.startEvent], middle: [e.m1, e.m1a], end: [e.m1b] },
      { start: [e.startEvent], middle: [e.m1, e.m1b], end: [e.end] },
      { start: [e.startEvent], middle: [e.m1a, e.m1b], end: [e.end] },
    ]);
  });

  it("SameElementITCase.testEndWLoopingWSameElement", () => {
    const e = sameInput();
    const pattern = Pattern.begin<Event>("start")
      .where(named("c"))
      .followedByAny("middle")
      .where(named("a"))
      .oneOrMore()
      .optional();
    const r = feed(pattern, [
      [e.startEvent, 1],
      [e.m1, 3],
      [e.m1a, 3],
      [e.m1b, 3],
      [e.end, 7],
    ]);
    const x = (...middle: Event[]) => (middle.length === 0 ? { start: [e.startEvent] } : { start: [e.startEvent], middle });
    expectMatches(r.matches, [x(), x(e.m1), x(e.m1a), x(e.m1b), x(e.m1, e.m1a), x(e.m1a, e.m1b), x(e.m1, e.m1a, e.m1b)]);
  });

  it("SameElementITCase.testRepeatingPatternWSameElement", () => {
    const startEvent = ev(40, "c", 1.0);
    const m1e1 = ev(40, "a", 2.0);
    const m1e2 = ev(40, "a", 3.0);
    const m1e3 = ev(40, "a", 4.0);
    const m2e1 = ev(40, "b", 5.0);
    const pattern = Pattern.begin<Event>("start")
      .where(named("c"))
      .followedBy("middle1")
      .where(named("a"))
      .oneOrMore()
      .optional()
      .followedBy("middle2")
      .where(named("b"))
      .optional()
      .followedBy("end")
      .where(named("a"));
    const r = feed(pattern, [
      [startEvent, 1],
      [m1e1, 3],
      [m1e1, 3],
      [m1e2, 3],
      [ev(40, "d", 6.0), 5],
      [m2e1, 6],
      [m1e3, 7],
    ]);
    const c = [startEvent];
    expectMatches(r.matches, [
      { start: c, end: [m1e1] },
      { start: c, middle1: [m1e1], end: [m1e1] },
      { start: c, middle2: [m2e1], end: [m1e3] },
      { start: c, middle1: [m1e1, m1e1], end: [m1e2] },
      { start: c, middle1: [m1e1], middle2: [m2e1], end: [m1e3] },
      { start: c, middle1: [m1e1, m1e1, m1e2], end: [m1e3] },
      { start: c, middle1: [m1e1, m1e1], middle2: [m2e1], end: [m1e3] },
      { start: c, middle1: [m1e1, m1e1, m1e2], middle2: [m2e1], end: [m1e3] },
    ]);
  });
});
