/**
 * What cep-api.md ("Precise semantics", "runPattern") states beyond FlinkCEP's own tests:
 * within strictness and timeout timestamps, notFollowedBy at the end, skips naming a stage the
 * match lacks, repeated event objects, match shape, and runPattern's arrival / eventTime modes.
 */
import { describe, expect, it } from "vitest";
import { AfterMatchSkipStrategy, Pattern, WithinType } from "../../../src/index.js";
import { ev, type Event, expectMatches, expectTimeouts, feed, feedEvents, named } from "./harness.js";

const ab = () => Pattern.begin<Event>("a").where(named("a")).followedBy("b").where(named("b"));

describe("within", () => {
  it("is strict: first and last event exactly `ms` apart do not match", () => {
    const a = ev(1, "a", 0);
    const b9 = ev(2, "b", 9);
    const b10 = ev(3, "b", 10);
    expectMatches(
      feed(ab().within(10), [
        [a, 0],
        [b9, 9],
      ]).matches,
      [{ a: [a], b: [b9] }],
    );
    const r = feed(ab().within(10), [
      [a, 0],
      [b10, 10],
    ]);
    expectMatches(r.matches, []);
    expectTimeouts(r.timeouts, [{ match: { a: [a] }, timestamp: 10 }]);
  });

  it("several plain within() calls keep the smallest, on one stage or on several", () => {
    const a = ev(1, "a", 0);
    const b = ev(2, "b", 0);
    const onOneStage = ab().within(30).within(10).within(20);
    const onSeveral = Pattern.begin<Event>("a").where(named("a")).within(10).followedBy("b").where(named("b")).within(30);
    for (const p of [onOneStage, onSeveral]) {
      expectMatches(
        feed(p, [
          [a, 0],
          [b, 9],
        ]).matches,
        [{ a: [a], b: [b] }],
      );
      const r = feed(p, [
        [a, 0],
        [b, 12],
      ]);
      expectMatches(r.matches, []);
      expectTimeouts(r.timeouts, [{ match: { a: [a] }, timestamp: 10 }]);
    }
  });

  it("a timed-out partial match reports first event + window, not the time that revealed it", () => {
    const a = ev(1, "a", 0);
    const viaWatermark = feed(ab().within(10), [[a, 1], { watermark: 100 }]);
    expectTimeouts(viaWatermark.timeouts, [{ match: { a: [a] }, timestamp: 11 }]);
    const viaEvent = feed(ab().within(10), [
      [a, 1],
      [ev(2, "x", 0), 50],
    ]);
    expectTimeouts(viaEvent.timeouts, [{ match: { a: [a] }, timestamp: 11 }]);
  });

  it("PREVIOUS_AND_CURRENT: the timeout is the previous stage's last event + that window", () => {
    const a = ev(1, "a", 0);
    const b1 = ev(2, "b", 1);
    const b2 = ev(3, "b", 2);
    // a, then b+ (relaxed), then c within 10 of the last b
    const pattern = Pattern.begin<Event>("a")
      .where(named("a"))
      .followedBy("b")
      .where(named("b"))
      .oneOrMore()
      .followedBy("c")
      .where(named("c"))
      .within(10, WithinType.PREVIOUS_AND_CURRENT);
    // x moves the loop's branch {a b1 b2} on to wait for c (a branch still inside the b loop
    // has no c window yet, as in FlinkCEP, where the window belongs to the state "c")
    const r = feed(pattern, [[a, 1], [b1, 5], [b2, 7], [ev(4, "x", 0), 8], { watermark: 100 }]);
    expectMatches(r.matches, []);
    expectTimeouts(r.timeouts, [
      { match: { a: [a], b: [b1] }, timestamp: 15 },
      { match: { a: [a], b: [b1, b2] }, timestamp: 17 },
    ]);
  });

  it("PREVIOUS_AND_CURRENT bounds only the gap into its own stage", () => {
    const a = ev(1, "a", 0);
    const b = ev(2, "b", 0);
    const c = ev(3, "c", 0);
    const pattern = Pattern.begin<Event>("a")
      .where(named("a"))
      .followedBy("b")
      .where(named("b"))
      .followedBy("c")
      .where(named("c"))
      .within(10, WithinType.PREVIOUS_AND_CURRENT);
    // a -> b takes 100 ms (unbounded), b -> c 9 ms (bounded by 10)
    expectMatches(
      feed(pattern, [
        [a, 0],
        [b, 100],
        [c, 109],
      ]).matches,
      [{ a: [a], b: [b], c: [c] }],
    );
    expectMatches(
      feed(pattern, [
        [a, 0],
        [b, 100],
        [c, 110],
      ]).matches,
      [],
    );
  });

  it("a partial match waiting at a stage without a window never times out, even at the final watermark", () => {
    // FlinkCEP: a PREVIOUS_AND_CURRENT window belongs to its stage; a partial match waiting for
    // another stage has no window to expire (CEPITCase.testTimeoutHandlingWithinPreviousAndCurrent)
    const a = ev(1, "a", 0);
    const pattern = ab()
      .followedBy("c")
      .where(named("c"))
      .within(3, WithinType.PREVIOUS_AND_CURRENT);
    for (const mode of ["arrival", "eventTime"] as const) {
      const r = feed(pattern, [[a, 1], { watermark: Infinity }], mode);
      expect(r.timeouts).toEqual([]);
    }
    expect(feed(ab(), [[a, 1], { watermark: Infinity }]).timeouts).toEqual([]);
  });

  it("a watermark in arrival mode advances time and fires timeouts; time never moves backwards", () => {
    const a = ev(1, "a", 0);
    const b = ev(2, "b", 0);
    // the late watermark 5 does not undo 20; b at 15 (timestamp going backwards) finds a expired
    const r = feed(ab().within(10), [[a, 1], { watermark: 20 }, { watermark: 5 }, [b, 15]]);
    expectMatches(r.matches, []);
    expectTimeouts(r.timeouts, [{ match: { a: [a] }, timestamp: 11 }]);
    expect(r.late).toEqual([]);
  });
});

