/**
 * Property: the keyed CEP operator is `runPattern` per key. For random valid patterns (the
 * generators of test/cep/reference/, every feature) and random events of several keys that
 * arrive shuffled within a bound, with bounded-out-of-orderness watermarks of that bound (so
 * nothing is late):
 *
 * - per key and pattern, the operator's matches and timed-out partial matches equal (as
 *   multisets) `runPattern(pattern, that key's events and the watermarks, { mode: "eventTime" })`,
 *   which feeds the events sorted by time (ties in arrival order) between the watermarks;
 * - without a skip strategy they also equal runPattern on the key's sorted events alone: then
 *   where the watermarks fall does not matter. (With a skip strategy and a window it does: a
 *   branch whose window closes is pruned by a match or reported as timed out depending on when
 *   time advances, which is why the operator advances each key's NFA at every watermark that
 *   passes one of its deadlines, exactly as runPattern does.)
 * - the same through a job at parallelism 1, 2 and 4, and in batch mode (where there are no
 *   watermarks before the end, so the sorted reference applies to every pattern);
 * - in the harness, also after a snapshot and restore at a random point.
 */
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { CEP, CepOperator, runPattern, type CepTimedOut, type Pattern, type TimedEvent, type Watermark } from "../../../src/cep/index.js";
import { CollectSink, OperatorHarness, StreamExecutionEnvironment, WatermarkStrategy } from "../../../src/runtime/index.js";
import { NONE, specArb, type Features } from "../reference/arbitraries.js";
import { buildPattern } from "../reference/build-pattern.js";
import type { PatternSpec } from "../reference/spec.js";
import { describeSpec } from "../reference/spec.js";
import { BatchedSource, cleanupDirs, HEAP, LEVELDB } from "./helpers.js";
import { arrivalOf, Collected, rawEventsArb, scale, showMatch, showTimeout, withWatermarks, type KEv, type Out } from "./property-helpers.js";

type Item = TimedEvent<KEv> | Watermark;
interface Case {
  readonly specs: readonly PatternSpec[];
  /** Events in arrival order (shuffled within `bound`), with their timestamps. */
  readonly arrival: ReadonlyArray<TimedEvent<KEv>>;
  readonly bound: number;
  /** Records per source poll: a watermark follows every poll but the last. */
  readonly batch: number;
  /** Build plain conditions as one-parameter functions (so the operator may skip inert events). */
  readonly contextFree: boolean;
}
interface Result {
  readonly matches: string[];
  readonly timeouts: string[];
  readonly late: number;
}

const ALL: Features = { ...NONE, quantifiers: true, optional: true, greedy: true, nots: true, within: true, skips: true, iterative: true };
const KEYS = ["k0", "k1", "k2", "k3"];

/**
 * Relaxed contiguity between stages: with context-free conditions many such patterns can skip
 * inert events, half of those with a skip strategy and a window (where the operator must not).
 */
function relaxed(s: PatternSpec): PatternSpec {
  const stages = s.stages.map((st) => (st.kind === "stage" && st.contiguity === "next" ? { ...st, contiguity: "followedBy" as const } : st));
  return { ...s, stages };
}
const inertArb = specArb({ ...NONE, within: true, skips: true, quantifiers: true, nots: true }).map(relaxed);

const caseArb = (spec: fc.Arbitrary<PatternSpec>, contextFree: fc.Arbitrary<boolean>, keys = KEYS.length): fc.Arbitrary<Case> => fc
  .record({
    specs: fc.array(spec, { minLength: 1, maxLength: 2 }),
    raw: rawEventsArb(KEYS.slice(0, keys)),
    bound: fc.integer({ min: 0, max: 4 }),
    batch: fc.integer({ min: 1, max: 3 }),
    contextFree,
  })
  .map(({ specs, raw, bound, batch, contextFree }) => ({ specs, arrival: arrivalOf(raw, bound), bound, batch, contextFree }));

