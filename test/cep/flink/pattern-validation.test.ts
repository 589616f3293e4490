/**
 * Ports of FlinkCEP's pattern validation cases: every `MalformedPatternException` (and
 * `IllegalArgumentException`) of PatternTest.java and NFACompilerTest.java, plus the rules
 * cep-api.md adds, as expectations that building or compiling throws Vigil's `PatternError`
 * (a message naming the stage concerned), never at run time.
 */
import { describe, expect, it } from "vitest";
import { AfterMatchSkipStrategy, compile, Pattern, PatternError, WithinType } from "../../../src/index.js";
import { type Event, named } from "./harness.js";

const dummy = () => true;

/** Builds (and compiles) inside `build`; expects a PatternError mentioning `stage`, if given. */
function expectPatternError(build: () => Pattern<Event, any>, stage?: string): void {
  let thrown: unknown;
  try {
    compile(build());
  } catch (e) {
    thrown = e;
  }
  expect(thrown).toBeInstanceOf(PatternError);
  if (stage !== undefined) expect((thrown as PatternError).message).toContain(stage);
}

function expectValid(build: () => Pattern<Event, any>): void {
  expect(() => compile(build())).not.toThrow();
}

describe("PatternTest (pattern construction)", () => {
  it("PatternTest.testStrictContiguity", () => {
    expectValid(() => Pattern.begin<Event>("start").next("next").next("end"));
  });

  it("PatternTest.testNonStrictContiguity", () => {
    expectValid(() => Pattern.begin<Event>("start").followedBy("next").followedBy("end"));
  });

  it("PatternTest.testStrictContiguityWithCondition", () => {
    expectValid(() =>
      Pattern.begin<Event>("start")
        .next("next")
        .where(named("foobar"))
        .next("end")
        .where((e) => e.id === 42),
    );
  });

  it("PatternTest.testPatternWithSubtyping / testPatternWithSubtypingAndFilter", () => {
    const isSub = (e: Event): e is Event & { volume: number } => "volume" in e;
    expectValid(() => Pattern.begin<Event>("start").next("subevent").subtype(isSub).followedBy("end"));
    expectValid(() =>
      Pattern.begin<Event>("start")
        .next("subevent")
        .subtype(isSub)
        .where(() => false)
        .followedBy("end"),
    );
  });

  it("PatternTest.testPatternWithOrFilter / testRichCondition", () => {
    expectValid(() =>
      Pattern.begin<Event>("start")
        .where(() => false)
        .or(() => false)
        .next("or")
        .or(() => false)
        .followedBy("end"),
    );
    expectValid(() =>
      Pattern.begin<Event>("start").where(dummy).where(dummy).followedBy("end").where(dummy).or(dummy),
    );
  });

  it("PatternTest.testPatternTimesNegativeTimes", () => {
    // FlinkCEP: IllegalArgumentException
    expectPatternError(() => Pattern.begin<Event>("start").where(dummy).times(-1), "start");
  });

  it("PatternTest.testPatternTimesNegativeFrom", () => {
    expectPatternError(() => Pattern.begin<Event>("start").where(dummy).times(-1, 2), "start");
  });

  it("PatternTest.testPatternCanHaveQuantifierSpecifiedOnce1", () => {
    expectPatternError(() => Pattern.begin<Event>("start").where(dummy).oneOrMore().oneOrMore().optional(), "start");
  });

  it("PatternTest.testPatternCanHaveQuantifierSpecifiedOnce2", () => {
    expectPatternError(() => Pattern.begin<Event>("start").where(dummy).oneOrMore().optional().times(1), "start");
  });

  it("PatternTest.testPatternCanHaveQuantifierSpecifiedOnce3", () => {
    expectPatternError(() => Pattern.begin<Event>("start").where(dummy).times(1).oneOrMore(), "start");
  });

  it("PatternTest.testPatternCanHaveQuantifierSpecifiedOnce4", () => {
    expectPatternError(() => Pattern.begin<Event>("start").where(dummy).oneOrMore().oneOrMore(), "start");
  });

  it("PatternTest.testPatternCanHaveQuantifierSpecifiedOnce5", () => {
    expectPatternError(() => Pattern.begin<Event>("start").where(dummy).oneOrMore().oneOrMore().optional(), "start");
  });

  it("PatternTest.testNotNextCannotBeOneOrMore", () => {
    expectPatternError(() => Pattern.begin<Event>("start").where(dummy).notNext("not").where(dummy).oneOrMore(), "not");
  });

  it("PatternTest.testNotNextCannotBeTimes", () => {
    expectPatternError(() => Pattern.begin<Event>("start").where(dummy).notNext("not").where(dummy).times(3), "not");
  });

  it("PatternTest.testNotNextCannotBeOptional", () => {
    expectPatternError(() => Pattern.begin<Event>("start").where(dummy).notNext("not").where(dummy).optional(), "not");
  });

  it("PatternTest.testNotFollowedCannotBeOneOrMore", () => {
    expectPatternError(
      () => Pattern.begin<Event>("start").where(dummy).notFollowedBy("not").where(dummy).oneOrMore(),
      "not",
    );
  });

  it("PatternTest.testNotFollowedCannotBeTimes", () => {
    expectPatternError(() => Pattern.begin<Event>("start").where(dummy).notFollowedBy("not").where(dummy).times(3), "not");
  });

  it("PatternTest.testNotFollowedCannotBeOptional", () => {
    expectPatternError(
      () => Pattern.begin<Event>("start").where(dummy).notFollowedBy("not").where(dummy).optional(),
      "not",
    );
  });

  it("PatternTest.testUntilCannotBeAppliedToTimes", () => {
    expectPatternError(() => Pattern.begin<Event>("start").where(dummy).times(1).until(dummy), "start");
  });

  it("PatternTest.testUntilCannotBeAppliedToSingleton", () => {
    expectPatternError(() => Pattern.begin<Event>("start").where(dummy).until(dummy), "start");
  });

  it("PatternTest.testUntilCannotBeAppliedTwice", () => {
    expectPatternError(() => Pattern.begin<Event>("start").where(dummy).until(dummy).until(dummy), "start");
    // on a looping stage, where the first until is legal, the second must still fail
    expectPatternError(() => Pattern.begin<Event>("start").where(dummy).oneOrMore().until(dummy).until(dummy), "start");
  });
});

