/**
 * Ports of FlinkCEP's CEPOperatorTest (flink-cep/src/test/java/org/apache/flink/cep/operator/CEPOperatorTest.java)
 * cases about event time, run through `runPattern(..., { mode: "eventTime" })`, which behaves as
 * the keyed CEP operator does for one key: events are buffered until a watermark passes them,
 * released in timestamp order, and events at or behind the watermark are late. Only key 42 (or
 * 41) of each test is fed; snapshot/restore steps are left out (they do not change the output).
 * Processing-time cases run in arrival mode.
 */
import { describe, expect, it } from "vitest";
import { Pattern, type PatternContext } from "../../../src/index.js";
import { ev, type Event, expectMatches, expectTimeouts, feed, isSubEvent, named, sub, type SubEvent } from "./harness.js";

/** CEPOperatorTest.NFAFactory */
const nfaFactoryPattern = () =>
  Pattern.begin<Event>("start")
    .where(named("start"))
    .followedByAny("middle")
    .subtype(isSubEvent)
    .where((e) => (e as SubEvent).volume > 5.0)
    .followedByAny("end")
    .where(named("end"))
    .within(10);

/** CEPOperatorTest.ComplexNFAFactory */
const complexNfaFactoryPattern = () =>
  Pattern.begin<Event>("start")
    .where(named("c"))
    .followedBy("middle1")
    .where(named("a"))
    .oneOrMore()
    .optional()
    .followedBy("middle2")
    .where(named("b"))
    .optional()
    .followedBy("end")
    .where(named("a"))
    .within(10);

/** CEPOperatorTest.SimpleNFAFactory */
const simpleNfaFactoryPattern = () =>
  Pattern.begin<Event>("start")
    .where(named("c"))
    .followedBy("middle")
    .where(named("a"))
    .followedBy("end")
    .where(named("b"))
    .within(10);

