/**
 * Property: a pattern replaced while the dynamic CEP operator runs behaves as the definition says.
 * For random valid patterns without a skip strategy (old and new version), random events of
 * several keys arriving shuffled within a bound, bounded-out-of-orderness watermarks, and the
 * update arriving at a random point, let T be the newest event time that arrived before the
 * update. Then, per key (and as multisets):
 *
 * - the old version's matches and timed-out partial matches are those of `runPattern(old, the
 *   key's events)` whose first event is at or before T;
 * - the new version's are those of `runPattern(new, the key's events after T)`.
 *
 * Why this reference is honest: without a skip strategy a partial match evolves independently of
 * every other (no pruning by other matches), so "the old version starts nothing after T but
 * finishes what it started" is exactly "the old version's full results, restricted to partial
 * matches begun at or before T"; and a version that starts only after T sees, from its first
 * event on, only events after T (events reach the NFAs in time order). `runPattern` itself is
 * checked against the reference model in test/cep/reference and test/cep/operator/property.test.ts.
 */
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { DynamicCepOperator, runPattern, type Match, type Pattern, type PatternUpdate, type TimedEvent } from "../../../src/cep/index.js";
import { OperatorHarness } from "../../../src/runtime/index.js";
import { NONE, specArb, type Features } from "../reference/arbitraries.js";
import { buildPattern } from "../reference/build-pattern.js";
import { describeSpec, type PatternSpec } from "../reference/spec.js";
import { cleanupDirs, HEAP, LEVELDB } from "./helpers.js";
import { arrivalOf, Collected, rawEventsArb, scale, showMatch, showTimeout, withWatermarks, type KEv, type Out } from "./property-helpers.js";

afterAll(cleanupDirs);

interface Case {
  readonly old: PatternSpec;
  readonly next: PatternSpec;
  readonly arrival: ReadonlyArray<TimedEvent<KEv>>;
  readonly bound: number;
  /** The update arrives before arrival[changeAt] (arrival.length: after every event). */
  readonly changeAt: number;
  readonly contextFree: boolean;
}

const NO_SKIP: Features = { ...NONE, quantifiers: true, optional: true, greedy: true, nots: true, within: true, iterative: true };
const KEYS = ["k0", "k1", "k2"];

const caseArb: fc.Arbitrary<Case> = fc
  .record({
    old: specArb(NO_SKIP),
    next: specArb(NO_SKIP),
    raw: rawEventsArb(KEYS),
    bound: fc.integer({ min: 0, max: 4 }),
    change: fc.double({ min: 0, max: 1, noNaN: true }),
    contextFree: fc.boolean(),
  })
  .map(({ old, next, raw, bound, change, contextFree }) => {
    const arrival = arrivalOf(raw, bound);
    return { old, next, arrival, bound, changeAt: Math.floor(change * (arrival.length + 1)), contextFree };
  });

type Item = TimedEvent<KEv> | { watermark: number } | { update: true };

/** Events, a watermark after each (bounded out-of-orderness), and the update at `changeAt`. */
function feedOf(c: Case): Item[] {
  const out: Item[] = withWatermarks(c.arrival, c.bound, () => true);
  const at = c.changeAt < c.arrival.length ? out.indexOf(c.arrival[c.changeAt]) : out.length;
  out.splice(at, 0, { update: true });
  return out;
}

const patternOf = (c: Case, spec: PatternSpec) => buildPattern(spec, { contextFree: c.contextFree }) as unknown as Pattern<KEv, any>;
const tsOf = (c: Case) => new Map(c.arrival.map((e) => [e.event.id, e.timestamp]));
const firstTs = (c: Case, m: Match<KEv>) => Math.min(...Object.values(m).flatMap((es) => es.map((e) => tsOf(c).get(e.id)!)));

interface Result {
  matches: string[];
  timeouts: string[];
}