/** What the operator sees: the events, and after every batch but the last the bounded-out-of-orderness watermark. */
function feedOf(c: Case): Item[] {
  return withWatermarks(c.arrival, c.bound, (i) => (i + 1) % c.batch === 0 && i + 1 < c.arrival.length);
}

const patternsOf = (c: Case) =>
  c.specs.map((s, i) => ({ id: `p${i}`, pattern: buildPattern(s, { contextFree: c.contextFree }) as unknown as Pattern<KEv, any> }));

/** runPattern per key and pattern: on the feed with its watermarks, or (`sorted`) on each key's events alone. */
function reference(c: Case, sorted: boolean): Result {
  const feed = feedOf(c);
  const matches: string[] = [];
  const timeouts: string[] = [];
  let late = 0;
  for (const key of KEYS) {
    const mine = sorted
      ? c.arrival.filter((e) => e.event.key === key)
      : feed.filter((x) => "watermark" in x || x.event.key === key);
    if (!mine.some((x) => "event" in x)) continue;
    for (const { id, pattern } of patternsOf(c)) {
      const r = runPattern(pattern, [...mine, { watermark: Infinity }], { mode: "eventTime" });
      matches.push(...r.matches.map((m) => showMatch(key, id, m)));
      timeouts.push(...r.timeouts.map((t) => showTimeout(key, id, t)));
      late += r.late.length;
    }
  }
  return { matches: matches.sort(), timeouts: timeouts.sort(), late };
}

function resultOf(outs: readonly Out[], timedOut: ReadonlyArray<CepTimedOut<KEv, string>>, late: number): Result {
  return {
    matches: outs.map((o) => showMatch(o.key, o.patternId, o.match)).sort(),
    timeouts: timedOut.map((t) => showTimeout(t.key, t.patternId, t)).sort(),
    late,
  };
}

/** The operator in the harness; with `restoreAt`, snapshotted and restored (into `backend`) before that feed position. */
async function runHarness(c: Case, restoreAt: number | null, leveldb = false): Promise<Result> {
  const factory = () =>
    new CepOperator<KEv, Out, string>(patternsOf(c), (match, ctx) => ctx.output({ key: ctx.getCurrentKey(), patternId: ctx.patternId, match }));
  let h = await OperatorHarness.forOperator<KEv, Out>(factory, (e) => e.key, { backend: await (leveldb ? LEVELDB : HEAP).make() });
  const out = new Collected();
  const feed = feedOf(c);
  for (let i = 0; i <= feed.length; i++) {
    if (i === restoreAt) h = await out.restart(h, await (leveldb ? LEVELDB : HEAP).make());
    if (i === feed.length) break;
    const x = feed[i];
    if ("watermark" in x) h.processWatermark(x.watermark);
    else h.processElement(x.event, x.timestamp);
  }
  await h.endInput();
  out.drain(h);
  // at the end nothing is buffered and no timer is left (a pattern without a window may keep partial matches)
  expect(h.keyedState!.getKeys("cep-buffer")).toEqual([]);
  expect(h.numEventTimeTimers()).toBe(0);
  await h.close();
  return { matches: out.matches, timeouts: out.timeouts, late: out.late };
}

/** The job: one source (a watermark after every poll), keyBy, CEP.patterns at `parallelism`, sinks. */
async function runJob(c: Case, parallelism: number, batch: boolean): Promise<Result> {
  const env = new StreamExecutionEnvironment().setParallelism(parallelism);
  if (batch) env.setRuntimeMode("batch");
  const source = env
    .fromSource(
      new BatchedSource(c.arrival.map((e) => ({ value: e.event, timestamp: e.timestamp })), c.batch),
      WatermarkStrategy.forBoundedOutOfOrderness<KEv>(c.bound),
      "events",
    )
    .setParallelism(1);
  const matches = new CollectSink<Out>();
  const timeouts = new CollectSink<CepTimedOut<KEv, string>>();
  const late = new CollectSink<KEv>();
  const alerts = CEP.patterns(source.keyBy((e) => e.key), patternsOf(c)).process<Out>((match, ctx) =>
    ctx.output({ key: ctx.getCurrentKey(), patternId: ctx.patternId, match }),
  );
  alerts.sinkTo(matches);
  alerts.getSideOutput(CEP.timedOutTag).sinkTo(timeouts);
  alerts.getSideOutput(CEP.lateTag).sinkTo(late);
  await env.execute("cep-property");
  return resultOf(matches.values, timeouts.values, late.values.length);
}

