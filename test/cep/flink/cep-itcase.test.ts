/**
 * Ports of FlinkCEP's end-to-end CEPITCase (flink-cep/src/test/java/org/apache/flink/cep/CEPITCase.java)
 * for one key at a time: processing-time jobs run in arrival mode; event-time jobs run in
 * eventTime mode with the test's punctuated watermarks (timestamp - 5 after every element, on
 * the whole stream) and the final watermark of a bounded input. Keyed jobs are run once per key
 * and their results collected. (testSimplePatternEventTimeWithComparator is not ported: Vigil has
 * no EventComparator.)
 */
import { describe, expect, it } from "vitest";
import { AfterMatchSkipStrategy, Pattern, type Match, WithinType } from "../../../src/index.js";
import { ev, type Event, expectMatches, expectTimeouts, feed, isSubEvent, named, type Rec, sub } from "./harness.js";

/** start -> any middle -> any end, as the CEPITCase jobs' "id,id,id" strings */
const ids = (matches: readonly Match<Event>[], field: "id" | "price" = "id") =>
  matches.map((m) => [m.start![0]![field], m.middle![0]![field], m.end![0]![field]].join(",")).sort();

/** CEPITCase's AssignerWithPunctuatedWatermarks: after each element, watermark = its timestamp - 5 */
function punctuated(elements: ReadonlyArray<readonly [Event, number]>, key?: number): Rec[] {
  const out: Rec[] = [];
  for (const [e, ts] of elements) {
    if (key === undefined || e.id === key) out.push([e, ts]);
    out.push({ watermark: ts - 5 });
  }
  out.push({ watermark: Infinity });
  return out;
}

const startMiddleEnd = () =>
  Pattern.begin<Event>("start")
    .where(named("start"))
    .followedByAny("middle")
    .where(named("middle"))
    .followedByAny("end")
    .where(named("end"));

