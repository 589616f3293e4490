/**
 * The reference on hand-worked examples, most of them FlinkCEP's own (docs page "FlinkCEP -
 * Complex event processing for Flink" and flink-cep/src/test/java/org/apache/flink/cep/nfa/
 * *ITCase.java), so the reference is checked against FlinkCEP, not against the engine.
 *
 * Events are written `a1` (type a, v 1); ids are positions; timestamps are positions unless
 * given as `a1@5`. A match is written like `A:0,2 B:3` (stage: event ids).
 */
import { describe, expect, it } from "vitest";
import { referenceRun } from "./reference.js";
import type { CondSpec, Contiguity, EvType, Inner, PatternSpec, PositiveStage, QuantSpec, SkipSpec, StageSpec, TimedEv } from "./spec.js";

function input(text: string): TimedEv[] {
  return text
    .split(/\s+/)
    .filter((w) => w.length > 0)
    .map((w, id) => {
      const m = /^([abc])(\d)(?:@(\d+))?$/.exec(w);
      if (m === null) throw new Error(`bad event ${w}`);
      return { event: { id, type: m[1] as EvType, v: Number(m[2]) }, timestamp: m[3] === undefined ? id : Number(m[3]) };
    });
}

const is = (type: EvType): CondSpec => ({ kind: "type", type });

/**
 * FlinkCEP's ITCases name events a, b, c, d, e (and "dummy"); here those names are written as
 * the event's `v` (a=0 ... e=4, dummy=4), all of type a: `named("a c b")`, conditions `name("c")`.
 */
const NAME_CODES: Record<string, number> = { a: 0, b: 1, c: 2, d: 3, e: 4, dummy: 4 };
const name = (n: string): CondSpec => ({ kind: "vEq", k: NAME_CODES[n]! });
function named(text: string): string {
  return text
    .split(/\s+/)
    .filter((w) => w.length > 0)
    .map((w) => {
      const [n, at] = w.split("@") as [string, string | undefined];
      return `a${NAME_CODES[n]!}${at !== undefined ? `@${at}` : ""}`;
    })
    .join(" ");
}
const any: CondSpec = { kind: "true" };

function stage(name: string, cond: CondSpec, more: Partial<Omit<PositiveStage, "kind" | "name" | "cond">> = {}): PositiveStage {
  return { kind: "stage", name, cond, contiguity: "followedBy" as Contiguity, quant: { kind: "single" }, inner: "relaxed" as Inner, optional: false, greedy: false, ...more };
}
const times = (from: number, to = from): QuantSpec => ({ kind: "times", from, to });
const oneOrMore: QuantSpec = { kind: "looping", min: 1, viaOneOrMore: true };

function spec(stages: StageSpec[], skip: SkipSpec = { kind: "noSkip" }, withinMs?: number): PatternSpec {
  return { stages, skip, ...(withinMs !== undefined ? { withinMs } : {}) };
}

function matches(p: PatternSpec, events: string): string[] {
  return referenceRun(p, input(events))
    .matches.map((m) => Object.entries(m).map(([k, evs]) => `${k}:${evs.map((e) => e.id).join(",")}`).join(" "))
    .sort();
}

function timeouts(p: PatternSpec, events: string): string[] {
  return referenceRun(p, input(events))
    .timeouts.map((t) => `${Object.entries(t.match).map(([k, evs]) => `${k}:${evs.map((e) => e.id).join(",")}`).join(" ")} @${t.timestamp}`)
    .sort();
}

describe("contiguity (docs, 'Combining Patterns': a, c, b1, b2 against a b)", () => {
  const events = "a0 c0 b1 b2";
  it("next: no match", () => {
    expect(matches(spec([stage("A", is("a")), stage("B", is("b"), { contiguity: "next" })]), events)).toEqual([]);
  });
  it("followedBy: {a b1}", () => {
    expect(matches(spec([stage("A", is("a")), stage("B", is("b"), { contiguity: "followedBy" })]), events)).toEqual(["A:0 B:2"]);
  });
  it("followedByAny: {a b1}, {a b2}", () => {
    expect(matches(spec([stage("A", is("a")), stage("B", is("b"), { contiguity: "followedByAny" })]), events)).toEqual(["A:0 B:2", "A:0 B:3"]);
  });
});