describe("notFollowedBy at the end of a pattern", () => {
  const pattern = () => Pattern.begin<Event>("a").where(named("a")).notFollowedBy("b").where(named("b")).within(5);

  it("is emitted when the window closes with no such event", () => {
    const a = ev(1, "a", 0);
    expectMatches(feed(pattern(), [[a, 1], { watermark: 5 }]).matches, []);
    expectMatches(feed(pattern(), [[a, 1], { watermark: 6 }]).matches, [{ a: [a] }]);
    expectMatches(feed(pattern(), [[a, 1], { watermark: Infinity }]).matches, [{ a: [a] }]);
  });

  it("is not emitted when a matching event comes inside the window", () => {
    expectMatches(feed(pattern(), [[ev(1, "a", 0), 1], [ev(2, "b", 0), 5], { watermark: Infinity }]).matches, []);
  });

  it("a matching event at or after the window's end comes too late to prevent it", () => {
    const a = ev(1, "a", 0);
    expectMatches(feed(pattern(), [[a, 1], [ev(2, "b", 0), 6], { watermark: Infinity }]).matches, [{ a: [a] }]);
  });

  it("is not reported as a timeout", () => {
    const r = feed(pattern(), [[ev(1, "a", 0), 1], { watermark: Infinity }]);
    expect(r.timeouts).toEqual([]);
  });
});

describe("after-match skip naming a stage that is not in the match", () => {
  // a+ (consecutive) b? c: over a1 a2 c, {a1 a2 c} and {a2 c} complete together
  const a1 = ev(1, "a", 1);
  const a2 = ev(2, "a", 2);
  const c = ev(3, "c", 0);
  const run = (skip: AfterMatchSkipStrategy) =>
    feedEvents(
      Pattern.begin<Event>("a", skip)
        .where(named("a"))
        .oneOrMore()
        .consecutive()
        .next("b")
        .where(named("b"))
        .optional()
        .next("c")
        .where(named("c")),
      [a1, a2, c],
    ).matches;

  it("falls back to no skip (skipToFirst / skipToLast)", () => {
    for (const skip of [AfterMatchSkipStrategy.skipToFirst("b"), AfterMatchSkipStrategy.skipToLast("b")]) {
      expectMatches(run(skip), [
        { a: [a1, a2], c: [c] },
        { a: [a2], c: [c] },
      ]);
    }
  });

  it("while a stage that is in the match does skip", () => {
    expectMatches(run(AfterMatchSkipStrategy.skipToLast("c")), [{ a: [a1, a2], c: [c] }]);
  });
});