describe("CEPITCase (one key at a time)", () => {
  it("CEPITCase.testSimplePatternCEP", () => {
    const pattern = Pattern.begin<Event>("start")
      .where(named("start"))
      .followedByAny("middle")
      .subtype(isSubEvent)
      .where(named("middle"))
      .followedByAny("end")
      .where(named("end"));
    const input = [
      ev(1, "barfoo", 1.0),
      ev(2, "start", 2.0),
      ev(3, "foobar", 3.0),
      sub(4, "foo", 4.0, 1.0),
      ev(5, "middle", 5.0),
      sub(6, "middle", 6.0, 2.0),
      sub(7, "bar", 3.0, 3.0),
      ev(42, "42", 42.0),
      ev(8, "end", 1.0),
    ];
    const r = feed(
      pattern,
      input.map((e, i) => [e, i] as const),
    );
    expect(ids(r.matches)).toEqual(["2,6,8"]);
  });

  it("CEPITCase.testSimpleKeyedPatternCEP", () => {
    const pattern = Pattern.begin<Event>("start")
      .where(named("start"))
      .followedByAny("middle")
      .subtype(isSubEvent)
      .where(named("middle"))
      .followedByAny("end")
      .where(named("end"));
    const input = [
      ev(1, "barfoo", 1.0),
      ev(2, "start", 2.0),
      ev(3, "start", 2.1),
      ev(3, "foobar", 3.0),
      sub(4, "foo", 4.0, 1.0),
      sub(3, "middle", 3.2, 1.0),
      ev(42, "start", 3.1),
      sub(42, "middle", 3.3, 1.2),
      ev(5, "middle", 5.0),
      sub(2, "middle", 6.0, 2.0),
      sub(7, "bar", 3.0, 3.0),
      ev(42, "42", 42.0),
      ev(3, "end", 2.0),
      ev(2, "end", 1.0),
      ev(42, "end", 42.0),
    ];
    const keys = [...new Set(input.map((e) => e.id))];
    const all = keys.flatMap(
      (k) =>
        feed(
          pattern,
          input.filter((e) => e.id === k).map((e, i) => [e, i] as const),
        ).matches,
    );
    expect(ids(all)).toEqual(["2,2,2", "3,3,3", "42,42,42"]);
  });

  it("CEPITCase.testSimplePatternEventTime", () => {
    const input = [
      [ev(1, "start", 1.0), 5],
      [ev(2, "middle", 2.0), 1],
      [ev(3, "end", 3.0), 3],
      [ev(4, "end", 4.0), 10],
      [ev(5, "middle", 5.0), 7],
      // last element for high final watermark
      [ev(5, "middle", 5.0), 100],
    ] as const;
    const r = feed(startMiddleEnd(), punctuated(input), "eventTime");
    expect(ids(r.matches)).toEqual(["1,5,4"]);
    expect(r.late).toEqual([]);
  });

  it("CEPITCase.testSimpleKeyedPatternEventTime", () => {
    const input = [
      [ev(1, "start", 1.0), 5],
      [ev(1, "middle", 2.0), 1],
      [ev(2, "middle", 2.0), 4],
      [ev(2, "start", 2.0), 3],
      [ev(1, "end", 3.0), 3],
      [ev(3, "start", 4.1), 5],
      [ev(1, "end", 4.0), 10],
      [ev(2, "end", 2.0), 8],
      [ev(1, "middle", 5.0), 7],
      [ev(3, "middle", 6.0), 9],
      [ev(3, "end", 7.0), 7],
    ] as const;
    const all = [1, 2, 3].flatMap((k) => feed(startMiddleEnd(), punctuated(input, k), "eventTime").matches);
    expect(ids(all)).toEqual(["1,1,1", "2,2,2"]);
  });

  it("CEPITCase.testSimplePatternWithSingleState", () => {
    const first = ev(0, "x", 1);
    const pattern = Pattern.begin<Event>("start").where((e) => e.price === 1);
    const r = feed(pattern, [
      [first, 0],
      [ev(0, "x", 2), 1],
    ]);
    expectMatches(r.matches, [{ start: [first] }]);
  });

  const timeoutInput = () => {
    const e = {
      s1: ev(1, "start", 1.0),
      m: ev(1, "middle", 2.0),
      s2: ev(1, "start", 2.0),
      end: ev(1, "end", 2.0),
    };
    const records = punctuated([
      [e.s1, 1],
      [e.m, 5],
      [e.s2, 4],
      [e.end, 6],
    ]);
    return { e, records };
  };

  it("CEPITCase.testTimeoutHandlingWithinFirstAndLast", () => {
    const { e, records } = timeoutInput();
    const r = feed(startMiddleEnd().within(3), records, "eventTime");
    // FlinkCEP: Right("2.0,2.0,2.0") and Left("1.0"), Left("2.0"), Left("2.0") (start prices)
    expect(ids(r.matches, "price")).toEqual(["2,2,2"]);
    expectTimeouts(r.timeouts, [
      { match: { start: [e.s1] }, timestamp: 4 },
      { match: { start: [e.s2] }, timestamp: 7 },
      { match: { start: [e.s2], middle: [e.m] }, timestamp: 7 },
    ]);
  });

  it("CEPITCase.testTimeoutHandlingWithinPreviousAndCurrent", () => {
    const { e, records } = timeoutInput();
    const r = feed(startMiddleEnd().within(3, WithinType.PREVIOUS_AND_CURRENT), records, "eventTime");
    // FlinkCEP: Right("1.0,2.0,2.0"), Right("2.0,2.0,2.0"), Left("1.0"), Left("2.0")
    expect(ids(r.matches, "price")).toEqual(["1,2,2", "2,2,2"]);
    expectTimeouts(r.timeouts, [
      { match: { start: [e.s1], middle: [e.m] }, timestamp: 8 },
      { match: { start: [e.s2], middle: [e.m] }, timestamp: 8 },
    ]);
  });

  it("CEPITCase.testSimpleOrFilterPatternCEP", () => {
    const pattern = Pattern.begin<Event>("start")
      .where(named("start"))
      .followedByAny("middle")
      .where((e) => e.price === 2.0)
      .or((e) => e.price === 5.0)
      .followedByAny("end")
      .where(named("end"));
    const input = [
      ev(1, "start", 1.0),
      ev(2, "middle", 2.0),
      ev(3, "end", 3.0),
      ev(4, "start", 4.0),
      ev(5, "middle", 5.0),
      ev(6, "end", 6.0),
    ];
    const r = feed(
      pattern,
      input.map((e, i) => [e, i] as const),
    );
    expect(ids(r.matches)).toEqual(["1,2,3", "1,2,6", "1,5,6", "4,5,6"]);
  });

  it("CEPITCase.testSimpleAfterMatchSkip", () => {
    const a = [1, 2, 3, 4].map((i) => ev(i, "a", 0));
    const pattern = Pattern.begin<Event>("start", AfterMatchSkipStrategy.skipPastLastEvent()).where(named("a")).times(2);
    const r = feed(
      pattern,
      a.map((e, i) => [e, i] as const),
    );
    expect(r.matches.map((m) => m.start![0]!.id).sort()).toEqual([1, 3]);
  });
});
