/**
 * Port of FlinkCEP's AfterMatchSkipITCase
 * (flink-cep/src/test/java/org/apache/flink/cep/nfa/AfterMatchSkipITCase.java).
 * FlinkCEP's records there carry no timestamp; they are fed here in order at time 0. Where
 * FlinkCEP passes the strategy to the test harness, Vigil passes it to `Pattern.begin`.
 */
import { describe, expect, it } from "vitest";
import { AfterMatchSkipStrategy, Pattern } from "../../../src/index.js";
import { driveNfa, ev, type Event, expectMatches, feedEvents, nameContains, named } from "./harness.js";

describe("AfterMatchSkipITCase", () => {
  const sixAs = () => [1, 2, 3, 4, 5, 6].map((i) => ev(i, "a", 0.0));

  it("AfterMatchSkipITCase.testNoSkip", () => {
    const [a1, a2, a3, a4, a5, a6] = sixAs() as [Event, Event, Event, Event, Event, Event];
    const pattern = Pattern.begin<Event>("start", AfterMatchSkipStrategy.noSkip()).where(named("a")).times(3);
    expectMatches(feedEvents(pattern, [a1, a2, a3, a4, a5, a6]).matches, [
      { start: [a1, a2, a3] },
      { start: [a2, a3, a4] },
      { start: [a3, a4, a5] },
      { start: [a4, a5, a6] },
    ]);
  });

  /** AfterMatchSkipITCase.TwoVariablesFollowedByAny */
  const twoVariables = (skip: AfterMatchSkipStrategy) => {
    const e = { a1: ev(1, "a", 0.0), b1: ev(2, "b", 0.0), a2: ev(4, "a", 0.0), b2: ev(5, "b", 0.0) };
    const pattern = Pattern.begin<Event>("start", skip).where(named("a")).followedByAny("end").where(named("b"));
    return { e, matches: feedEvents(pattern, [e.a1, e.b1, e.a2, e.b2]).matches };
  };

  it("AfterMatchSkipITCase.testNoSkipWithFollowedByAny", () => {
    const { e, matches } = twoVariables(AfterMatchSkipStrategy.noSkip());
    expectMatches(matches, [
      { start: [e.a1], end: [e.b1] },
      { start: [e.a1], end: [e.b2] },
      { start: [e.a2], end: [e.b2] },
    ]);
  });

  it("AfterMatchSkipITCase.testSkipToNextWithFollowedByAny", () => {
    const { e, matches } = twoVariables(AfterMatchSkipStrategy.skipToNext());
    expectMatches(matches, [
      { start: [e.a1], end: [e.b1] },
      { start: [e.a2], end: [e.b2] },
    ]);
  });

  /** AfterMatchSkipITCase.QuantifierAtEndOfPattern */
  const quantifierAtEnd = (skip: AfterMatchSkipStrategy) => {
    const e = { a1: ev(1, "a", 0.0), b1: ev(2, "b", 0.0), b2: ev(4, "b", 0.0), b3: ev(5, "b", 0.0) };
    const pattern = Pattern.begin<Event>("start", skip).where(named("a")).next("end").where(named("b")).oneOrMore();
    return { e, matches: feedEvents(pattern, [e.a1, e.b1, e.b2, e.b3]).matches };
  };

  it("AfterMatchSkipITCase.testNoSkipWithQuantifierAtTheEnd", () => {
    const { e, matches } = quantifierAtEnd(AfterMatchSkipStrategy.noSkip());
    expectMatches(matches, [
      { start: [e.a1], end: [e.b1, e.b2, e.b3] },
      { start: [e.a1], end: [e.b1, e.b2] },
      { start: [e.a1], end: [e.b1] },
    ]);
  });

  it("AfterMatchSkipITCase.testSkipToNextWithQuantifierAtTheEnd", () => {
    const { e, matches } = quantifierAtEnd(AfterMatchSkipStrategy.skipToNext());
    expectMatches(matches, [{ start: [e.a1], end: [e.b1] }]);
  });

  it("AfterMatchSkipITCase.testSkipPastLast", () => {
    const [a1, a2, a3, a4, a5, a6] = sixAs() as [Event, Event, Event, Event, Event, Event];
    const pattern = Pattern.begin<Event>("start", AfterMatchSkipStrategy.skipPastLastEvent()).where(named("a")).times(3);
    expectMatches(feedEvents(pattern, [a1, a2, a3, a4, a5, a6]).matches, [
      { start: [a1, a2, a3] },
      { start: [a4, a5, a6] },
    ]);
  });

  const abPattern = (skip: AfterMatchSkipStrategy) =>
    Pattern.begin<Event>("start", skip)
      .where(nameContains("a"))
      .times(2)
      .next("end")
      .where(nameContains("b"))
      .times(2);

  it("AfterMatchSkipITCase.testSkipToFirst", () => {
    const ab = [1, 2, 3, 4, 5, 6].map((i) => ev(i, "ab", 0.0));
    const [ab1, ab2, ab3, ab4, ab5, ab6] = ab as [Event, Event, Event, Event, Event, Event];
    expectMatches(feedEvents(abPattern(AfterMatchSkipStrategy.skipToFirst("end")), ab).matches, [
      { start: [ab1, ab2], end: [ab3, ab4] },
      { start: [ab3, ab4], end: [ab5, ab6] },
    ]);
  });

  it("AfterMatchSkipITCase.testSkipToLast", () => {
    const ab = [1, 2, 3, 4, 5, 6, 7].map((i) => ev(i, "ab", 0.0));
    const [ab1, ab2, ab3, ab4, ab5, ab6, ab7] = ab as [Event, Event, Event, Event, Event, Event, Event];
    expectMatches(feedEvents(abPattern(AfterMatchSkipStrategy.skipToLast("end")), ab).matches, [
      { start: [ab1, ab2], end: [ab3, ab4] },
      { start: [ab4, ab5], end: [ab6, ab7] },
    ]);
  });

  it("AfterMatchSkipITCase.testSkipPastLast2", () => {
    const a1 = ev(1, "a1", 0.0);
    const a2 = ev(2, "a2", 0.0);
    const b1 = ev(3, "b1", 0.0);
    const b2 = ev(4, "b2", 0.0);
    const c1 = ev(5, "c1", 0.0);
    const c2 = ev(6, "c2", 0.0);
    const d1 = ev(7, "d1", 0.0);
    const d2 = ev(7, "d2", 0.0);
    const pattern = Pattern.begin<Event>("a", AfterMatchSkipStrategy.skipPastLastEvent())
      .where(nameContains("a"))
      .followedByAny("b")
      .where(nameContains("b"))
      .followedByAny("c")
      .where(nameContains("c"))
      .followedBy("d")
      .where(nameContains("d"));
    expectMatches(feedEvents(pattern, [a1, a2, b1, b2, c1, c2, d1, d2]).matches, [
      { a: [a1], b: [b1], c: [c1], d: [d1] },
    ]);
  });

  it("AfterMatchSkipITCase.testSkipPastLast3", () => {
    const a1 = ev(1, "a1", 0.0);
    const c = ev(2, "c", 0.0);
    const a2 = ev(3, "a2", 0.0);
    const b2 = ev(4, "b2", 0.0);
    const pattern = Pattern.begin<Event>("a", AfterMatchSkipStrategy.skipPastLastEvent())
      .where(nameContains("a"))
      .next("b")
      .where(nameContains("b"));
    expectMatches(feedEvents(pattern, [a1, c, a2, b2]).matches, [{ a: [a2], b: [b2] }]);
  });

  /** ab1 c1 ab2 c2 */
  const abc = () => ({ ab1: ev(1, "ab1", 0.0), c1: ev(2, "c1", 0.0), ab2: ev(3, "ab2", 0.0), c2: ev(4, "c2", 0.0) });

  it("AfterMatchSkipITCase.testSkipToFirstWithOptionalMatch", () => {
    const e = abc();
    const pattern = Pattern.begin<Event>("x", AfterMatchSkipStrategy.skipToFirst("b"))
      .where(nameContains("x"))
      .oneOrMore()
      .optional()
      .next("b")
      .where(nameContains("b"))
      .next("c")
      .where(nameContains("c"));
    expectMatches(feedEvents(pattern, [e.ab1, e.c1, e.ab2, e.c2]).matches, [
      { b: [e.ab1], c: [e.c1] },
      { b: [e.ab2], c: [e.c2] },
    ]);
  });

  it("AfterMatchSkipITCase.testSkipToFirstAtStartPosition", () => {
    const e = abc();
    const pattern = Pattern.begin<Event>("b", AfterMatchSkipStrategy.skipToFirst("b"))
      .where(nameContains("b"))
      .next("c")
      .where(nameContains("c"));
    expectMatches(feedEvents(pattern, [e.ab1, e.c1, e.ab2, e.c2]).matches, [
      { b: [e.ab1], c: [e.c1] },
      { b: [e.ab2], c: [e.c2] },
    ]);
  });

  /** a1 b1 a2 b2 b3 a3 b4 */
  const oneOrMoreInput = () => ({
    a1: ev(1, "a1", 0.0),
    b1: ev(2, "b1", 0.0),
    a2: ev(3, "a2", 0.0),
    b2: ev(4, "b2", 0.0),
    b3: ev(5, "b3", 0.0),
    a3: ev(3, "a3", 0.0),
    b4: ev(4, "b4", 0.0),
  });
  const aThenBs = (skip: AfterMatchSkipStrategy) =>
    Pattern.begin<Event>("a", skip).where(nameContains("a")).next("b").where(nameContains("b")).oneOrMore().consecutive();

  it("AfterMatchSkipITCase.testSkipToFirstWithOneOrMore", () => {
    const e = oneOrMoreInput();
    expectMatches(
      feedEvents(aThenBs(AfterMatchSkipStrategy.skipToFirst("b")), [e.a1, e.b1, e.a2, e.b2, e.b3, e.a3, e.b4]).matches,
      [
        { a: [e.a1], b: [e.b1] },
        { a: [e.a2], b: [e.b2] },
        { a: [e.a3], b: [e.b4] },
      ],
    );
  });

  it("AfterMatchSkipITCase.testSkipToLastWithOneOrMore", () => {
    const e = oneOrMoreInput();
    expectMatches(
      feedEvents(aThenBs(AfterMatchSkipStrategy.skipToLast("b")), [e.a1, e.b1, e.a2, e.b2, e.b3, e.a3, e.b4]).matches,
      [
        { a: [e.a1], b: [e.b1] },
        { a: [e.a2], b: [e.b2] },
        { a: [e.a3], b: [e.b4] },
      ],
    );
  });

  it("AfterMatchSkipITCase.testSkipToFirstElementOfMatch", () => {
    // skipToFirst of the match's own first element with throwExceptionOnMiss fails at run time
    // (FlinkRuntimeException: "Could not skip to first element of a match.")
    const pattern = Pattern.begin<Event>("a", AfterMatchSkipStrategy.skipToFirst("a").throwExceptionOnMiss()).where(
      nameContains("a"),
    );
    expect(() => feedEvents(pattern, [ev(1, "a1", 0.0)])).toThrow();
  });

  /** AfterMatchSkipITCase.MissedSkipTo: a b*? c with a skip to "b", which the match lacks */
  const missedSkipTo = (skip: AfterMatchSkipStrategy) => {
    const e = { a: ev(1, "a", 0.0), c: ev(4, "c", 0.0) };
    const pattern = Pattern.begin<Event>("a", skip)
      .where(nameContains("a"))
      .next("b")
      .where(nameContains("b"))
      .oneOrMore()
      .optional()
      .consecutive()
      .next("c")
      .where(nameContains("c"));
    return { e, run: () => feedEvents(pattern, [e.a, e.c]).matches };
  };

  it("AfterMatchSkipITCase.testSkipToFirstNonExistentPosition", () => {
    const { run } = missedSkipTo(AfterMatchSkipStrategy.skipToFirst("b").throwExceptionOnMiss());
    expect(run).toThrow();
  });

  it("AfterMatchSkipITCase.testSkipToFirstNonExistentPositionWithoutException", () => {
    const { e, run } = missedSkipTo(AfterMatchSkipStrategy.skipToFirst("b"));
    expectMatches(run(), [{ a: [e.a], c: [e.c] }]);
  });

  it("AfterMatchSkipITCase.testSkipToLastNonExistentPosition", () => {
    const { run } = missedSkipTo(AfterMatchSkipStrategy.skipToLast("b").throwExceptionOnMiss());
    expect(run).toThrow();
  });

  it("AfterMatchSkipITCase.testSkipToLastNonExistentPositionWithoutException", () => {
    // (FlinkCEP's test of this name uses skipToFirst("b"); skipToLast is what the name says)
    for (const skip of [AfterMatchSkipStrategy.skipToFirst("b"), AfterMatchSkipStrategy.skipToLast("b")]) {
      const { e, run } = missedSkipTo(skip);
      expectMatches(run(), [{ a: [e.a], c: [e.c] }]);
    }
  });

  /** "Example from docs": a1 a2 a3 b1 with a+ consecutive greedy next b */
  const docsExample = (skip: AfterMatchSkipStrategy) => {
    const e = { a1: ev(1, "a1", 0.0), a2: ev(2, "a2", 0.0), a3: ev(3, "a3", 0.0), b1: ev(4, "b1", 0.0) };
    const pattern = Pattern.begin<Event>("a", skip)
      .where(nameContains("a"))
      .oneOrMore()
      .consecutive()
      .greedy()
      .next("b")
      .where(nameContains("b"));
    return { e, matches: feedEvents(pattern, [e.a1, e.a2, e.a3, e.b1]).matches };
  };

  it("AfterMatchSkipITCase.testSkipPastLastWithOneOrMoreAtBeginning", () => {
    const { e, matches } = docsExample(AfterMatchSkipStrategy.skipPastLastEvent());
    expectMatches(matches, [{ a: [e.a1, e.a2, e.a3], b: [e.b1] }]);
  });

  it("AfterMatchSkipITCase.testSkipToLastWithOneOrMoreAtBeginning", () => {
    const { e, matches } = docsExample(AfterMatchSkipStrategy.skipToLast("a"));
    expectMatches(matches, [
      { a: [e.a1, e.a2, e.a3], b: [e.b1] },
      { a: [e.a3], b: [e.b1] },
    ]);
  });

  it("AfterMatchSkipITCase.testSkipToFirstWithOneOrMoreAtBeginning", () => {
    const { e, matches } = docsExample(AfterMatchSkipStrategy.skipToFirst("a"));
    expectMatches(matches, [
      { a: [e.a1, e.a2, e.a3], b: [e.b1] },
      { a: [e.a2, e.a3], b: [e.b1] },
      { a: [e.a3], b: [e.b1] },
    ]);
  });

  it("AfterMatchSkipITCase.testNoSkipWithOneOrMoreAtBeginning", () => {
    const { e, matches } = docsExample(AfterMatchSkipStrategy.noSkip());
    expectMatches(matches, [
      { a: [e.a1, e.a2, e.a3], b: [e.b1] },
      { a: [e.a2, e.a3], b: [e.b1] },
      { a: [e.a3], b: [e.b1] },
    ]);
  });

  it("AfterMatchSkipITCase.testSkipToFirstDiscarding", () => {
    const a = ev(1, "a", 0.0);
    const b = ev(2, "b", 0.0);
    const c1 = ev(3, "c1", 0.0);
    const c2 = ev(4, "c2", 0.0);
    const c3 = ev(5, "c3", 0.0);
    const d = ev(6, "d", 0.0);
    const pattern = Pattern.begin<Event>("a or c", AfterMatchSkipStrategy.skipToFirst("c*"))
      .where((e) => e.name.includes("a") || e.name.includes("c"))
      .followedBy("b or c")
      .where((e) => e.name.includes("b") || e.name.includes("c"))
      .followedBy("c*")
      .where(nameContains("c"))
      .oneOrMore()
      .greedy()
      .followedBy("d")
      .where(nameContains("d"));
    expectMatches(feedEvents(pattern, [a, b, c1, c2, c3, d]).matches, [
      { "a or c": [a], "b or c": [b], "c*": [c1, c2, c3], d: [d] },
      { "a or c": [c1], "b or c": [c2], "c*": [c3], d: [d] },
    ]);
  });

  it("AfterMatchSkipITCase.testSkipBeforeOtherAlreadyCompleted", () => {
    const a1 = ev(1, "a1", 0.0);
    const c1 = ev(2, "c1", 0.0);
    const a2 = ev(3, "a2", 1.0);
    const c2 = ev(4, "c2", 0.0);
    const b1 = ev(5, "b1", 1.0);
    const b2 = ev(6, "b2", 0.0);
    const pattern = Pattern.begin<Event>("a", AfterMatchSkipStrategy.skipToFirst("c"))
      .where(nameContains("a"))
      .followedBy("c")
      .where(nameContains("c"))
      .followedBy("b")
      .where((value, ctx) => value.name.includes("b") && ctx.eventsFor("a")[0]!.price === value.price);
    expectMatches(feedEvents(pattern, [a1, c1, a2, c2, b1, b2]).matches, [
      { a: [a1], c: [c1], b: [b2] },
      { a: [a2], c: [c2], b: [b1] },
    ]);
  });

  it("AfterMatchSkipITCase.testSharedBufferIsProperlyCleared", () => {
    const pattern = Pattern.begin<Event>("start", AfterMatchSkipStrategy.skipPastLastEvent())
      .where(() => true)
      .times(2);
    const events = [0, 1, 2, 3].map(() => ev(1, "a", 1.0));
    const h = driveNfa(pattern).feed(events.map((e, i) => [e, i] as const));
    expectMatches(h.matches, [{ start: [events[0]!, events[1]!] }, { start: [events[2]!, events[3]!] }]);
    expect(h.state.bufferEntryCount).toBe(0);
  });
});
