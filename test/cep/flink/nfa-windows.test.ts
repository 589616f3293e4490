/**
 * Port of FlinkCEP's NFATest (flink-cep/src/test/java/org/apache/flink/cep/nfa/NFATest.java):
 * window pruning and window borders. FlinkCEP builds the NFA by hand there (start --take-->
 * end, end ignoring everything); the same automaton is `start followedByAny end`.
 */
import { describe, it } from "vitest";
import { Pattern } from "../../../src/index.js";
import { ev, type Event, expectMatches, feed, named } from "./harness.js";

/** NFATest.createStartEndNFA(windowLength) */
const startEnd = (windowMs?: number) => {
  const p = Pattern.begin<Event>("start").where(named("start")).followedByAny("end").where(named("end"));
  return windowMs === undefined ? p : p.within(windowMs);
};

describe("NFATest", () => {
  it("NFATest.testSimpleNFA", () => {
    const s1 = ev(1, "start", 1.0);
    const s3 = ev(3, "start", 3.0);
    const end = ev(4, "end", 4.0);
    const r = feed(startEnd(), [
      [s1, 1],
      [ev(2, "bar", 2.0), 2],
      [s3, 3],
      [end, 4],
    ]);
    expectMatches(r.matches, [
      { start: [s1], end: [end] },
      { start: [s3], end: [end] },
    ]);
  });

  it("NFATest.testTimeoutWindowPruning", () => {
    const s3 = ev(3, "start", 3.0);
    const end = ev(4, "end", 4.0);
    const r = feed(startEnd(2), [
      [ev(1, "start", 1.0), 1],
      [ev(2, "bar", 2.0), 2],
      [s3, 3],
      [end, 4],
    ]);
    expectMatches(r.matches, [{ start: [s3], end: [end] }]);
  });

  it("NFATest.testWindowBorders: events exactly the window length apart do not match", () => {
    const r = feed(startEnd(2), [
      [ev(1, "start", 1.0), 1],
      [ev(2, "end", 2.0), 3],
    ]);
    expectMatches(r.matches, []);
  });

  it("NFATest.testTimeoutWindowPruningWindowBorders", () => {
    const s2 = ev(2, "start", 2.0);
    const end = ev(4, "end", 4.0);
    const r = feed(startEnd(2), [
      [ev(1, "start", 1.0), 1],
      [s2, 2],
      [ev(3, "foobar", 3.0), 3],
      [end, 3],
    ]);
    expectMatches(r.matches, [{ start: [s2], end: [end] }]);
  });

  it("NFATest.testTimeoutWindowPruning2: timesOrMore(3) within 2 over events 1 ms apart", () => {
    // FlinkCEP only checks that this runs (and serializes); no three loops fit in 2 ms
    const pattern = Pattern.begin<Event>("loop").where(named("loop")).timesOrMore(3).within(2);
    const r = feed(
      pattern,
      [1, 2, 3, 4, 5].map((i) => [ev(i, "loop", i), 100 + i] as const),
    );
    expectMatches(r.matches, []);
  });
});