describe("after-match skip and timeouts", () => {
  it("partial matches discarded by a skip strategy never time out", () => {
    const a1 = ev(1, "a", 1);
    const a2 = ev(2, "a", 2);
    const b = ev(3, "b", 0);
    const pattern = (skip: AfterMatchSkipStrategy) =>
      Pattern.begin<Event>("a", skip).where(named("a")).followedByAny("b").where(named("b")).within(10);
    const records = [[a1, 1], [a2, 2], [b, 3], { watermark: 100 }] as const;

    const noSkip = feed(pattern(AfterMatchSkipStrategy.noSkip()), records);
    expectMatches(noSkip.matches, [
      { a: [a1], b: [b] },
      { a: [a2], b: [b] },
    ]);
    expectTimeouts(noSkip.timeouts, [
      { match: { a: [a1] }, timestamp: 11 },
      { match: { a: [a2] }, timestamp: 12 },
    ]);

    const skipPast = feed(pattern(AfterMatchSkipStrategy.skipPastLastEvent()), records);
    expectMatches(skipPast.matches, [{ a: [a1], b: [b] }]);
    expect(skipPast.timeouts).toEqual([]);
  });
});

describe("events and matches", () => {
  it("the same event object fed twice counts as two events", () => {
    const x = ev(1, "a", 0);
    expectMatches(
      feed(Pattern.begin<Event>("first").followedBy("second"), [
        [x, 1],
        [x, 2],
      ]).matches,
      [{ first: [x], second: [x] }],
    );
    expectMatches(
      feed(Pattern.begin<Event>("two").where(named("a")).times(2), [
        [x, 1],
        [x, 1],
      ]).matches,
      [{ two: [x, x] }],
    );
  });

  it("a match holds the events fed in, keyed in pattern order", () => {
    const a = ev(1, "a", 0);
    const b = ev(2, "b", 0);
    const c = ev(3, "c", 0);
    const pattern = Pattern.begin<Event>("zeta")
      .where(named("a"))
      .followedBy("alpha")
      .where(named("b"))
      .followedBy("mu")
      .where(named("c"));
    const r = feed(pattern, [
      [a, 1],
      [b, 2],
      [c, 3],
    ]);
    expect(r.matches).toHaveLength(1);
    expect(Object.keys(r.matches[0]!)).toEqual(["zeta", "alpha", "mu"]);
    expect(r.matches[0]!.zeta![0]).toBe(a);
  });

  it("a stage that took no event is absent from the match", () => {
    const a = ev(1, "a", 0);
    const c = ev(3, "c", 0);
    const pattern = Pattern.begin<Event>("a")
      .where(named("a"))
      .followedBy("b")
      .where(named("b"))
      .optional()
      .followedBy("c")
      .where(named("c"));
    const r = feed(pattern, [
      [a, 1],
      [c, 2],
    ]);
    expect(r.matches).toHaveLength(1);
    expect(Object.keys(r.matches[0]!)).toEqual(["a", "c"]);
  });

  it("ctx.eventsFor(stage) gives the events already accepted by this partial match, in order", () => {
    const seen: string[] = [];
    const pattern = Pattern.begin<Event>("a")
      .where(named("a"))
      .oneOrMore()
      .consecutive()
      .next("b")
      .where((e, ctx) => {
        seen.push(ctx.eventsFor("a").map((x) => x.id).join(","));
        return e.name === "b";
      });
    feed(pattern, [
      [ev(1, "a", 0), 1],
      [ev(2, "a", 0), 2],
      [ev(3, "b", 0), 3],
    ]);
    expect(seen).toContain("1,2");
    expect(seen).toContain("2");
  });
});

