/**
 * An open-loop load generator as a runtime source: event `i` is due at `startAt + i / rate`
 * (wall clock), whatever the job is doing. The reader emits every event that is due when it is
 * polled; a job that falls behind finds a backlog, so latency measured from the *due* time counts
 * the time an event waited to be read (no coordinated omission).
 */
import type { CardEvent } from "../../examples/fraud/events.js";
import type { InputStatus, ReaderOutput, Source, SourceReader, SourceSplit } from "../../src/runtime/index.js";

/** Wall-clock ms with sub-millisecond resolution (the same clock as `Date.now()`). */
export const clock = (): number => performance.timeOrigin + performance.now();

/** A paced card purchase (the fraud generator's shape): what the bench rule and the 10 fraud rules read. */
export interface PacedEvent extends Omit<CardEvent, "type" | "declineReason"> {
  readonly seq: number;
  readonly type: "purchase";
  /** Event time: the due time in whole ms, so event time follows the schedule (monotonous). */
  readonly ts: number;
}

const CITIES = [
  { city: "Paris", country: "FR", lat: 48.857, lon: 2.352 },
  { city: "Berlin", country: "DE", lat: 52.52, lon: 13.405 },
  { city: "Madrid", country: "ES", lat: 40.417, lon: -3.704 },
  { city: "Rome", country: "IT", lat: 41.903, lon: 12.496 },
  { city: "Amsterdam", country: "NL", lat: 52.368, lon: 4.904 },
  { city: "Vienna", country: "AT", lat: 48.208, lon: 16.373 },
];
const CARDS = 50_000;

/** Options of a {@link PacedSource}. */
export interface PacedOptions {
  /** Events per second. */
  readonly rate: number;
  /** How many events in all. */
  readonly count: number;
  /** Wall-clock time (ms, {@link clock}) at which event 0 is due. */
  readonly startAt: number;
  /** The source stops (and ends) at this wall-clock time even if events are left: a job that cannot keep up is not waited for forever. */
  readonly giveUpAt: number;
}

/** What a run of the source did. */
export interface PacedProgress {
  emitted: number;
  /** Wall-clock time of the last emission. */
  lastEmitAt: number;
}

/**
 * Deterministic traffic: cards keep one city each (no impossible travel), amounts from 5 to 1000
 * (about 1 in 10 at 900 or more, the bench rule's probe), 80 % card-present, 3 % declined: the
 * fraud rules evaluate every event and almost never match.
 */
export function pacedEvent(seq: number, ts: number): PacedEvent {
  const h = hash(seq);
  const card = (h >>> 3) % CARDS;
  const city = CITIES[card % CITIES.length];
  return {
    seq,
    type: "purchase",
    status: declined(h) ? "declined" : "approved",
    cardId: `card-${card}`,
    accountId: `acc-${card}`,
    amount: amountOf(h),
    currency: "EUR",
    merchant: `m-${city.city.toLowerCase()}-${(h >>> 12) % 200}`,
    mcc: "5411",
    cardPresent: ((h >>> 20) % 5) !== 0,
    geo: city,
    ts,
  };
}

/** Whether event `seq` is an approved purchase of 900 or more (what the probe rule alerts on), without building it. */
export function isProbeSeq(seq: number): boolean {
  const h = hash(seq);
  return !declined(h) && amountOf(h) >= 900;
}

/** A cheap integer hash of seq: the same traffic on every run. */
function hash(seq: number): number {
  let h = Math.imul(seq ^ 0x9e3779b9, 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

const declined = (h: number): boolean => ((h >>> 7) & 31) === 0;
const amountOf = (h: number): number => Math.round((5 + (h / 4294967296) * 995) * 100) / 100;

/** Due time of event `seq` (wall-clock ms). */
export function dueAt(o: PacedOptions, seq: number): number {
  return o.startAt + (seq * 1000) / o.rate;
}

/** A bounded source of `count` paced events, one split. */
export class PacedSource<T> implements Source<T, SourceSplit> {
  readonly boundedness = "bounded" as const;
  readonly maxParallelism = 1;
  readonly progress: PacedProgress = { emitted: 0, lastEmitAt: 0 };

  constructor(
    private readonly options: PacedOptions,
    private readonly make: (seq: number, ts: number) => T,
  ) {}

  createSplits(): SourceSplit[] {
    return [{ splitId: "paced" }];
  }

  createReader(): SourceReader<T, SourceSplit> {
    const o = this.options;
    const progress = this.progress;
    let next = 0;
    const budget = 2000;
    return {
      addSplits: () => {},
      pollNext: (output: ReaderOutput<T>): InputStatus => {
        const now = clock();
        if (next >= o.count || now > o.giveUpAt) return "end";
        let n = 0;
        while (next < o.count && n < budget) {
          const due = dueAt(o, next);
          if (due > now) break;
          output.collect(this.make(next, Math.floor(due)), "paced");
          next++;
          n++;
        }
        if (n > 0) {
          progress.emitted = next;
          progress.lastEmitAt = now;
          return "more";
        }
        return "waiting";
      },
      available: () => {
        const wait = dueAt(o, next) - clock();
        return new Promise<void>((resolve) => (wait <= 0 ? setImmediate(resolve) : setTimeout(resolve, Math.max(0, Math.floor(wait)))));
      },
      snapshotState: () => [{ splitId: "paced" }],
    };
  }
}