describe("NFACompilerTest (compile-time checks)", () => {
  it("NFACompilerTest.testNFACompilerUniquePatternName", () => {
    expectPatternError(
      () =>
        Pattern.begin<Event>("start")
          .where(dummy)
          .followedBy("middle")
          .where(dummy)
          .followedBy("start")
          .where(dummy),
      "start",
    );
  });

  it("NFACompilerTest.testNFACompilerUniquePatternName: a name reused inside a group", () => {
    expectPatternError(
      () =>
        Pattern.begin<Event>("start")
          .where(dummy)
          .followedBy(Pattern.begin<Event>("middle").where(dummy).followedBy("start").where(dummy))
          .followedBy("end"),
      "start",
    );
  });

  it("NFACompilerTest.testNFACompilerPatternEndsWithNotFollowedBy", () => {
    expectPatternError(
      () =>
        Pattern.begin<Event>("start")
          .where(dummy)
          .followedBy("middle")
          .where(dummy)
          .notFollowedBy("end")
          .where(dummy),
      "end",
    );
  });

  it("NFACompilerTest.testNFACompilerPatternEndsWithNotFollowedBy: fine with within (FlinkCEP 1.16+)", () => {
    expectValid(() =>
      Pattern.begin<Event>("start").where(dummy).followedBy("middle").where(dummy).notFollowedBy("end").where(dummy).within(10),
    );
  });

  it("NFACompilerTest.testSkipToNotExistsMatchingPattern", () => {
    expectPatternError(
      () =>
        Pattern.begin<Event>("start", AfterMatchSkipStrategy.skipToLast("midd"))
          .where((e) => e.name.includes("a"))
          .next("middle")
          .where((e) => e.name.includes("d"))
          .oneOrMore()
          .optional()
          .next("end")
          .where((e) => e.name.includes("c")),
      "midd",
    );
    expectPatternError(() =>
      Pattern.begin<Event>("start", AfterMatchSkipStrategy.skipToFirst("nope")).where(dummy).next("end").where(dummy),
    );
  });

  it("NFACompilerTest.testCheckingEmptyMatches: patterns that can match nothing are rejected", () => {
    // FlinkCEP's NFACompiler.canProduceEmptyMatches is true for these three; cep-api.md makes them errors
    expectPatternError(() => Pattern.begin<Event>("a").optional());
    expectPatternError(() => Pattern.begin<Event>("a").oneOrMore().optional());
    expectPatternError(() => Pattern.begin<Event>("a").oneOrMore().optional().next("b").optional());
  });

  it("NFACompilerTest.testCheckingEmptyMatches: patterns that cannot match nothing are fine", () => {
    expectValid(() => Pattern.begin<Event>("a"));
    expectValid(() => Pattern.begin<Event>("a").oneOrMore());
    expectValid(() => Pattern.begin<Event>("a").oneOrMore().next("b").optional());
  });
});