function explain(c: Case, what: string): string {
  const feed = feedOf(c)
    .map((x) => ("watermark" in x ? `W${x.watermark}` : `#${x.event.id}:${x.event.key}:${x.event.type}${x.event.v}@${x.timestamp}`))
    .join(" ");
  return [what, `context-free conditions: ${c.contextFree}`, ...c.specs.map((s, i) => `p${i}: ${describeSpec(s)}`), `feed: ${feed}`, `specs: ${JSON.stringify(c.specs)}`].join("\n");
}

afterAll(cleanupDirs);

describe("CEP operator = runPattern per key (property)", () => {
  it("in the harness, on shuffled input with bounded-out-of-orderness watermarks", async () => {
    await fc.assert(
      fc.asyncProperty(caseArb(specArb(ALL), fc.boolean()), async (c) => {
        const expected = reference(c, false);
        expect(expected.late).toBe(0);
        expect(await runHarness(c, null), explain(c, "harness")).toEqual(expected);
        if (c.specs.every((s) => s.skip.kind === "noSkip")) expect(expected, explain(c, "sorted reference")).toEqual(reference(c, true));
      }),
      { numRuns: Math.round(1500 * scale) },
    );
  });

  it("relaxed patterns with context-free conditions: inert events skipped only where that is exact", async () => {
    await fc.assert(
      fc.asyncProperty(caseArb(inertArb, fc.constant(true)), async (c) => {
        expect(await runHarness(c, null), explain(c, "harness")).toEqual(reference(c, false));
      }),
      { numRuns: Math.round(1000 * scale) },
    );
  });

  it("one key, skip strategies and windows: timers fire at exactly the watermarks where runPattern's time moves", async () => {
    const f: Features = { ...NONE, quantifiers: true, optional: true, within: true, skips: true };
    await fc.assert(
      fc.asyncProperty(caseArb(specArb(f), fc.constant(false), 1), async (c) => {
        expect(await runHarness(c, null), explain(c, "harness")).toEqual(reference(c, false));
      }),
      { numRuns: Math.round(1500 * scale) },
    );
  });

  it("across a snapshot and restore at any point (heap; LevelDB with a two-entry cache)", async () => {
    await fc.assert(
      fc.asyncProperty(caseArb(specArb(ALL), fc.boolean()), fc.nat(), fc.integer({ min: 0, max: 9 }), async (c, at, which) => {
        const restoreAt = at % (feedOf(c).length + 1);
        const leveldb = which === 0;
        expect(await runHarness(c, restoreAt, leveldb), explain(c, `restored at ${restoreAt} (${leveldb ? "leveldb" : "heap"})`)).toEqual(
          reference(c, false),
        );
      }),
      { numRuns: Math.round(300 * scale) },
    );
  });

  it("through a job at parallelism 1, 2 and 4, and in batch mode", async () => {
    await fc.assert(
      fc.asyncProperty(caseArb(specArb(ALL), fc.boolean()), async (c) => {
        const expected = reference(c, false);
        for (const p of [1, 2, 4]) expect(await runJob(c, p, false), explain(c, `parallelism ${p}`)).toEqual(expected);
        expect(await runJob(c, 2, true), explain(c, "batch")).toEqual(reference(c, true));
      }),
      { numRuns: Math.round(150 * scale) },
    );
  });
});
