/**
 * Port of FlinkCEP's UntilConditionITCase (flink-cep/src/test/java/org/apache/flink/cep/nfa/UntilConditionITCase.java).
 * FlinkCEP also asserts `nfa.isEmpty()` (no partial match left but the start state); Vigil's
 * equivalent is `partialMatchCount === 0`.
 */
import { describe, expect, it } from "vitest";
import { Pattern } from "../../../src/index.js";
import { driveNfa, ev, type Event, expectMatches, feed, named } from "./harness.js";

/** UntilConditionITCase.UNTIL_CONDITION */
const UNTIL = (e: Event) => e.price === 5.0;

const startEvent = ev(40, "c", 1.0);
const middleEvent1 = ev(41, "a", 2.0);
const middleEvent2 = ev(42, "a", 3.0);
const middleEvent3 = ev(43, "a", 4.0);

/** c followedBy middle(a) <loop>.until(UNTIL) followedBy end(UNTIL) */
function untilPattern(loop: (p: Pattern<Event, Event>) => Pattern<Event, Event>) {
  return loop(Pattern.begin<Event>("start").where(named("c")).followedBy("middle").where(named("a")))
    .until(UNTIL)
    .followedBy("end")
    .where(UNTIL);
}

/** run through runPattern and through the bare NFA (to check that nothing is left) */
function runAndCheckEmpty(pattern: Pattern<Event, any>, records: ReadonlyArray<readonly [Event, number]>) {
  const h = driveNfa(pattern).feed(records);
  expect(h.state.partialMatchCount).toBe(0);
  return feed(pattern, records).matches;
}

