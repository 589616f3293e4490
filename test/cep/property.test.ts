/**
 * Property tests: the engine's matches equal the brute-force reference's (test/cep/reference/),
 * as multisets, for random valid patterns and small random inputs. One property per feature
 * family, so a failure points at a feature. Each input ends with `{ watermark: Infinity }`;
 * inputs are sorted by timestamp, so "arrival" and "eventTime" must agree.
 */
import fc from "fast-check";
import { describe, it } from "vitest";
import { arrivalWithWatermarksArb, eventTimeInputArb, inputArb, NONE, specArb, type Features } from "./reference/arbitraries.js";
import { assertEventTimeSameAsReference, assertSameAsReference, type Mode } from "./reference/check.js";

const mode: fc.Arbitrary<Mode> = fc.constantFrom("arrival", "eventTime");
/** `PROPERTY_RUNS_SCALE=20 npx vitest run test/cep/property.test.ts` for a longer hunt. */
const scale = Number(process.env.PROPERTY_RUNS_SCALE ?? "1");

function family(features: Partial<Features>, opts: { runs: number; maxEvents: number; timeouts?: boolean }): void {
  const f: Features = { ...NONE, ...features };
  fc.assert(
    fc.property(specArb(f), inputArb(opts.maxEvents), mode, (spec, input, m) => {
      assertSameAsReference(spec, input, m, { timeouts: opts.timeouts ?? false });
    }),
    { numRuns: Math.round(opts.runs * scale) },
  );
}

describe("engine = brute-force reference", () => {
  it("sequences: next / followedBy / followedByAny, plain and iterative conditions", () => {
    family({ iterative: true }, { runs: 5000, maxEvents: 12 });
  });

  it("quantifiers: times, times(from,to), oneOrMore, timesOrMore, consecutive, allowCombinations, until", () => {
    family({ quantifiers: true, iterative: true }, { runs: 5000, maxEvents: 12 });
  });

  it("optional and greedy", () => {
    family({ quantifiers: true, optional: true, greedy: true }, { runs: 5000, maxEvents: 12 });
  });

  it("not-stages: notNext, notFollowedBy (between stages and at the end), with optional and greedy neighbours", () => {
    family({ quantifiers: true, nots: true, iterative: true, optional: true, greedy: true }, { runs: 5000, maxEvents: 12 });
  });

  it("within: strict window, timed-out partial matches", () => {
    family({ quantifiers: true, optional: true, nots: true, within: true }, { runs: 5000, maxEvents: 12, timeouts: true });
  });

  it("within with watermarks between events (arrival mode): timeouts fire at the watermark", () => {
    const f: Features = { ...NONE, quantifiers: true, optional: true, nots: true, within: true, skips: true };
    fc.assert(
      fc.property(specArb(f), arrivalWithWatermarksArb(12), (spec, feed) => {
        assertSameAsReference(spec, feed, "arrival", { timeouts: true });
      }),
      { numRuns: Math.round(3000 * scale) },
    );
  });

  it("after-match skip strategies", () => {
    family({ quantifiers: true, optional: true, greedy: true, within: true, skips: true }, { runs: 5000, maxEvents: 12 });
  });

  it("eventTime mode: out-of-order arrival, watermarks in between, late events", () => {
    const f: Features = { ...NONE, quantifiers: true, optional: true, nots: true, within: true, skips: true };
    fc.assert(
      fc.property(specArb(f), eventTimeInputArb(14), (spec, items) => {
        assertEventTimeSameAsReference(spec, items, { timeouts: true });
      }),
      { numRuns: Math.round(3000 * scale) },
    );
  });

  it("everything together", () => {
    family(
      { quantifiers: true, optional: true, greedy: true, nots: true, within: true, skips: true, iterative: true },
      { runs: 5000, maxEvents: 12, timeouts: true },
    );
  });
});