describe("CEPOperatorTest (event time, one key)", () => {
  it("CEPOperatorTest.testKeyedCEPOperatorCheckpointing", () => {
    const startEvent = ev(42, "start", 1.0);
    const middleEvent = sub(42, "foo", 1.0, 10.0);
    const endEvent = ev(42, "end", 1.0);
    const r = feed(
      nfaFactoryPattern(),
      [
        [startEvent, 1],
        [ev(42, "foobar", 1.0), 2],
        { watermark: -Infinity },
        [sub(42, "barfoo", 1.0, 5.0), 3],
        { watermark: 2 },
        [middleEvent, 3],
        [ev(42, "start", 1.0), 4],
        [endEvent, 5],
        { watermark: Infinity },
      ],
      "eventTime",
    );
    expectMatches(r.matches, [{ start: [startEvent], middle: [middleEvent], end: [endEvent] }]);
  });

  it("CEPOperatorTest.testKeyedAdvancingTimeWithoutElements", () => {
    // time advances with watermarks alone: the partial match {start} times out at 3 + 10
    const startEvent = ev(42, "start", 1.0);
    const r = feed(nfaFactoryPattern(), [[startEvent, 3], { watermark: 5 }, { watermark: 13 }], "eventTime");
    expectMatches(r.matches, []);
    expectTimeouts(r.timeouts, [{ match: { start: [startEvent] }, timestamp: 13 }]);
  });

  it("CEPOperatorTest.testKeyedCEPOperatorNFAUpdateTimes (processing time: arrival order)", () => {
    const startEvent = ev(42, "c", 1.0);
    const middleEvent = sub(42, "a", 1.0, 10.0);
    const endEvent = ev(42, "b", 1.0);
    const r = feed(simpleNfaFactoryPattern(), [
      [startEvent, 1],
      [ev(42, "d", 1.0), 4],
      [middleEvent, 4],
      [endEvent, 4],
    ]);
    expectMatches(r.matches, [{ start: [startEvent], middle: [middleEvent], end: [endEvent] }]);
  });

  it("CEPOperatorTest.testCEPOperatorCleanupEventTime", () => {
    const startEvent1 = ev(42, "start", 1.0);
    const startEvent2 = ev(42, "start", 2.0);
    const middleEvent1 = sub(42, "foo1", 1.0, 10.0);
    const middleEvent2 = sub(42, "foo2", 1.0, 10.0);
    const middleEvent3 = sub(42, "foo3", 1.0, 10.0);
    const endEvent1 = ev(42, "end", 1.0);
    const endEvent2 = ev(42, "end", 2.0);
    const r = feed(
      nfaFactoryPattern(),
      [
        { watermark: -Infinity },
        [ev(42, "foobar", 1.0), 2],
        [middleEvent1, 2],
        [sub(42, "barfoo", 1.0, 5.0), 3],
        [startEvent1, 1],
        { watermark: 2 },
        [startEvent2, 4],
        [middleEvent2, 5],
        [endEvent1, 6],
        { watermark: 11 },
        { watermark: 12 },
        // late: timestamp 12 = last watermark 12
        [middleEvent3, 12],
        [endEvent2, 13],
        { watermark: 20 },
        { watermark: 21 },
      ],
      "eventTime",
    );
    expectMatches(r.matches, [
      { start: [startEvent1], middle: [middleEvent1], end: [endEvent1] },
      { start: [startEvent1], middle: [middleEvent2], end: [endEvent1] },
      { start: [startEvent2], middle: [middleEvent2], end: [endEvent1] },
      { start: [startEvent2], middle: [middleEvent2], end: [endEvent2] },
    ]);
    expect(r.late).toEqual([{ event: middleEvent3, timestamp: 12 }]);
  });

  it("CEPOperatorTest.testCEPOperatorCleanupEventTimeWithSameElements", () => {
    const startEvent = ev(41, "c", 1.0);
    const m1e1 = ev(41, "a", 2.0);
    const m1e2 = ev(41, "a", 3.0);
    const m1e3 = ev(41, "a", 4.0);
    const m2e1 = ev(41, "b", 5.0);
    const r = feed(
      complexNfaFactoryPattern(),
      [
        { watermark: -Infinity },
        [m2e1, 6],
        [m1e3, 7],
        [startEvent, 1],
        [m1e1, 3],
        [m1e2, 3],
        [m1e1, 3],
        [ev(41, "d", 6.0), 5],
        { watermark: 2 },
        { watermark: 8 },
        { watermark: 17 },
      ],
      "eventTime",
    );
    // released as c@1, m1e1 m1e2 m1e1 @3 (arrival order), d@5, b@6, m1e3@7
    const c = [startEvent];
    expectMatches(r.matches, [
      { start: c, end: [m1e1] },
      { start: c, middle1: [m1e1], end: [m1e2] },
      { start: c, middle2: [m2e1], end: [m1e3] },
      { start: c, middle1: [m1e1, m1e2], end: [m1e1] },
      { start: c, middle1: [m1e1], middle2: [m2e1], end: [m1e3] },
      { start: c, middle1: [m1e1, m1e2, m1e1], end: [m1e3] },
      { start: c, middle1: [m1e1, m1e2], middle2: [m2e1], end: [m1e3] },
      { start: c, middle1: [m1e1, m1e2, m1e1], middle2: [m2e1], end: [m1e3] },
    ]);
    expect(r.late).toEqual([]);
  });

  it("CEPOperatorTest.testCEPOperatorSideOutputLateElementsEventTime", () => {
    const startEvent = ev(41, "c", 1.0);
    const m1 = ev(41, "a", 2.0);
    const m2 = ev(41, "a", 3.0);
    const m3 = ev(41, "a", 4.0);
    const r = feed(
      complexNfaFactoryPattern(),
      [{ watermark: -Infinity }, [startEvent, 6], { watermark: 6 }, [m1, 4], [m2, 5], [m3, 7]],
      "eventTime",
    );
    expect(r.late).toEqual([
      { event: m1, timestamp: 4 },
      { event: m2, timestamp: 5 },
    ]);
  });

  it("CEPOperatorTest.testCEPOperatorLateRecordsMetric", () => {
    const startEvent = ev(41, "c", 1.0);
    const m1 = ev(41, "a", 2.0);
    const m2 = ev(41, "a", 3.0);
    const m3 = ev(41, "a", 4.0);
    const r = feed(
      nfaFactoryPattern(),
      [{ watermark: 0 }, [startEvent, 1], { watermark: 2 }, [m1, 1], [m2, 3], { watermark: 4 }, [m3, 3]],
      "eventTime",
    );
    expect(r.late).toHaveLength(2);
    expect(r.late.map((l) => l.event)).toEqual([m1, m3]);
  });

  it("CEPOperatorTest.testCEPOperatorSerializationWRocksDB (without RocksDB)", () => {
    const startEvent1 = ev(40, "start", 1.0);
    const startEvent2 = ev(40, "start", 2.0);
    const middleEvent1 = sub(40, "foo1", 1.0, 10);
    const middleEvent2 = sub(40, "foo2", 2.0, 10);
    const middleEvent3 = sub(40, "foo3", 3.0, 10);
    const middleEvent4 = sub(40, "foo4", 1.0, 10);
    const nextOne = ev(40, "next-one", 1.0);
    const endEvent = ev(40, "end", 1.0);
    const pattern = Pattern.begin<Event>("start")
      .where(named("start"))
      .followedBy("middle")
      .subtype(isSubEvent)
      .where((value: Event, ctx: PatternContext<Event>) => {
        if (!value.name.startsWith("foo")) return false;
        let sum = value.price;
        for (const e of ctx.eventsFor("middle")) sum += e.price;
        return sum < 5.0;
      })
      .oneOrMore()
      .allowCombinations()
      .followedBy("end")
      .where(named("end"));
    const r = feed(
      pattern,
      [
        { watermark: 0 },
        [startEvent1, 1],
        [middleEvent1, 2],
        { watermark: 2 },
        [middleEvent3, 5],
        [middleEvent2, 3],
        [startEvent2, 4],
        { watermark: 5 },
        [nextOne, 7],
        [endEvent, 8],
        [middleEvent4, 6],
        { watermark: 100 },
      ],
      "eventTime",
    );
    const m = (start: Event, ...middle: Event[]) => ({ start: [start], middle, end: [endEvent] });
    expectMatches(r.matches, [
      m(startEvent1, middleEvent1, middleEvent2, middleEvent4),
      m(startEvent1, middleEvent1, middleEvent2),
      m(startEvent1, middleEvent1, middleEvent3),
      m(startEvent2, middleEvent3, middleEvent4),
      m(startEvent1, middleEvent1, middleEvent4),
      m(startEvent1, middleEvent1),
      m(startEvent2, middleEvent3),
    ]);
  });
});
