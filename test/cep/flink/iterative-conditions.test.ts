/**
 * Port of FlinkCEP's IterativeConditionsITCase
 * (flink-cep/src/test/java/org/apache/flink/cep/nfa/IterativeConditionsITCase.java):
 * conditions that read `ctx.eventsFor(stage)` (FlinkCEP's `ctx.getEventsForPattern`).
 */
import { describe, it } from "vitest";
import { Pattern, type PatternContext } from "../../../src/index.js";
import { ev, type Event, expectMatches, feed, isSubEvent, named, sub } from "./harness.js";

const startEvent1 = ev(40, "start", 1.0);
const startEvent2 = ev(40, "start", 2.0);
const startEvent3 = ev(40, "start", 3.0);
const startEvent4 = ev(40, "start", 4.0);
const middleEvent1 = sub(41, "foo1", 1.0, 10);
const middleEvent2 = sub(42, "foo2", 2.0, 10);
const middleEvent3 = sub(43, "foo3", 3.0, 10);
const middleEvent4 = sub(43, "foo4", 1.0, 10);
const nextOne = ev(44, "next-one", 1.0);
const endEvent = ev(46, "end", 1.0);

const sum = (events: readonly Event[]) => events.reduce((s, e) => s + e.price, 0);

/** IterativeConditionsITCase.MySubeventIterCondition */
const mySubeventIterCondition = (value: Event, ctx: PatternContext<Event>) =>
  value.name.startsWith("foo") && sum(ctx.eventsFor("middle")) + value.price < 5.0;

/** IterativeConditionsITCase.MyEventIterCondition */
const myEventIterCondition = (value: Event, ctx: PatternContext<Event>) =>
  value.name === "start" && sum(ctx.eventsFor("start")) + value.price < 5.0;