function reference(c: Case): Result {
  const switchAt = c.arrival.slice(0, c.changeAt).reduce((m, e) => Math.max(m, e.timestamp), Number.NEGATIVE_INFINITY);
  const matches: string[] = [];
  const timeouts: string[] = [];
  for (const key of KEYS) {
    const mine = c.arrival.filter((e) => e.event.key === key);
    const old = runPattern(patternOf(c, c.old), [...mine, { watermark: Infinity }], { mode: "eventTime" });
    matches.push(...old.matches.filter((m) => firstTs(c, m) <= switchAt).map((m) => showMatch(key, "old", m)));
    timeouts.push(...old.timeouts.filter((t) => firstTs(c, t.match) <= switchAt).map((t) => showTimeout(key, "old", t)));
    const after = mine.filter((e) => e.timestamp > switchAt);
    const next = runPattern(patternOf(c, c.next), [...after, { watermark: Infinity }], { mode: "eventTime" });
    matches.push(...next.matches.map((m) => showMatch(key, "new", m)));
    timeouts.push(...next.timeouts.map((t) => showTimeout(key, "new", t)));
  }
  return { matches: matches.sort(), timeouts: timeouts.sort() };
}

async function runOperator(c: Case, leveldb: boolean, restoreAt: number | null): Promise<Result> {
  const specs = { old: c.old, new: c.next };
  // what a restart wants: the set as of now (the service's current rules)
  let changed = false;
  const factory = () =>
    new DynamicCepOperator<KEv, Out, "old" | "new", string>((match, ctx) => ctx.output({ key: ctx.getCurrentKey(), patternId: ctx.patternId, match }), {
      initial: () => [changed ? { id: "new", name: "rule", document: "new" as const } : { id: "old", name: "rule", document: "old" as const }],
      factory: (d) => patternOf(c, specs[d.document]),
    });
  const backend = async () => (leveldb ? LEVELDB : HEAP).make();
  let h = await OperatorHarness.forTwoInputOperator<KEv, PatternUpdate<"old" | "new">, Out>(factory, (e) => e.key, undefined, { backend: await backend() });
  h.processWatermark2(Number.POSITIVE_INFINITY);
  const out = new Collected();
  const feed = feedOf(c);
  for (let i = 0; i < feed.length; i++) {
    if (i === restoreAt) {
      h = await out.restart(h, await backend());
      h.processWatermark2(Number.POSITIVE_INFINITY);
    }
    const x = feed[i];
    if ("update" in x) {
      changed = true;
      h.processElement2({ op: "put", id: "new", name: "rule", document: "new" });
    }
    else if ("watermark" in x) h.processWatermark1(x.watermark);
    else h.processElement1(x.event, x.timestamp);
  }
  await h.endInput();
  out.drain(h);
  await h.close();
  return { matches: out.matches, timeouts: out.timeouts };
}

const describeCase = (c: Case) =>
  `old: ${describeSpec(c.old)}\nnew: ${describeSpec(c.next)}\nchange before #${c.changeAt}, bound ${c.bound}\n` +
  c.arrival.map((e) => `${e.event.key}:${e.event.type}${e.event.v}#${e.event.id}@${e.timestamp}`).join(" ");

describe("dynamic CEP operator: a version change against its definition", () => {
  it("old version: its partial matches begun at or before the switch; new version: the events after it", async () => {
    await fc.assert(
      fc.asyncProperty(caseArb, async (c) => {
        const expected = reference(c);
        const actual = await runOperator(c, false, null);
        expect(actual, describeCase(c)).toEqual(expected);
      }),
      { numRuns: 150 * scale },
    );
  });

  it("the same across a snapshot and restore at a random point (LevelDB)", async () => {
    await fc.assert(
      fc.asyncProperty(caseArb, fc.double({ min: 0, max: 1, noNaN: true }), async (c, at) => {
        const expected = reference(c);
        const restoreAt = Math.floor(at * feedOf(c).length);
        const actual = await runOperator(c, true, restoreAt);
        expect(actual, describeCase(c)).toEqual(expected);
      }),
      { numRuns: 100 * scale },
    );
  });
});