describe("UntilConditionITCase", () => {
  /** c m1 m2 breaking ignored at 1, 3, 4, 6, 7 */
  const threeInput = (breakingId: number, ignoredId: number, ts: readonly number[]) => {
    const breaking = ev(breakingId, "a", 5.0);
    const records = [
      [startEvent, ts[0]!],
      [middleEvent1, ts[1]!],
      [middleEvent2, ts[2]!],
      [breaking, ts[3]!],
      [ev(ignoredId, "a", 6.0), ts[4]!],
    ] as const;
    return { breaking, records };
  };
  /** c m1 m2 m3 breaking ignored at 1, 3, 4, 5, 6, 7 */
  const fourInput = () => {
    const breaking = ev(44, "a", 5.0);
    const records = [
      [startEvent, 1],
      [middleEvent1, 3],
      [middleEvent2, 4],
      [middleEvent3, 5],
      [breaking, 6],
      [ev(45, "a", 6.0), 7],
    ] as const;
    return { breaking, records };
  };
  const x = (end: Event, ...middle: Event[]) =>
    middle.length === 0 ? { start: [startEvent], end: [end] } : { start: [startEvent], middle, end: [end] };

  it("UntilConditionITCase.testUntilConditionFollowedByOneOrMore", () => {
    const { breaking, records } = threeInput(44, 45, [1, 3, 4, 6, 7]);
    const matches = runAndCheckEmpty(
      untilPattern((p) => p.oneOrMore()),
      records,
    );
    expectMatches(matches, [x(breaking, middleEvent1, middleEvent2), x(breaking, middleEvent1)]);
  });

  it("UntilConditionITCase.testUntilConditionFollowedByOneOrMoreCombinations", () => {
    const { breaking, records } = fourInput();
    const matches = runAndCheckEmpty(
      untilPattern((p) => p.oneOrMore().allowCombinations()),
      records,
    );
    expectMatches(matches, [
      x(breaking, middleEvent1, middleEvent2, middleEvent3),
      x(breaking, middleEvent1, middleEvent2),
      x(breaking, middleEvent1, middleEvent3),
      x(breaking, middleEvent1),
    ]);
  });

  it("UntilConditionITCase.testUntilConditionFollowedByOneOrMoreConsecutive", () => {
    const { breaking, records } = threeInput(45, 46, [1, 3, 4, 7, 8]);
    const matches = runAndCheckEmpty(
      untilPattern((p) => p.oneOrMore().consecutive()),
      records,
    );
    expectMatches(matches, [x(breaking, middleEvent1, middleEvent2), x(breaking, middleEvent1)]);
  });

  it("UntilConditionITCase.testUntilConditionFollowedByZeroOrMore", () => {
    const { breaking, records } = threeInput(44, 45, [1, 3, 4, 6, 7]);
    const matches = runAndCheckEmpty(
      untilPattern((p) => p.oneOrMore().optional()),
      records,
    );
    expectMatches(matches, [x(breaking, middleEvent1, middleEvent2), x(breaking, middleEvent1), x(breaking)]);
  });

  it("UntilConditionITCase.testUntilConditionFollowedByZeroOrMoreCombinations", () => {
    const { breaking, records } = fourInput();
    const matches = runAndCheckEmpty(
      untilPattern((p) => p.oneOrMore().optional().allowCombinations()),
      records,
    );
    expectMatches(matches, [
      x(breaking, middleEvent1, middleEvent2, middleEvent3),
      x(breaking, middleEvent1, middleEvent2),
      x(breaking, middleEvent1, middleEvent3),
      x(breaking, middleEvent1),
      x(breaking),
    ]);
  });

  it("UntilConditionITCase.testUntilConditionFollowedByZeroOrMoreConsecutive", () => {
    const { breaking, records } = threeInput(45, 46, [1, 3, 4, 7, 8]);
    const matches = runAndCheckEmpty(
      untilPattern((p) => p.oneOrMore().optional().consecutive()),
      records,
    );
    expectMatches(matches, [x(breaking, middleEvent1, middleEvent2), x(breaking, middleEvent1), x(breaking)]);
  });

  /** c m1 m2 breaking m3' at 1, 3, 4, 6, 7: the loop ends the pattern */
  const anyInput = () => {
    const m3 = ev(45, "a", 6.0);
    const records = [
      [startEvent, 1],
      [middleEvent1, 3],
      [middleEvent2, 4],
      [ev(44, "a", 5.0), 6],
      [m3, 7],
    ] as const;
    return { m3, records };
  };

  it("UntilConditionITCase.testUntilConditionFollowedByAnyOneOrMore", () => {
    const { m3, records } = anyInput();
    const pattern = Pattern.begin<Event>("start")
      .where(named("c"))
      .followedByAny("middle")
      .where(named("a"))
      .oneOrMore()
      .until(UNTIL);
    expectMatches(feed(pattern, records).matches, [
      { start: [startEvent], middle: [middleEvent1, middleEvent2] },
      { start: [startEvent], middle: [middleEvent1] },
      { start: [startEvent], middle: [middleEvent2] },
      { start: [startEvent], middle: [m3] },
    ]);
  });

  it("UntilConditionITCase.testUntilConditionFollowedByAnyZeroOrMore", () => {
    const { m3, records } = anyInput();
    const pattern = Pattern.begin<Event>("start")
      .where(named("c"))
      .followedByAny("middle")
      .where(named("a"))
      .oneOrMore()
      .optional()
      .until(UNTIL);
    expectMatches(feed(pattern, records).matches, [
      { start: [startEvent], middle: [middleEvent1, middleEvent2] },
      { start: [startEvent], middle: [middleEvent1] },
      { start: [startEvent], middle: [middleEvent2] },
      { start: [startEvent], middle: [m3] },
      { start: [startEvent] },
    ]);
  });

  /** c m1 m2 d(40,"d",1.0) breaking ignored at 1, 3..7 */
  const emptyWhereInput = () => {
    const m3 = ev(40, "d", 1.0);
    const records = [
      [startEvent, 1],
      [middleEvent1, 3],
      [middleEvent2, 4],
      [m3, 5],
      [ev(44, "a", 5.0), 6],
      [ev(45, "a", 6.0), 7],
    ] as const;
    return { m3, records };
  };

  it("UntilConditionITCase.testUntilConditionWithEmptyWhere", () => {
    const { m3, records } = emptyWhereInput();
    const pattern = Pattern.begin<Event>("start").where(named("c")).followedBy("middle").oneOrMore().until(UNTIL);
    const matches = runAndCheckEmpty(pattern, records);
    expectMatches(matches, [
      { start: [startEvent], middle: [middleEvent1, middleEvent2, m3] },
      { start: [startEvent], middle: [middleEvent1, middleEvent2] },
      { start: [startEvent], middle: [middleEvent1] },
    ]);
  });

  const sumIsSix = (_: Event, ctx: { eventsFor(name: string): readonly Event[] }) =>
    ctx.eventsFor("middle").reduce((s, e) => s + e.price, 0) === 6.0;

  it("UntilConditionITCase.testIterativeUntilConditionOneOrMore", () => {
    const { m3, records } = emptyWhereInput();
    const pattern = Pattern.begin<Event>("start").where(named("c")).followedBy("middle").oneOrMore().until(sumIsSix);
    const matches = runAndCheckEmpty(pattern, records);
    expectMatches(matches, [
      { start: [startEvent], middle: [middleEvent1, middleEvent2, m3] },
      { start: [startEvent], middle: [middleEvent1, middleEvent2] },
      { start: [startEvent], middle: [middleEvent1] },
    ]);
  });

  it("UntilConditionITCase.testIterativeUntilConditionZeroOrMore", () => {
    const { m3, records } = emptyWhereInput();
    const pattern = Pattern.begin<Event>("start")
      .where(named("c"))
      .followedBy("middle")
      .oneOrMore()
      .optional()
      .until(sumIsSix);
    const matches = runAndCheckEmpty(pattern, records);
    expectMatches(matches, [
      { start: [startEvent], middle: [middleEvent1, middleEvent2, m3] },
      { start: [startEvent], middle: [middleEvent1, middleEvent2] },
      { start: [startEvent], middle: [middleEvent1] },
      { start: [startEvent] },
    ]);
  });
});