describe("IterativeConditionsITCase", () => {
  const branching = (eager: boolean) => {
    const middle = Pattern.begin<Event>("start")
      .where(named("start"))
      .followedBy("middle")
      .subtype(isSubEvent)
      .where(mySubeventIterCondition)
      .oneOrMore();
    const pattern = (eager ? middle : middle.allowCombinations()).followedBy("end").where(named("end"));
    return feed(pattern, [
      [startEvent1, 1],
      [middleEvent1, 2],
      [middleEvent2, 3],
      [startEvent2, 4],
      [middleEvent3, 5],
      [middleEvent4, 5],
      [nextOne, 6],
      [endEvent, 8],
    ]).matches;
  };
  const m = (start: Event, ...middle: Event[]) => ({ start: [start], middle, end: [endEvent] });

  it("IterativeConditionsITCase.testIterativeWithBranchingPatternEager", () => {
    expectMatches(branching(true), [
      m(startEvent1, middleEvent1, middleEvent2, middleEvent4),
      m(startEvent1, middleEvent1, middleEvent2),
      m(startEvent1, middleEvent1),
      m(startEvent2, middleEvent3, middleEvent4),
      m(startEvent2, middleEvent3),
    ]);
  });

  it("IterativeConditionsITCase.testIterativeWithBranchingPatternCombinations", () => {
    expectMatches(branching(false), [
      m(startEvent1, middleEvent1, middleEvent2, middleEvent4),
      m(startEvent1, middleEvent1, middleEvent2),
      m(startEvent1, middleEvent1, middleEvent3),
      m(startEvent2, middleEvent3, middleEvent4),
      m(startEvent1, middleEvent1, middleEvent4),
      m(startEvent1, middleEvent1),
      m(startEvent2, middleEvent3),
    ]);
  });

  const loopingStarting = (eager: boolean) => {
    const start = Pattern.begin<Event>("start").where(myEventIterCondition).oneOrMore();
    const pattern = (eager ? start.optional() : start.allowCombinations().optional())
      .followedBy("end")
      .where(named("end"));
    return feed(pattern, [
      [startEvent1, 1],
      [startEvent2, 2],
      [startEvent3, 3],
      [endEvent, 4],
    ]).matches;
  };
  const s = (...start: Event[]) => (start.length === 0 ? { end: [endEvent] } : { start, end: [endEvent] });

  it("IterativeConditionsITCase.testIterativeWithLoopingStartingEager", () => {
    expectMatches(loopingStarting(true), [
      s(startEvent1, startEvent2),
      s(startEvent1),
      s(startEvent2),
      s(startEvent3),
      s(),
    ]);
  });

  it("IterativeConditionsITCase.testIterativeWithLoopingStartingCombination", () => {
    expectMatches(loopingStarting(false), [
      s(startEvent1, startEvent2),
      s(startEvent1, startEvent3),
      s(startEvent1),
      s(startEvent2),
      s(startEvent3),
      s(),
    ]);
  });

  it("IterativeConditionsITCase.testIterativeWithPrevPatternDependency", () => {
    const pattern = Pattern.begin<Event>("start")
      .where(named("start"))
      .oneOrMore()
      .followedBy("end")
      .where((value, ctx) => value.name === "end" && sum(ctx.eventsFor("start")) >= 2.0);
    const r = feed(pattern, [
      [startEvent1, 1],
      [startEvent2, 2],
      [endEvent, 4],
    ]);
    expectMatches(r.matches, [s(startEvent1, startEvent2), s(startEvent2)]);
  });

  it("IterativeConditionsITCase.testIterativeWithABACPattern", () => {
    const pattern = Pattern.begin<Event>("start")
      .where(named("start"))
      .followedByAny("middle1")
      .subtype(isSubEvent)
      .where((e) => e.name.startsWith("foo"))
      .followedBy("middle2")
      .where((value, ctx) => value.name === "start" && sum(ctx.eventsFor("middle2")) + value.price <= 5.0)
      .oneOrMore()
      .followedBy("end")
      .where(named("end"));
    const r = feed(pattern, [
      [startEvent1, 1],
      [middleEvent1, 2],
      [startEvent2, 2],
      [startEvent3, 2],
      [middleEvent2, 2],
      [startEvent4, 2],
      [middleEvent3, 2],
      [middleEvent4, 2],
      [endEvent, 4],
    ]);
    const x = (start: Event, middle1: Event, ...middle2: Event[]) => ({
      start: [start],
      middle1: [middle1],
      middle2,
      end: [endEvent],
    });
    expectMatches(r.matches, [
      x(startEvent1, middleEvent1, startEvent2, startEvent3),
      x(startEvent1, middleEvent1, startEvent2),
      x(startEvent1, middleEvent2, startEvent4),
      x(startEvent2, middleEvent2, startEvent4),
      x(startEvent3, middleEvent2, startEvent4),
    ]);
  });

  it("IterativeConditionsITCase.testIterativeWithPrevPatternDependencyAfterBranching", () => {
    const pattern = Pattern.begin<Event>("start")
      .where(named("start"))
      .oneOrMore()
      .followedByAny("middle1")
      .subtype(isSubEvent)
      .where((e) => e.name.startsWith("foo"))
      .followedByAny("end")
      .where((value, ctx) => value.name === "end" && sum(ctx.eventsFor("start")) >= 2.0);
    const r = feed(pattern, [
      [startEvent1, 1],
      [startEvent2, 2],
      [middleEvent1, 4],
      [startEvent3, 5],
      [middleEvent2, 6],
      [endEvent, 7],
    ]);
    const x = (middle1: Event, ...start: Event[]) => ({ start, middle1: [middle1], end: [endEvent] });
    expectMatches(r.matches, [
      x(middleEvent1, startEvent1, startEvent2),
      x(middleEvent1, startEvent2),
      x(middleEvent2, startEvent1, startEvent2),
      x(middleEvent2, startEvent1, startEvent2, startEvent3),
      x(middleEvent2, startEvent2, startEvent3),
      x(middleEvent2, startEvent2),
      x(middleEvent2, startEvent3),
    ]);
  });
});

describe("NFAIterativeConditionTimeContextTest", () => {
  it("NFAIterativeConditionTimeContextTest.testEventTimestamp", () => {
    const event = ev(1, "event", 0);
    const pattern = Pattern.begin<Event>("start").where((_, ctx) => ctx.timestamp() === 3);
    expectMatches(feed(pattern, [[event, 3]]).matches, [{ start: [event] }]);
    expectMatches(feed(pattern, [[event, 4]]).matches, []);
  });
});