describe("further FlinkCEP rules (Pattern / Quantifier checks, docs hints)", () => {
  it("an optional stage cannot follow a greedy one (Pattern.checkIfPreviousPatternGreedy)", () => {
    expectPatternError(
      () =>
        Pattern.begin<Event>("start")
          .where(named("c"))
          .followedBy("middle")
          .where(named("a"))
          .oneOrMore()
          .greedy()
          .followedBy("end")
          .where(named("d"))
          .optional(),
      "end",
    );
  });

  it("greedy is not applicable to a group pattern (docs: 'you cannot yet make group patterns greedy')", () => {
    expectPatternError(() =>
      Pattern.begin<Event>("start")
        .where(dummy)
        .followedBy(Pattern.begin<Event>("g1").where(dummy).followedBy("g2").where(dummy))
        .oneOrMore()
        .greedy(),
    );
  });

  it("greedy is not applicable to a singleton (Quantifier.greedy)", () => {
    expectPatternError(() => Pattern.begin<Event>("start").where(dummy).greedy(), "start");
  });

  it("greedy cannot be combined with allowCombinations (Quantifier.greedy)", () => {
    expectPatternError(() => Pattern.begin<Event>("start").where(dummy).oneOrMore().allowCombinations().greedy(), "start");
  });

  it("consecutive / allowCombinations apply only to looping or times stages (Quantifier.consecutive/combinations)", () => {
    expectPatternError(() => Pattern.begin<Event>("start").where(dummy).consecutive(), "start");
    expectPatternError(() => Pattern.begin<Event>("start").where(dummy).allowCombinations(), "start");
  });

  it("a NOT pattern cannot be preceded by an optional one (docs hint)", () => {
    expectPatternError(() =>
      Pattern.begin<Event>("start")
        .where(dummy)
        .followedBy("opt")
        .where(dummy)
        .optional()
        .notFollowedBy("not")
        .where(dummy)
        .followedBy("end")
        .where(dummy),
    );
  });

  it("a stage-level window longer than the pattern's window is a PatternError (NFACompiler.checkPatternWindowTimes)", () => {
    expectPatternError(
      () =>
        Pattern.begin<Event>("a")
          .where(dummy)
          .followedBy("b")
          .where(dummy)
          .within(20, WithinType.PREVIOUS_AND_CURRENT)
          .followedBy("c")
          .where(dummy)
          .within(10),
      "b",
    );
    expectValid(() =>
      Pattern.begin<Event>("a")
        .where(dummy)
        .followedBy("b")
        .where(dummy)
        .within(10, WithinType.PREVIOUS_AND_CURRENT)
        .followedBy("c")
        .where(dummy)
        .within(20),
    );
  });

  it("invalid patterns fail when built or compiled, before any event is processed", () => {
    let conditionCalls = 0;
    const counted = () => {
      conditionCalls++;
      return true;
    };
    expectPatternError(() => Pattern.begin<Event>("x").where(counted).followedBy("x").where(counted));
    expect(conditionCalls).toBe(0);
  });
});
