/**
 * Port of FlinkCEP's TimesOrMoreITCase (flink-cep/src/test/java/org/apache/flink/cep/nfa/TimesOrMoreITCase.java).
 * FlinkCEP runs each case twice, with `timesOrMore(2)` and with `timesOrMore(2, Duration.ofMillis(3))`
 * (a window between the loop's own events); Vigil's `timesOrMore` has no window argument, so
 * only the `time == null` parameterisation is ported.
 */
import { describe, it } from "vitest";
import { Pattern } from "../../../src/index.js";
import { ev, type Event, expectMatches, feed, named } from "./harness.js";

/** TimesOrMoreITCase.ConsecutiveData */
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

const cStart = () => Pattern.begin<Event>("start").where(named("c"));

describe("TimesOrMoreITCase", () => {
  it("TimesOrMoreITCase.testTimesOrMore", () => {
    const end1 = ev(44, "b", 5.0);
    const pattern = cStart()
      .followedBy("middle")
      .where(named("a"))
      .timesOrMore(2)
      .allowCombinations()
      .followedBy("end1")
      .where(named("b"));
    const r = feed(pattern, [
      [C.startEvent, 1],
      [m1, 2],
      [m2, 3],
      [m3, 4],
      [end1, 6],
    ]);
    expectMatches(r.matches, [m(m1, m2, m3), m(m1, m2), m(m1, m3)]);
  });

  it("TimesOrMoreITCase.testTimesOrMoreNonStrict", () => {
    const pattern = cStart()
      .followedByAny("middle")
      .where(named("a"))
      .timesOrMore(2)
      .allowCombinations()
      .followedBy("end1")
      .where(named("b"));
    expectMatches(feed(pattern, nonStrictInput()).matches, [m(m1, m2, m3), m(m1, m2), m(m1, m3), m(m2, m3)]);
  });

  it("TimesOrMoreITCase.testTimesOrMoreStrict", () => {
    // (FlinkCEP's test of this name uses times(2).consecutive())
    const pattern = cStart()
      .followedByAny("middle")
      .where(named("a"))
      .times(2)
      .consecutive()
      .followedBy("end1")
      .where(named("b"));
    expectMatches(feed(pattern, nonStrictInput()).matches, [m(m2, m3)]);
  });

  it("TimesOrMoreITCase.testTimesOrMoreStrictOptional", () => {
    const pattern = cStart()
      .followedByAny("middle")
      .where(named("a"))
      .timesOrMore(2)
      .consecutive()
      .optional()
      .followedBy("end1")
      .where(named("b"));
    expectMatches(feed(pattern, nonStrictInput()).matches, [m(m2, m3), m()]);
  });

  it("TimesOrMoreITCase.testTimesOrMoreStrictOptional2", () => {
    const pattern = cStart()
      .next("middle")
      .where(named("a"))
      .timesOrMore(2)
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
    expectMatches(r.matches, [m(m1, m2, m3), m(m1, m2), m()]);
  });

  it("TimesOrMoreITCase.testTimesOrMoreNonStrictOptional", () => {
    const pattern = cStart()
      .followedBy("middle")
      .where(named("a"))
      .timesOrMore(2)
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

  it("TimesOrMoreITCase.testTimesOrMoreNonStrictOptional2", () => {
    const pattern = cStart()
      .followedByAny("middle")
      .where(named("a"))
      .timesOrMore(2)
      .allowCombinations()
      .optional()
      .followedBy("end1")
      .where(named("b"));
    expectMatches(feed(pattern, nonStrictInput()).matches, [m(m1, m2, m3), m(m1, m2), m(m2, m3), m(), m(m1, m3)]);
  });

  it("TimesOrMoreITCase.testTimesOrMoreNonStrictOptional3", () => {
    const pattern = cStart()
      .followedByAny("middle")
      .where(named("a"))
      .timesOrMore(2)
      .optional()
      .followedBy("end1")
      .where(named("b"));
    expectMatches(feed(pattern, nonStrictInput()).matches, [m(m1, m2, m3), m(m1, m2), m(m2, m3), m()]);
  });

  it("TimesOrMoreITCase.testTimesOrMoreNonStrictWithNext", () => {
    const pattern = cStart()
      .next("middle")
      .where(named("a"))
      .timesOrMore(2)
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

  it("TimesOrMoreITCase.testTimesOrMoreNotStrictWithFollowedBy", () => {
    const pattern = cStart()
      .followedBy("middle")
      .where(named("a"))
      .timesOrMore(2)
      .followedBy("end1")
      .where(named("b"));
    expectMatches(feed(pattern, followedByInput()).matches, [m(m1, m2, m3), m(m1, m2)]);
  });

  it("TimesOrMoreITCase.testTimesOrMoreNotStrictWithFollowedByAny", () => {
    const pattern = cStart()
      .followedByAny("middle")
      .where(named("a"))
      .timesOrMore(2)
      .allowCombinations()
      .followedBy("end1")
      .where(named("b"));
    expectMatches(feed(pattern, followedByInput()).matches, [m(m1, m2, m3), m(m1, m2), m(m2, m3), m(m1, m3)]);
  });
});
