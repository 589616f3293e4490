/**
 * Port of FlinkCEP's GreedyITCase (flink-cep/src/test/java/org/apache/flink/cep/nfa/GreedyITCase.java),
 * current version: a greedy loop at the end of a pattern emits every prefix as it grows
 * (testEndWithZeroOrMoreGreedy, testEndWithGreedyTimesRange; older Flink emitted only the
 * longest), and an optional stage may not follow a greedy one (the older
 * testGreedyZeroOrMoreBeforeOptional* cases were dropped upstream with that rule, which
 * pattern-validation.test.ts pins).
 */
import { describe, it } from "vitest";
import { Pattern } from "../../../src/index.js";
import { ev, type Event, expectMatches, feed, named } from "./harness.js";

const dummy = () => ev(1, "dummy", 1111);

/** c -> a (greedy quantifier built by `q`) -> d */
function cAD(q: (p: Pattern<Event, Event>) => Pattern<Event, Event>) {
  return q(Pattern.begin<Event>("start").where(named("c")).followedBy("middle").where(named("a")))
    .followedBy("end")
    .where(named("d"));
}

describe("GreedyITCase", () => {
  const c = ev(40, "c", 1.0);
  const a1 = ev(41, "a", 2.0);
  const a2 = ev(42, "a", 2.0);
  const a3 = ev(43, "a", 2.0);
  const d = ev(44, "d", 3.0);

  const zeroOrMore = (p: Pattern<Event, Event>) => p.oneOrMore().optional().greedy();
  const oneOrMore = (p: Pattern<Event, Event>) => p.oneOrMore().greedy();

  it("GreedyITCase.testGreedyZeroOrMore", () => {
    const r = feed(cAD(zeroOrMore), [
      [c, 1],
      [a1, 2],
      [a2, 3],
      [a3, 4],
      [d, 5],
    ]);
    expectMatches(r.matches, [{ start: [c], middle: [a1, a2, a3], end: [d] }]);
  });

  it("GreedyITCase.testGreedyZeroOrMoreInBetween", () => {
    const r = feed(cAD(zeroOrMore), [
      [c, 1],
      [dummy(), 2],
      [a1, 3],
      [dummy(), 4],
      [a2, 5],
      [dummy(), 6],
      [a3, 7],
      [d, 8],
    ]);
    expectMatches(r.matches, [{ start: [c], middle: [a1, a2, a3], end: [d] }]);
  });

  it("GreedyITCase.testGreedyZeroOrMoreWithDummyEventsAfterQuantifier", () => {
    const r = feed(cAD(zeroOrMore), [
      [c, 1],
      [a1, 2],
      [a2, 3],
      [ev(43, "dummy", 2.0), 4],
      [d, 5],
    ]);
    expectMatches(r.matches, [{ start: [c], middle: [a1, a2], end: [d] }]);
  });

  it("GreedyITCase.testGreedyZeroOrMoreWithDummyEventsBeforeQuantifier", () => {
    const r = feed(cAD(zeroOrMore), [
      [c, 1],
      [ev(43, "dummy", 2.0), 2],
      [d, 5],
    ]);
    expectMatches(r.matches, [{ start: [c], end: [d] }]);
  });

  describe("with until(price > 3.0)", () => {
    const u1 = ev(41, "a", 2.0);
    const u2 = ev(42, "a", 3.0);
    const u3 = ev(43, "a", 3.0);
    const ud = ev(45, "d", 3.0);
    const stop = (e: Event) => e.price > 3.0;

    it("GreedyITCase.testGreedyUntilZeroOrMoreWithDummyEventsAfterQuantifier", () => {
      const r = feed(cAD((p) => p.oneOrMore().optional().greedy().until(stop)), [
        [c, 1],
        [u1, 2],
        [u2, 3],
        [u3, 4],
        [ev(44, "a", 4.0), 5],
        [ud, 6],
      ]);
      expectMatches(r.matches, [{ start: [c], middle: [u1, u2, u3], end: [ud] }]);
    });

    it("GreedyITCase.testGreedyUntilWithDummyEventsBeforeQuantifier", () => {
      const r = feed(cAD((p) => p.oneOrMore().optional().greedy().until(stop)), [
        [c, 1],
        [ev(44, "a", 4.0), 2],
        [u1, 3],
        [u2, 4],
        [u3, 5],
        [ud, 6],
      ]);
      expectMatches(r.matches, [{ start: [c], end: [ud] }]);
    });

    it("GreedyITCase.testGreedyUntilOneOrMoreWithDummyEventsAfterQuantifier", () => {
      const r = feed(cAD((p) => p.oneOrMore().greedy().until(stop)), [
        [c, 1],
        [u1, 2],
        [u2, 3],
        [u3, 4],
        [ev(44, "a", 4.0), 5],
        [ud, 6],
      ]);
      expectMatches(r.matches, [{ start: [c], middle: [u1, u2, u3], end: [ud] }]);
    });

    it("GreedyITCase.testGreedyUntilOneOrMoreWithDummyEventsBeforeQuantifier", () => {
      const r = feed(cAD((p) => p.oneOrMore().greedy().until(stop)), [
        [c, 1],
        [ev(44, "a", 4.0), 2],
        [u1, 3],
        [u2, 4],
        [u3, 5],
        [ud, 6],
      ]);
      expectMatches(r.matches, []);
    });
  });

  it("GreedyITCase.testGreedyOneOrMore", () => {
    const r = feed(cAD(oneOrMore), [
      [c, 1],
      [a1, 2],
      [a2, 3],
      [a3, 4],
      [d, 5],
    ]);
    expectMatches(r.matches, [{ start: [c], middle: [a1, a2, a3], end: [d] }]);
  });

  it("GreedyITCase.testGreedyOneOrMoreInBetween", () => {
    const r = feed(cAD(oneOrMore), [
      [c, 1],
      [dummy(), 2],
      [a1, 3],
      [dummy(), 4],
      [a2, 5],
      [dummy(), 6],
      [a3, 7],
      [d, 8],
    ]);
    expectMatches(r.matches, [{ start: [c], middle: [a1, a2, a3], end: [d] }]);
  });

  it("GreedyITCase.testGreedyOneOrMoreWithDummyEventsAfterQuantifier", () => {
    const r = feed(cAD(oneOrMore), [
      [c, 1],
      [a1, 2],
      [a2, 3],
      [ev(43, "dummy", 2.0), 4],
      [d, 5],
    ]);
    expectMatches(r.matches, [{ start: [c], middle: [a1, a2], end: [d] }]);
  });

  it("GreedyITCase.testGreedyOneOrMoreWithDummyEventsBeforeQuantifier", () => {
    const r = feed(cAD(oneOrMore), [
      [c, 1],
      [ev(43, "dummy", 2.0), 2],
      [d, 5],
    ]);
    expectMatches(r.matches, []);
  });

  it("GreedyITCase.testGreedyZeroOrMoreBeforeGroupPattern", () => {
    const gc = ev(40, "c", 1.0);
    const ga1 = ev(40, "a", 1.0);
    const ga2 = ev(40, "a", 1.0);
    const ga3 = ev(40, "a", 1.0);
    const d1 = ev(40, "d", 1.0);
    const e1 = ev(40, "e", 1.0);
    const d2 = ev(40, "d", 1.0);
    const e2 = ev(40, "e", 1.0);
    const gf = ev(44, "f", 3.0);
    // c a* (d e){2} f
    const pattern = Pattern.begin<Event>("start")
      .where(named("c"))
      .followedBy("middle")
      .where(named("a"))
      .oneOrMore()
      .optional()
      .greedy()
      .followedBy(Pattern.begin<Event>("middle1").where(named("d")).followedBy("middle2").where(named("e")))
      .times(2)
      .followedBy("end")
      .where(named("f"));
    const r = feed(pattern, [
      [gc, 1],
      [ga1, 2],
      [ga2, 3],
      [ev(43, "dummy", 2.0), 4],
      [ga3, 5],
      [d1, 6],
      [e1, 7],
      [d2, 8],
      [e2, 9],
      [gf, 10],
    ]);
    expectMatches(r.matches, [
      { start: [gc], middle: [ga1, ga2, ga3], middle1: [d1, d2], middle2: [e1, e2], end: [gf] },
    ]);
  });

  it("GreedyITCase.testEndWithZeroOrMoreGreedy", () => {
    // c a*  (greedy loop at the end: every prefix is emitted as it grows)
    const pattern = Pattern.begin<Event>("start")
      .where(named("c"))
      .followedBy("end")
      .where(named("a"))
      .oneOrMore()
      .optional()
      .greedy();
    const r = feed(pattern, [
      [c, 1],
      [a1, 2],
      [a2, 3],
      [ev(44, "dummy", 2.0), 4],
      [a3, 5],
    ]);
    expectMatches(r.matches, [
      { start: [c] },
      { start: [c], end: [a1] },
      { start: [c], end: [a1, a2] },
      { start: [c], end: [a1, a2, a3] },
    ]);
  });

  it("GreedyITCase.testEndWithZeroOrMoreConsecutiveGreedy", () => {
    const pattern = Pattern.begin<Event>("start")
      .where(named("c"))
      .followedBy("end")
      .where(named("a"))
      .oneOrMore()
      .optional()
      .consecutive()
      .greedy();
    const r = feed(pattern, [
      [c, 1],
      [a1, 2],
      [a2, 3],
      [ev(44, "dummy", 2.0), 4],
      [a3, 5],
    ]);
    expectMatches(r.matches, [{ start: [c] }, { start: [c], end: [a1] }, { start: [c], end: [a1, a2] }]);
  });

  it("GreedyITCase.testEndWithGreedyTimesRange", () => {
    const a4 = ev(44, "a", 2.0);
    // c a{2, 5}
    const pattern = Pattern.begin<Event>("start").where(named("c")).followedBy("end").where(named("a")).times(2, 5).greedy();
    const r = feed(pattern, [
      [c, 1],
      [a1, 2],
      [a2, 3],
      [a3, 4],
      [a4, 5],
      [ev(44, "dummy", 2.0), 6],
    ]);
    expectMatches(r.matches, [
      { start: [c], end: [a1, a2] },
      { start: [c], end: [a1, a2, a3] },
      { start: [c], end: [a1, a2, a3, a4] },
    ]);
  });

  it("GreedyITCase.testGreedyTimesRange", () => {
    const a4 = ev(44, "a", 2.0);
    const td = ev(45, "d", 2.0);
    // c a{2, 5} d
    const pattern = cAD((p) => p.times(2, 5).greedy());
    const r = feed(pattern, [
      [c, 1],
      [a1, 2],
      [a2, 3],
      [a3, 4],
      [a4, 5],
      [td, 6],
    ]);
    expectMatches(r.matches, [{ start: [c], middle: [a1, a2, a3, a4], end: [td] }]);
  });

  it("greedy times(2, 4) followed by a stage: an a beyond the maximum blocks it (NFACompiler.updateWithGreedyCondition)", () => {
    // FlinkCEP ANDs the following stage's take and ignore conditions with NOT(a) for a greedy
    // times range, so a fifth a kills the branch that took four; nothing matches.
    const pattern = Pattern.begin<Event>("x")
      .where(named("x"))
      .followedBy("start")
      .where(named("a"))
      .times(2, 4)
      .greedy()
      .followedBy("y")
      .where(named("y"));
    const records = [
      [ev(1, "x", 0), 1],
      ...[2, 3, 4, 5, 6].map((i) => [ev(i, "a", 0), i] as const),
      [ev(7, "y", 0), 7],
    ] as const;
    expectMatches(feed(pattern, records).matches, []);
  });
});