describe("looping contiguity (docs: C D A1 A2 A3 D A4 B against c a+ b)", () => {
  // c = type c, A = type a, D = type b with v 0, B = type b with v 1 ("end" is b && v > 0)
  const events = "c0 b0 a1 a2 a3 b0 a4 b1";
  const end = stage("end", { kind: "typeAndVGt", type: "b", k: 0 });
  const p = (inner: Inner) => spec([stage("start", is("c")), stage("middle", is("a"), { quant: oneOrMore, inner }), end]);
  it("consecutive: {C A1 B}, {C A1 A2 B}, {C A1 A2 A3 B}", () => {
    expect(matches(p("consecutive"), events)).toEqual(["start:0 middle:2 end:7", "start:0 middle:2,3 end:7", "start:0 middle:2,3,4 end:7"]);
  });
  it("relaxed (default): also {C A1 A2 A3 A4 B}", () => {
    expect(matches(p("relaxed"), events)).toEqual([
      "start:0 middle:2 end:7",
      "start:0 middle:2,3 end:7",
      "start:0 middle:2,3,4 end:7",
      "start:0 middle:2,3,4,6 end:7",
    ]);
  });
  it("allowCombinations: every subset of A2 A3 A4 after A1", () => {
    expect(matches(p("combinations"), events)).toEqual(
      [
        "start:0 middle:2 end:7",
        "start:0 middle:2,3 end:7",
        "start:0 middle:2,4 end:7",
        "start:0 middle:2,6 end:7",
        "start:0 middle:2,3,4 end:7",
        "start:0 middle:2,3,6 end:7",
        "start:0 middle:2,4,6 end:7",
        "start:0 middle:2,3,4,6 end:7",
      ].sort(),
    );
  });
});

