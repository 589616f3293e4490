/**
 * Port of FlinkCEP's TimesRangeITCase (flink-cep/src/test/java/org/apache/flink/cep/nfa/TimesRangeITCase.java):
 * `times(from, to)`, where `times(0, n)` means an optional `times(1, n)`.
 */
import { describe, it } from "vitest";
import { Pattern } from "../../../src/index.js";
import { ev, type Event, expectMatches, feed, named } from "./harness.js";

/** TimesRangeITCase.ConsecutiveData (the first two tests build identical events of their own) */
const C = {
  startEvent: ev(40, "c", 1.0),
  middleEvent1: ev(41, "a", 2.0),
  middleEvent2: ev(42, "a", 3.0),
  middleEvent3: ev(43, "a", 4.0),
  end: ev(44, "b", 5.0),
};
const { middleEvent1: m1, middleEvent2: m2, middleEvent3: m3 } = C;
const f = () => ev(23, "f", 1.0);
const m = (...middle: Event[]) =>
  middle.length === 0 ? { start: [C.startEvent], end1: [C.end] } : { start: [C.startEvent], middle, end1: [C.end] };

/** c f m1 f m2 m3 b at 1..7 */
const nonStrictInput = () =>
  [
    [C.startEvent, 1],
    [f(), 2],
    [m1, 3],
    [f(), 4],
    [m2, 5],
    [m3, 6],
    [C.end, 7],
  ] as const;
/** c m1 m2 m3 b at 1, 2, 3, 4, 6 */
const denseInput = () =>
  [
    [C.startEvent, 1],
    [m1, 2],
    [m2, 3],
    [m3, 4],
    [C.end, 6],
  ] as const;

const cStart = () => Pattern.begin<Event>("start").where(named("c"));

describe("TimesRangeITCase", () => {
  it("TimesRangeITCase.testTimesRange", () => {
    const pattern = cStart()
      .next("middle")
      .where(named("a"))
      .times(1, 3)
      .allowCombinations()
      .followedBy("end1")
      .where(named("b"));
    expectMatches(feed(pattern, denseInput()).matches, [m(m1, m2, m3), m(m1, m2), m(m1, m3), m(m1)]);
  });

  it("TimesRangeITCase.testTimesRangeFromZero", () => {
    const pattern = cStart()
      .next("middle")
      .where(named("a"))
      .times(0, 2)
      .allowCombinations()
      .followedBy("end1")
      .where(named("b"));
    expectMatches(feed(pattern, denseInput()).matches, [m(m1, m2), m(m1, m3), m(m1), m()]);
  });

  it("TimesRangeITCase.testTimesRangeNonStrict", () => {
    const pattern = cStart()
      .followedByAny("middle")
      .where(named("a"))
      .times(1, 3)
      .allowCombinations()
      .followedBy("end1")
      .where(named("b"));
    expectMatches(feed(pattern, nonStrictInput()).matches, [
      m(m1, m2, m3),
      m(m1, m2),
      m(m1, m3),
      m(m2, m3),
      m(m1),
      m(m2),
      m(m3),
    ]);
  });

  it("TimesRangeITCase.testTimesRangeStrict", () => {
    const pattern = cStart()
      .followedByAny("middle")
      .where(named("a"))
      .times(0, 3)
      .consecutive()
      .followedBy("end1")
      .where(named("b"));
    expectMatches(feed(pattern, nonStrictInput()).matches, [m(m2, m3), m(m1), m(m2), m(m3), m()]);
  });

  it("TimesRangeITCase.testTimesRangeStrictOptional", () => {
    const pattern = cStart()
      .followedByAny("middle")
      .where(named("a"))
      .times(1, 3)
      .consecutive()
      .optional()
      .followedBy("end1")
      .where(named("b"));
    expectMatches(feed(pattern, nonStrictInput()).matches, [m(m2, m3), m(m1), m(m2), m(m3), m()]);
  });

  it("TimesRangeITCase.testTimesRangeStrictOptional1", () => {
    const pattern = cStart()
      .next("middle")
      .where(named("a"))
      .times(1, 3)
      .consecutive()
      .optional()
      .followedBy("end1")
      .where(named("b"));
    const r = feed(pattern, [
      [C.startEvent, 1],
      [m1, 3],
      [m2, 5],
      [m3, 6],
      [C.end, 7],
    ]);
    expectMatches(r.matches, [m(m1, m2, m3), m(m1, m2), m(m1), m()]);
  });

  it("TimesRangeITCase.testTimesRangeNonStrictOptional1", () => {
    const pattern = cStart()
      .followedBy("middle")
      .where(named("a"))
      .times(1, 3)
      .optional()
      .followedBy("end1")
      .where(named("b"));
    const r = feed(pattern, [
      [C.startEvent, 1],
      [f(), 2],
      [C.end, 7],
    ]);
    expectMatches(r.matches, [m()]);
  });

  it("TimesRangeITCase.testTimesRangeNonStrictOptional2", () => {
    const pattern = cStart()
      .followedByAny("middle")
      .where(named("a"))
      .times(2, 3)
      .allowCombinations()
      .optional()
      .followedBy("end1")
      .where(named("b"));
    expectMatches(feed(pattern, nonStrictInput()).matches, [m(m1, m2, m3), m(m1, m2), m(m1, m3), m(m2, m3), m()]);
  });

  it("TimesRangeITCase.testTimesRangeNonStrictOptional3", () => {
    const pattern = cStart()
      .followedByAny("middle")
      .where(named("a"))
      .times(2, 3)
      .optional()
      .followedBy("end1")
      .where(named("b"));
    expectMatches(feed(pattern, nonStrictInput()).matches, [m(m1, m2, m3), m(m1, m2), m(m2, m3), m()]);
  });

  it("TimesRangeITCase.testTimesRangeNonStrictWithNext", () => {
    const pattern = cStart()
      .next("middle")
      .where(named("a"))
      .times(2, 3)
      .allowCombinations()
      .followedBy("end1")
      .where(named("b"));
    const r = feed(pattern, [
      [C.startEvent, 1],
      [m1, 2],
      [f(), 3],
      [m2, 4],
      [f(), 5],
      [m3, 6],
      [C.end, 7],
    ]);
    expectMatches(r.matches, [m(m1, m2, m3), m(m1, m2), m(m1, m3)]);
  });

  const followedByInput = () =>
    [
      [C.startEvent, 1],
      [m1, 2],
      [m2, 4],
      [m3, 6],
      [C.end, 7],
    ] as const;

  it("TimesRangeITCase.testTimesRangeNotStrictWithFollowedBy", () => {
    const pattern = cStart()
      .followedBy("middle")
      .where(named("a"))
      .times(2, 3)
      .followedBy("end1")
      .where(named("b"));
    expectMatches(feed(pattern, followedByInput()).matches, [m(m1, m2, m3), m(m1, m2)]);
  });

  it("TimesRangeITCase.testTimesRangeNotStrictWithFollowedByAny", () => {
    const pattern = cStart()
      .followedByAny("middle")
      .where(named("a"))
      .times(2, 3)
      .allowCombinations()
      .followedBy("end1")
      .where(named("b"));
    expectMatches(feed(pattern, followedByInput()).matches, [m(m1, m2, m3), m(m1, m2), m(m2, m3), m(m1, m3)]);
  });
});
