import { JobError } from "../../errors.js";

/** How a failed job is restarted, after Flink's restart strategies. */
export type RestartStrategy =
  | { readonly kind: "none" }
  | { readonly kind: "fixed-delay"; readonly attempts: number; readonly delayMs: number }
  | {
      readonly kind: "exponential-delay";
      readonly initialDelayMs: number;
      readonly maxDelayMs: number;
      readonly multiplier: number;
      /** After this long without a failure the delay starts again from `initialDelayMs`. */
      readonly resetAfterMs: number;
      /** Relative jitter added to each delay (0..1), so that many jobs do not retry in step. */
      readonly jitter: number;
      readonly attempts: number;
    }
  | { readonly kind: "failure-rate"; readonly maxFailures: number; readonly intervalMs: number; readonly delayMs: number };

function count(name: string, n: number, min: number): number {
  if (!(n === Number.POSITIVE_INFINITY || (Number.isInteger(n) && n >= min))) {
    throw new JobError(`${name}: expected an integer >= ${min} (or Infinity), got ${n}`, { code: "INVALID_ARGUMENT" });
  }
  return n;
}

function ms(name: string, n: number): number {
  if (!(Number.isFinite(n) && n >= 0)) throw new JobError(`${name}: expected a duration in ms >= 0, got ${n}`, { code: "INVALID_ARGUMENT" });
  return n;
}

export const RestartStrategies = {
  /** Fail the job at the first failure. */
  noRestart(): RestartStrategy {
    return { kind: "none" };
  },
  /** Restart up to `attempts` times, waiting `delayMs` before each. */
  fixedDelay(attempts: number, delayMs: number): RestartStrategy {
    return { kind: "fixed-delay", attempts: count("fixedDelay attempts", attempts, 0), delayMs: ms("fixedDelay delayMs", delayMs) };
  },
  /** Restart with a delay that doubles (by `multiplier`) up to `maxDelayMs`, reset after a quiet `resetAfterMs`. */
  exponentialDelay(options: Partial<Omit<Extract<RestartStrategy, { kind: "exponential-delay" }>, "kind">> = {}): RestartStrategy {
    const s = {
      kind: "exponential-delay" as const,
      initialDelayMs: ms("initialDelayMs", options.initialDelayMs ?? 1000),
      maxDelayMs: ms("maxDelayMs", options.maxDelayMs ?? 60_000),
      multiplier: options.multiplier ?? 2,
      resetAfterMs: ms("resetAfterMs", options.resetAfterMs ?? 3_600_000),
      jitter: options.jitter ?? 0.1,
      attempts: count("attempts", options.attempts ?? Number.POSITIVE_INFINITY, 0),
    };
    if (!(s.multiplier >= 1)) throw new JobError(`exponentialDelay multiplier: expected >= 1, got ${s.multiplier}`, { code: "INVALID_ARGUMENT" });
    if (!(s.jitter >= 0 && s.jitter <= 1)) throw new JobError(`exponentialDelay jitter: expected 0..1, got ${s.jitter}`, { code: "INVALID_ARGUMENT" });
    return s;
  },
  /** Restart unless more than `maxFailures` failures fall within `intervalMs`; wait `delayMs` before each. */
  failureRate(maxFailures: number, intervalMs: number, delayMs: number): RestartStrategy {
    return { kind: "failure-rate", maxFailures: count("failureRate maxFailures", maxFailures, 1), intervalMs: ms("failureRate intervalMs", intervalMs), delayMs: ms("failureRate delayMs", delayMs) };
  },
};

/**
 * Decides, failure by failure, whether to restart and after how long. `onFailure(now)` returns
 * the delay in ms, or undefined when the strategy gives up.
 */
export class RestartBackoff {
  private failures = 0;
  private readonly times: number[] = [];
  private delay = 0;
  private lastFailure = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly strategy: RestartStrategy,
    private readonly random: () => number = Math.random,
  ) {}

  onFailure(now: number): number | undefined {
    const s = this.strategy;
    switch (s.kind) {
      case "none":
        return undefined;
      case "fixed-delay":
        return ++this.failures > s.attempts ? undefined : s.delayMs;
      case "failure-rate": {
        this.times.push(now);
        while (this.times.length > 0 && this.times[0] <= now - s.intervalMs) this.times.shift();
        return this.times.length > s.maxFailures ? undefined : s.delayMs;
      }
      case "exponential-delay": {
        if (now - this.lastFailure >= s.resetAfterMs) {
          this.delay = 0;
          this.failures = 0;
        }
        this.lastFailure = now;
        if (++this.failures > s.attempts) return undefined;
        this.delay = this.delay === 0 ? s.initialDelayMs : Math.min(s.maxDelayMs, this.delay * s.multiplier);
        const jitter = this.delay * s.jitter * (this.random() * 2 - 1);
        return Math.max(0, Math.round(this.delay + jitter));
      }
    }
  }
}