describe("AfterMatchSkipITCase", () => {
  const a6 = "a0 a0 a0 a0 a0 a0";
  it("testNoSkip: a{3} over six a", () => {
    expect(matches(spec([stage("start", is("a"), { quant: times(3) })]), a6)).toEqual([
      "start:0,1,2",
      "start:1,2,3",
      "start:2,3,4",
      "start:3,4,5",
    ]);
  });
  it("testSkipPastLast: a{3} over six a", () => {
    expect(matches(spec([stage("start", is("a"), { quant: times(3) })], { kind: "skipPastLastEvent" }), a6)).toEqual([
      "start:0,1,2",
      "start:3,4,5",
    ]);
  });
  const fba = (skip: SkipSpec) => spec([stage("start", is("a")), stage("end", is("b"), { contiguity: "followedByAny" })], skip);
  it("testNoSkipWithFollowedByAny", () => {
    expect(matches(fba({ kind: "noSkip" }), "a0 b0 a0 b0")).toEqual(["start:0 end:1", "start:0 end:3", "start:2 end:3"]);
  });
  it("testSkipToNextWithFollowedByAny", () => {
    expect(matches(fba({ kind: "skipToNext" }), "a0 b0 a0 b0")).toEqual(["start:0 end:1", "start:2 end:3"]);
  });
  const qEnd = (skip: SkipSpec) => spec([stage("start", is("a")), stage("end", is("b"), { contiguity: "next", quant: oneOrMore })], skip);
  it("testNoSkipWithQuantifierAtTheEnd", () => {
    expect(matches(qEnd({ kind: "noSkip" }), "a0 b0 b0 b0")).toEqual(["start:0 end:1", "start:0 end:1,2", "start:0 end:1,2,3"]);
  });
  it("testSkipToNextWithQuantifierAtTheEnd", () => {
    expect(matches(qEnd({ kind: "skipToNext" }), "a0 b0 b0 b0")).toEqual(["start:0 end:1"]);
  });
  const ab = (skip: SkipSpec) => spec([stage("start", any, { quant: times(2) }), stage("end", any, { contiguity: "next", quant: times(2) })], skip);
  it("testSkipToFirst: ab x6, skipToFirst(end)", () => {
    expect(matches(ab({ kind: "skipToFirst", stage: "end" }), a6)).toEqual(["start:0,1 end:2,3", "start:2,3 end:4,5"]);
  });
  it("testSkipToLast: ab x7, skipToLast(end)", () => {
    expect(matches(ab({ kind: "skipToLast", stage: "end" }), `${a6} a0`)).toEqual(["start:0,1 end:2,3", "start:3,4 end:5,6"]);
  });
  it("testSkipPastLast3: a1 c a2 b2 against a next b", () => {
    const p = spec([stage("a", is("a")), stage("b", is("b"), { contiguity: "next" })], { kind: "skipPastLastEvent" });
    expect(matches(p, "a0 c0 a0 b0")).toEqual(["a:2 b:3"]);
  });
  // a1 b1 a2 b2 b3 a3 b4 against a next b+ consecutive
  const aNextB = (skip: SkipSpec) => spec([stage("a", is("a")), stage("b", is("b"), { contiguity: "next", quant: oneOrMore, inner: "consecutive" })], skip);
  it("testSkipToFirstWithOneOrMore", () => {
    expect(matches(aNextB({ kind: "skipToFirst", stage: "b" }), "a0 b0 a0 b0 b0 a0 b0")).toEqual(["a:0 b:1", "a:2 b:3", "a:5 b:6"]);
  });
  it("testSkipToLastWithOneOrMore", () => {
    expect(matches(aNextB({ kind: "skipToLast", stage: "b" }), "a0 b0 a0 b0 b0 a0 b0")).toEqual(["a:0 b:1", "a:2 b:3", "a:5 b:6"]);
  });
  // docs: a+ consecutive greedy next b over a1 a2 a3 b1
  const greedyA = (skip: SkipSpec) =>
    spec([stage("a", is("a"), { quant: oneOrMore, inner: "consecutive", greedy: true }), stage("b", is("b"), { contiguity: "next" })], skip);
  it("docs: noSkip / skipToFirst(a) with a+ greedy b", () => {
    const all = ["a:0,1,2 b:3", "a:1,2 b:3", "a:2 b:3"];
    expect(matches(greedyA({ kind: "noSkip" }), "a0 a0 a0 b0")).toEqual(all);
    expect(matches(greedyA({ kind: "skipToFirst", stage: "a" }), "a0 a0 a0 b0")).toEqual(all);
  });
  it("docs: skipPastLastEvent / skipToLast(a) with a+ greedy b", () => {
    expect(matches(greedyA({ kind: "skipPastLastEvent" }), "a0 a0 a0 b0")).toEqual(["a:0,1,2 b:3"]);
    expect(matches(greedyA({ kind: "skipToLast", stage: "a" }), "a0 a0 a0 b0")).toEqual(["a:0,1,2 b:3", "a:2 b:3"]);
  });
  it("docs: skip strategies over b+ c with b1 b2 b3 c (b+ consecutive, as the ITCases write it)", () => {
    const p = (skip: SkipSpec) =>
      spec([stage("b", is("b"), { quant: oneOrMore, inner: "consecutive" }), stage("c", is("c"), { contiguity: "next" })], skip);
    const ev = "b0 b0 b0 c0";
    const all = ["b:0,1,2 c:3", "b:1,2 c:3", "b:2 c:3"];
    expect(matches(p({ kind: "noSkip" }), ev)).toEqual(all);
    expect(matches(p({ kind: "skipToNext" }), ev)).toEqual(all);
    expect(matches(p({ kind: "skipPastLastEvent" }), ev)).toEqual(["b:0,1,2 c:3"]);
    expect(matches(p({ kind: "skipToFirst", stage: "b" }), ev)).toEqual(all);
    expect(matches(p({ kind: "skipToLast", stage: "b" }), ev)).toEqual(["b:0,1,2 c:3", "b:2 c:3"]);
  });
});