describe("runPattern modes", () => {
  it("arrival: events are fed in the order given; none is late, even when timestamps go backwards", () => {
    const a = ev(1, "a", 0);
    const b = ev(2, "b", 0);
    const pattern = Pattern.begin<Event>("a").where(named("a")).next("b").where(named("b"));
    const r = feed(pattern, [
      [a, 10],
      [b, 5],
    ]);
    expectMatches(r.matches, [{ a: [a], b: [b] }]);
    expect(r.late).toEqual([]);
    // in the given order b, a: no match, though timestamps would sort them a, b
    expectMatches(
      feed(pattern, [
        [b, 20],
        [a, 10],
        { watermark: Infinity },
      ]).matches,
      [],
    );
  });

  it("eventTime: events wait for the watermark and are released in timestamp order", () => {
    const a = ev(1, "a", 0);
    const b = ev(2, "b", 0);
    const pattern = Pattern.begin<Event>("a").where(named("a")).next("b").where(named("b"));
    // no watermark yet: nothing is processed
    expectMatches(feed(pattern, [[b, 20], [a, 10]], "eventTime").matches, []);
    // a watermark below b's timestamp releases only a
    expectMatches(feed(pattern, [[b, 20], [a, 10], { watermark: 15 }], "eventTime").matches, []);
    // events at the watermark are released
    expectMatches(feed(pattern, [[b, 20], [a, 10], { watermark: 20 }], "eventTime").matches, [{ a: [a], b: [b] }]);
  });

  it("eventTime: events with equal timestamps keep their arrival order", () => {
    const a = ev(1, "a", 0);
    const b = ev(2, "b", 0);
    const pattern = Pattern.begin<Event>("a").where(named("a")).next("b").where(named("b"));
    expectMatches(feed(pattern, [[a, 10], [b, 10], { watermark: 10 }], "eventTime").matches, [{ a: [a], b: [b] }]);
    expectMatches(feed(pattern, [[b, 10], [a, 10], { watermark: 10 }], "eventTime").matches, []);
  });

  it("eventTime: events at or behind the current watermark are late and not processed", () => {
    const a = ev(1, "a", 0);
    const atWatermark = ev(2, "b", 0);
    const behind = ev(3, "b", 0);
    const onTime = ev(4, "b", 0);
    const r = feed(
      ab(),
      [[a, 5], { watermark: 10 }, [atWatermark, 10], [behind, 7], [onTime, 11], { watermark: Infinity }],
      "eventTime",
    );
    expectMatches(r.matches, [{ a: [a], b: [onTime] }]);
    expect(r.late).toEqual([
      { event: atWatermark, timestamp: 10 },
      { event: behind, timestamp: 7 },
    ]);
  });

  it("eventTime: a final { watermark: Infinity } flushes buffered events, timeouts and pending notFollowedBy matches", () => {
    const a = ev(1, "a", 0);
    const b = ev(2, "b", 0);
    const buffered = feed(ab(), [[a, 1], [b, 2], { watermark: Infinity }], "eventTime");
    expectMatches(buffered.matches, [{ a: [a], b: [b] }]);

    const timedOut = feed(ab().within(10), [[a, 1], { watermark: Infinity }], "eventTime");
    expectTimeouts(timedOut.timeouts, [{ match: { a: [a] }, timestamp: 11 }]);

    const pending = feed(
      Pattern.begin<Event>("a").where(named("a")).notFollowedBy("b").where(named("b")).within(5),
      [[a, 1], { watermark: Infinity }],
      "eventTime",
    );
    expectMatches(pending.matches, [{ a: [a] }]);
  });

  it("timeouts are always collected", () => {
    const a = ev(1, "a", 0);
    for (const mode of ["arrival", "eventTime"] as const) {
      const r = feed(ab().within(10), [[a, 1], { watermark: 50 }], mode);
      expectTimeouts(r.timeouts, [{ match: { a: [a] }, timestamp: 11 }]);
    }
  });
});
