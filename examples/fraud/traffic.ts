/**
 * One run of the generator: clean traffic for the window plus every scenario and near miss at
 * known times, merged in event-time order, and the alerts the scenarios must raise.
 */
import { cleanTraffic } from "./clean-traffic.js";
import type { ExpectedAlert, FraudEvent } from "./events.js";
import { NEAR_MISSES } from "./near-misses.js";
import { Population, type Account } from "./population.js";
import { Rng } from "./random.js";
import { FRAUD_SCENARIOS, SCENARIO_SPAN_MS, type Scenario } from "./scenarios.js";
import { HOME_CITIES } from "./world.js";

/** The options of one run; the generator's command-line options map onto them one to one. */
export interface TrafficOptions {
  readonly seed: number;
  /** Length of the window in minutes: at least 6 (a scenario spans up to 5), at most 7 days. */
  readonly minutes: number;
  /** Mean events per second over a whole day; the diurnal curve makes the actual rate vary around it. */
  readonly rate: number;
  /** Start of the window (epoch ms); default 2025-11-21T11:00:00Z, around noon in Europe. */
  readonly startMs?: number;
  /** Number of customer accounts; default enough for about 8 sessions per account per day. */
  readonly accounts?: number;
}

/** A generated file: the events with their ids, in event-time order, and the expected alerts. */
export interface Traffic {
  readonly events: ReadonlyArray<FraudEvent & { readonly eventId: string }>;
  readonly expected: readonly ExpectedAlert[];
  /** How many of the events the scenarios and near misses planted. */
  readonly planted: number;
}

/** 2025-11-21T11:00:00Z: around noon in Europe, where the rate is above its daily mean. */
export const DEFAULT_START_MS = Date.UTC(2025, 10, 21, 11, 0, 0);
/** Each scenario and near miss is planted once per this much of the window (at least once). */
export const ROUND_MINUTES = 60;

/**
 * Generates one window: the scenarios and near misses (each on accounts of its own, at spread-out
 * times, once per {@link ROUND_MINUTES}), then clean traffic around them. Deterministic for the
 * options. Throws a `RangeError` for options out of range.
 */
export function generateTraffic(o: TrafficOptions): Traffic {
  if (!Number.isInteger(o.seed)) throw new RangeError(`seed must be an integer, not ${o.seed}`);
  if (!(o.minutes >= 6 && o.minutes <= 7 * 24 * 60)) throw new RangeError(`minutes must be between 6 and ${7 * 24 * 60}, not ${o.minutes}`);
  if (!(o.rate > 0)) throw new RangeError(`rate must be positive, not ${o.rate}`);
  const startMs = o.startMs ?? DEFAULT_START_MS;
  const endMs = startMs + Math.round(o.minutes * 60_000);
  const population = new Population(o.seed, o.accounts ?? Math.max(5000, Math.round((o.rate * 86_400) / 8)), startMs, endMs);
  const rng = new Rng(o.seed);
  const reserved = new Set<number>();

  const planted: FraudEvent[] = [];
  const expected: ExpectedAlert[] = [];
  const all: readonly Scenario[] = [...FRAUD_SCENARIOS, ...NEAR_MISSES];
  const rounds = Math.max(1, Math.floor(o.minutes / ROUND_MINUTES));
  // a scenario takes one account; leave most of the population to clean traffic
  if (rounds * all.length * 10 > population.size) throw new RangeError(`${population.size} accounts are too few for ${rounds * all.length} planted scenarios; give --accounts ${rounds * all.length * 10} or more`);
  const roundMs = (endMs - startMs) / rounds;
  for (let r = 0; r < rounds; r++) {
    all.forEach((scenario, j) => {
      const srng = rng.fork(`scenario/${r}/${scenario.name}`);
      const t0 = Math.floor(startMs + r * roundMs + ((j + srng.next()) / all.length) * (roundMs - SCENARIO_SPAN_MS));
      const account = (): Account => reserve(population, srng, reserved);
      const p = scenario.plant({ rng: srng, population, t0, account });
      // history before t0 is allowed (dormant accounts); nothing may spill past the span
      if (p.events.some((e) => e.ts >= t0 + SCENARIO_SPAN_MS)) throw new Error(`internal: scenario ${scenario.name} lasts longer than ${SCENARIO_SPAN_MS} ms`);
      planted.push(...p.events);
      expected.push(...p.expected.map((e) => ({ ...e, scenario: scenario.name })));
    });
  }

  const clean = cleanTraffic({ rng: rng.fork("clean"), population, startMs, endMs, rate: o.rate, reserved });
  const merged = [...clean, ...planted].sort((a, b) => a.ts - b.ts); // stable: ties keep clean first
  const events = merged.map((e, i) => ({ eventId: `ev-${String(i + 1).padStart(8, "0")}`, ...e }));
  expected.sort((a, b) => a.time - b.time || (a.rule < b.rule ? -1 : a.rule > b.rule ? 1 : 0));
  return { events, expected, planted: planted.length };
}

/** A fresh account at home all window long, taken out of the clean traffic's reach. */
function reserve(population: Population, rng: Rng, reserved: Set<number>): Account {
  for (;;) {
    const index = population.indexIn(rng.weighted(HOME_CITIES, (c) => c.homeWeight), rng);
    const a = population.account(index);
    if (reserved.has(index) || a.abroad !== null || a.trip !== null) continue;
    reserved.add(index);
    return a;
  }
}