describe("holding matches back until earlier partial matches end", () => {
  it("b+ (relaxed) c with skipToFirst(b): the run from b1 lives on in the loop's ignore state, so {b2 b3 c} waits forever", () => {
    // NFA.processMatchesAccordingToSkipStrategy: a completed match is emitted only when no partial
    // match started earlier; after c the run b1 b2 b3 is still alive (the loop ignored c), and
    // skipToFirst(b) prunes nothing (start < b1). The docs' table lists all three matches for
    // this case; FlinkCEP's code emits only the first on a bounded input without a window.
    const p = (skip: SkipSpec, w?: number) => spec([stage("b", is("b"), { quant: oneOrMore }), stage("c", is("c"), { contiguity: "next" })], skip, w);
    expect(matches(p({ kind: "skipToFirst", stage: "b" }), "b0 b0 b0 c0")).toEqual(["b:0,1,2 c:3"]);
    expect(matches(p({ kind: "skipToFirst", stage: "b" }, 10), "b0 b0 b0 c0")).toEqual(["b:0,1,2 c:3", "b:1,2 c:3", "b:2 c:3"]);
    expect(matches(p({ kind: "skipToNext" }), "b0 b0 b0 c0")).toEqual(["b:0,1,2 c:3", "b:1,2 c:3", "b:2 c:3"]);
  });
  // a followedBy b where b must exceed the first a's v: a0 (waits forever), a2, b3.
  // {a2 b3} completes at b3 but the partial match started at a0 is still alive.
  const p = (skip: SkipSpec, withinMs?: number) =>
    spec([stage("A", is("a")), stage("B", { kind: "typeAndVGt", type: "b", k: 2 })], skip, withinMs);
  it("noSkip emits at once", () => {
    expect(matches(p({ kind: "noSkip" }), "a0 c0 a2 b3")).toEqual(["A:0 B:3", "A:2 B:3"]);
  });
  it("skipPastLastEvent: the earlier match is emitted first and prunes the later one", () => {
    expect(matches(p({ kind: "skipPastLastEvent" }), "a0 c0 a2 b3")).toEqual(["A:0 B:3"]);
  });
  it("a match stays held while an earlier partial match is alive (no window: forever)", () => {
    const q = spec([stage("A", is("a")), stage("B", { kind: "vGtFirstOf", stage: "A" }, { contiguity: "followedBy" })], { kind: "skipToNext" });
    // run from a4 waits for v > 4 forever; {a1 b2} completes at b2 but stays held
    expect(matches(q, "a4 a1 b2")).toEqual([]);
    // with a window the run from a4 times out and the held match comes out
    expect(matches({ ...q, withinMs: 5 }, "a4 a1 b2")).toEqual(["A:1 B:2"]);
  });
});

describe("optional (an optional stage that has ignored an event must take)", () => {
  // a followedBy b? next c: after a, an event that is neither b nor c is ignored by b?'s state,
  // which has no proceed edge afterwards, so {a c} needs c right after a.
  const p = spec([stage("A", is("a")), stage("B", is("b"), { optional: true }), stage("C", is("c"), { contiguity: "next" })]);
  it("{a c} only when c follows a directly", () => {
    expect(matches(p, "a0 c0")).toEqual(["A:0 C:1"]);
    expect(matches(p, "a0 a1 c0")).toEqual(["A:1 C:2"]);
    expect(matches(p, "a0 b0 c0")).toEqual(["A:0 B:1 C:2"]);
  });
});

describe("until (UntilConditionITCase style)", () => {
  // a followedBy b+ until(c) followedBy c? : the c ends the loop
  it("an until event ends the loop and is not taken by it", () => {
    const p = spec([stage("A", is("a")), stage("B", is("b"), { quant: oneOrMore, until: { kind: "vGt", k: 2 } }), stage("C", is("c"))]);
    // b3 satisfies until: B cannot take it nor skip it
    expect(matches(p, "a0 b0 b3 b0 c0")).toEqual(["A:0 B:1 C:4"]);
  });
});

