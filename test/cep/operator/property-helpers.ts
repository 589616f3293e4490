/** What the CEP operators' property tests (static and dynamic) share: events, their arrival, outputs. */
import fc from "fast-check";
import { CEP, type CepTimedOut, type Match, type TimedEvent } from "../../../src/cep/index.js";
import type { OperatorHarness } from "../../../src/runtime/index.js";
import type { StateBackendFactory } from "../../../src/state/index.js";
import { matchKey } from "../reference/reference.js";
import type { Ev, EvType } from "../reference/spec.js";

/** `PROPERTY_RUNS_SCALE=20 npx vitest run test/cep/operator/property.test.ts` for a longer hunt. */
export const scale = Number(process.env.PROPERTY_RUNS_SCALE ?? "1");

/** An event of the reference generators, with a key. */
export interface KEv extends Ev {
  readonly key: string;
}

/** What the operator under test emits for a match. */
export interface Out {
  readonly key: string;
  readonly patternId: string;
  readonly match: Match<KEv>;
}

/** Raw events for `arrivalOf`: 1 to 30 of `keys`, at times 0..24, each delayed by 0..4. */
export const rawEventsArb = (keys: readonly string[]) =>
  fc.array(
    fc.record({
      key: fc.constantFrom(...keys),
      type: fc.constantFrom<EvType>("a", "b", "c"),
      v: fc.integer({ min: 0, max: 4 }),
      ts: fc.integer({ min: 0, max: 24 }),
      delay: fc.integer({ min: 0, max: 4 }),
    }),
    { minLength: 1, maxLength: 30 },
  );

/** Events in arrival order: event i happens at ts and arrives at ts + delay (delay <= bound), so it is never late for the bound. */
export function arrivalOf(
  raw: ReadonlyArray<{ key: string; type: EvType; v: number; ts: number; delay: number }>,
  bound: number,
): Array<TimedEvent<KEv>> {
  return raw
    .map((r, id) => ({ event: { id, key: r.key, type: r.type, v: r.v }, timestamp: r.ts, at: r.ts + Math.min(r.delay, bound) }))
    .sort((a, b) => a.at - b.at || a.event.id - b.event.id)
    .map(({ event, timestamp }) => ({ event, timestamp }));
}

/**
 * The arrival with, after each event i where `tick(i)`, the bounded-out-of-orderness watermark
 * (`max - bound - 1`, when that moves it).
 */
export function withWatermarks(
  arrival: ReadonlyArray<TimedEvent<KEv>>,
  bound: number,
  tick: (i: number) => boolean,
): Array<TimedEvent<KEv> | { watermark: number }> {
  const out: Array<TimedEvent<KEv> | { watermark: number }> = [];
  let max = Number.NEGATIVE_INFINITY;
  let last = Number.NEGATIVE_INFINITY;
  arrival.forEach((e, i) => {
    out.push(e);
    max = Math.max(max, e.timestamp);
    if (tick(i) && max - bound - 1 > last) out.push({ watermark: (last = max - bound - 1) });
  });
  return out;
}

export const showMatch = (key: string, id: string, m: Match<KEv>) => `${key} ${id}| ${matchKey(m)}`;
export const showTimeout = (key: string, id: string, t: { match: Match<KEv>; timestamp: number }) =>
  `${key} ${id}| ${matchKey(t.match)} @${t.timestamp}`;

/** The outputs of a harness, kept across a restore (which makes a new harness). */
export class Collected {
  readonly outs: Out[] = [];
  readonly timedOut: Array<CepTimedOut<KEv, string>> = [];
  late = 0;

  /** Moves the harness's outputs here. */
  drain(h: OperatorHarness<KEv, Out, any>): void {
    this.outs.push(...h.extractOutputValues());
    this.timedOut.push(...h.getSideOutput(CEP.timedOutTag).map((r) => r.value as CepTimedOut<KEv, string>));
    this.late += h.getSideOutput(CEP.lateTag).length;
    h.clearOutput();
  }

  /** Drains `h`, snapshots and closes it, and restores the snapshot into `backend`. */
  async restart<I2>(h: OperatorHarness<KEv, Out, I2>, backend: StateBackendFactory): Promise<OperatorHarness<KEv, Out, I2>> {
    this.drain(h);
    const snapshot = await h.snapshot();
    await h.close();
    return h.restore(snapshot, { backend });
  }

  get matches(): string[] {
    return this.outs.map((o) => showMatch(o.key, o.patternId, o.match)).sort();
  }

  get timeouts(): string[] {
    return this.timedOut.map((t) => showTimeout(t.key, t.patternId, t)).sort();
  }
}