describe("not-stages", () => {
  it("notNext between: the event right after a must not be c", () => {
    const p = spec([stage("A", is("a")), { kind: "notNext", name: "N", cond: is("c") }, stage("B", is("b"))]);
    expect(matches(p, "a0 c0 b0")).toEqual([]);
    expect(matches(p, "a0 a1 c0 b0")).toEqual(["A:0 B:3"]);
  });
  it("notFollowedBy between: no c between a and b (NotPatternITCase style)", () => {
    const p = spec([stage("A", is("a")), { kind: "notFollowedBy", name: "N", cond: is("c") }, stage("B", is("b"))]);
    expect(matches(p, "a0 c0 b0")).toEqual([]);
    expect(matches(p, "a0 b0 c0 b1")).toEqual(["A:0 B:1"]);
  });
  it("notNext at the end completes on the next event", () => {
    const p = spec([stage("A", is("a")), { kind: "notNext", name: "N", cond: is("c") }]);
    // a0: b0 is not c -> {a0}; a1: c0 follows -> discarded; a2: no next event -> never completes
    expect(matches(p, "a0 b0 a1 c0 a2")).toEqual(["A:0"]);
  });
  it("notFollowedBy at the end with within: emitted when the window closes", () => {
    const p = spec([stage("A", is("a")), { kind: "notFollowedBy", name: "N", cond: is("c") }], { kind: "noSkip" }, 3);
    // a@0: c@2 inside the window -> discarded; a@3: c@6 is at the window's end -> match
    expect(matches(p, "a0@0 c0@2 a1@3 c1@6")).toEqual(["A:2"]);
  });
  it("a loop before a trailing notFollowedBy reaches the Pending state only on a later event", () => {
    const p = spec([stage("A", is("a"), { quant: oneOrMore }), { kind: "notFollowedBy", name: "N", cond: is("c") }], { kind: "noSkip" }, 10);
    expect(matches(p, "a0 a1")).toEqual(["A:0"]);
    expect(timeouts(p, "a0 a1")).toEqual(["A:0,1 @10", "A:1 @11"]);
  });
});

describe("within", () => {
  it("is strict: first and last exactly `within` apart do not match", () => {
    const p = spec([stage("A", is("a")), stage("B", is("b"))], { kind: "noSkip" }, 3);
    expect(matches(p, "a0@0 b0@3")).toEqual([]);
    expect(matches(p, "a0@0 b0@2")).toEqual(["A:0 B:1"]);
    expect(timeouts(p, "a0@0 b0@3")).toEqual(["A:0 @3"]);
  });
});

describe("NotPatternITCase", () => {
  const nn = (kind: "notNext" | "notFollowedBy", cond: string): StageSpec => ({ kind, name: "notPattern", cond: name(cond) });
  it("testNotNext: a !b c* d", () => {
    const p = spec([stage("start", name("a")), nn("notNext", "b"), stage("middle", name("c"), { contiguity: "followedByAny" }), stage("end", name("d"))]);
    expect(matches(p, named("a c b c d"))).toEqual(["start:0 middle:1 end:4", "start:0 middle:3 end:4"]);
  });
  it("testNotNextNoMatches", () => {
    const p = spec([stage("start", name("a")), nn("notNext", "b"), stage("middle", name("c")), stage("end", name("d"))]);
    expect(matches(p, named("a b c c d"))).toEqual([]);
  });
  it("testNotNextNoMatchesAtTheEnd", () => {
    const p = spec([
      stage("start", name("a")),
      stage("middle", name("c"), { contiguity: "followedByAny" }),
      stage("end", name("d"), { contiguity: "followedByAny" }),
      nn("notNext", "b"),
    ]);
    expect(matches(p, named("a c c d b"))).toEqual([]);
  });
  it("testNotFollowedBy", () => {
    const p = spec([stage("start", name("a")), nn("notFollowedBy", "b"), stage("middle", name("c"), { contiguity: "followedByAny" }), stage("end", name("d"))]);
    expect(matches(p, named("a c b c d"))).toEqual(["start:0 middle:1 end:4"]);
  });
  it("testNotFollowedByBeforeOptional", () => {
    const p = spec([
      stage("start", name("a")),
      nn("notFollowedBy", "b"),
      stage("middle", name("c"), { contiguity: "followedByAny", optional: true }),
      stage("end", name("d")),
    ]);
    expect(matches(p, named("a c b c d"))).toEqual(["start:0 middle:1 end:4"]);
  });
  it("testTimesWithNotFollowedBy", () => {
    const p = spec([
      stage("start", name("a")),
      stage("middle", name("b"), { contiguity: "followedByAny", quant: times(2) }),
      nn("notFollowedBy", "c"),
      stage("end", name("d")),
    ]);
    expect(matches(p, named("a b c b d"))).toEqual([]);
  });
  it("testTimesWithNotFollowedByAfter", () => {
    const p = spec([
      stage("start", name("a")),
      stage("middle", name("b"), { contiguity: "followedByAny", quant: times(2) }),
      nn("notFollowedBy", "c"),
      stage("end", name("d")),
    ]);
    expect(matches(p, named("a d e b b c d"))).toEqual([]);
  });
  it("testNotFollowedByBeforeOptionalAtTheEnd: {a} completes at once", () => {
    const p = spec([stage("start", name("a")), nn("notFollowedBy", "b"), stage("end", name("c"), { contiguity: "followedByAny", optional: true })]);
    expect(matches(p, named("a c b c"))).toEqual(["start:0", "start:0 end:1"]);
  });
  it("testNotFollowedByBeforeOptionalTimes", () => {
    const p = spec([
      stage("start", name("a")),
      nn("notFollowedBy", "b"),
      stage("middle", name("c"), { contiguity: "followedByAny", quant: times(2), optional: true }),
      stage("end", name("d")),
    ]);
    expect(matches(p, named("a c b c d"))).toEqual(["start:0 middle:1,3 end:4"]);
  });
  it("testIgnoreStateOfTimesWithNotFollowedBy", () => {
    const p = spec([
      stage("start", name("a")),
      nn("notFollowedBy", "b"),
      stage("middle", name("c"), { contiguity: "followedByAny", quant: times(2), optional: true }),
      stage("end", name("d")),
    ]);
    expect(matches(p, named("a d e b c c d"))).toEqual(["start:0 end:1"]);
  });
  it("testNotFollowedByWithBranchingAtStart", () => {
    const p = spec([stage("start", name("a")), nn("notFollowedBy", "b"), stage("middle", name("c")), stage("end", name("d"))]);
    expect(matches(p, named("a b c a c d"))).toEqual(["start:3 middle:4 end:5"]);
  });
  // NotFollowByData: A_1 B_1 C_1 B_4 B_5 B_6 D_1 (and B_2, B_3)
  it("testNotNextAfterOneOrMore: skip till next / skip till any", () => {
    const p = (c: Contiguity) => spec([stage("a", name("a")), stage("b*", name("b"), { contiguity: c, quant: oneOrMore }), nn("notNext", "c"), stage("d", name("d"))]);
    expect(matches(p("followedBy"), named("a b c b d"))).toEqual([]);
    expect(matches(p("followedByAny"), named("a b c b d"))).toEqual(["a:0 b*:3 d:4"]);
  });
  it("testNotFollowedBy{Next,Any}AfterOneOrMore{Eager,Combinations}", () => {
    const ev = named("a b b b c b b b d");
    const p = (c: Contiguity, inner: Inner) =>
      spec([stage("a", name("a")), stage("b*", name("b"), { contiguity: c, quant: oneOrMore, inner }), nn("notFollowedBy", "c"), stage("d", name("d"))]);
    expect(matches(p("followedBy", "relaxed"), ev)).toEqual([]);
    expect(matches(p("followedBy", "combinations"), ev)).toEqual([]);
    const eager = ["a:0 b*:5,6,7 d:8", "a:0 b*:5,6 d:8", "a:0 b*:5 d:8", "a:0 b*:6,7 d:8", "a:0 b*:6 d:8", "a:0 b*:7 d:8"].sort();
    expect(matches(p("followedByAny", "relaxed"), ev)).toEqual(eager);
    expect(matches(p("followedByAny", "combinations"), ev)).toEqual([...eager, "a:0 b*:5,7 d:8"].sort());
  });
  it("testNotFollowedByBefore{OneOrMore,ZeroOrMore}: c after the first b no longer counts", () => {
    const ev = named("a b c b b b d");
    const withB = ["a:0 b*:1,3,4,5 d:6", "a:0 b*:1,3,4 d:6", "a:0 b*:1,3 d:6", "a:0 b*:1 d:6"].sort();
    const combos = [...withB, "a:0 b*:1,3,5 d:6", "a:0 b*:1,4,5 d:6", "a:0 b*:1,4 d:6", "a:0 b*:1,5 d:6"].sort();
    for (const optional of [false, true]) {
      const p = (c: Contiguity, inner: Inner) =>
        spec([stage("a", name("a")), nn("notFollowedBy", "c"), stage("b*", name("b"), { contiguity: c, quant: oneOrMore, inner, optional }), stage("d", name("d"))]);
      expect(matches(p("followedBy", "relaxed"), ev)).toEqual(withB);
      expect(matches(p("followedByAny", "relaxed"), ev)).toEqual(withB);
      expect(matches(p("followedBy", "combinations"), ev)).toEqual(combos);
      expect(matches(p("followedByAny", "combinations"), ev)).toEqual(combos);
    }
  });
  it("testNotFollowedByWithinAtEnd (FIRST_AND_LAST)", () => {
    const p = spec([stage("a", name("a")), nn("notFollowedBy", "b")], { kind: "noSkip" }, 3);
    expect(matches(p, named("a@1 b@2 a@4 c@5 b@10 a@11 b@13"))).toEqual(["a:2"]);
  });
});

describe("GreedyITCase", () => {
  const p = spec([
    stage("start", name("c")),
    stage("middle", name("a"), { quant: oneOrMore, optional: true, greedy: true }),
    stage("end", name("d")),
  ]);
  it("testGreedyZeroOrMore: c a* d", () => {
    expect(matches(p, named("c a a a d"))).toEqual(["start:0 middle:1,2,3 end:4"]);
  });
  it("testGreedyZeroOrMoreInBetween", () => {
    expect(matches(p, named("c dummy a dummy a dummy a d"))).toEqual(["start:0 middle:2,4,6 end:7"]);
  });
  it("testGreedyZeroOrMoreWithDummyEventsAfterQuantifier", () => {
    expect(matches(p, named("c a a dummy d"))).toEqual(["start:0 middle:1,2 end:4"]);
  });
  it("testGreedyZeroOrMoreWithDummyEventsBeforeQuantifier", () => {
    expect(matches(p, named("c dummy d"))).toEqual(["start:0 end:2"]);
  });
});

describe("greedy with until and before a notNext", () => {
  it("GreedyITCase.testGreedyUntilZeroOrMoreWithDummyEventsAfterQuantifier: c a* (until price > 3) d", () => {
    // names as types (c, a; d written as b), prices as v
    const p = spec([
      stage("start", is("c")),
      stage("middle", is("a"), { quant: oneOrMore, optional: true, greedy: true, until: { kind: "vGt", k: 3 } }),
      stage("end", is("b")),
    ]);
    expect(matches(p, "c0 a2 a3 a3 a4 b0")).toEqual(["start:0 middle:1,2,3 end:5"]);
  });
  it("a+ notNext(v > 2) b: greedy keeps the loop alive on an event matching both", () => {
    // NFACompiler puts the greedy condition on the notNext state's edges, its stop edge included
    const p = (greedy: boolean) =>
      spec([stage("A", is("a"), { quant: oneOrMore, greedy }), { kind: "notNext", name: "N", cond: { kind: "vGt", k: 2 } }, stage("B", is("b"))]);
    expect(matches(p(false), "a1 a3 b0")).toEqual(["A:1 B:2"]);
    expect(matches(p(true), "a1 a3 b0")).toEqual(["A:0,1 B:2", "A:1 B:2"]);
  });
});
