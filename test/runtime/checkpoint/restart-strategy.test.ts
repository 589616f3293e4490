import { describe, expect, it } from "vitest";
import { RestartBackoff } from "../../../src/runtime/checkpoint/restart-strategy.js";
import { RestartStrategies } from "../../../src/runtime/index.js";

describe("restart strategies", () => {
  it("none gives up at once", () => {
    expect(new RestartBackoff(RestartStrategies.noRestart()).onFailure(0)).toBeUndefined();
  });

  it("fixed delay: n restarts after the delay, then gives up", () => {
    const b = new RestartBackoff(RestartStrategies.fixedDelay(2, 500));
    expect([b.onFailure(0), b.onFailure(10), b.onFailure(20)]).toEqual([500, 500, undefined]);
  });

  it("exponential delay grows by the multiplier up to the cap, and starts over after a quiet period", () => {
    const b = new RestartBackoff(RestartStrategies.exponentialDelay({ initialDelayMs: 100, maxDelayMs: 700, multiplier: 2, resetAfterMs: 10_000, jitter: 0 }));
    expect([0, 1, 2, 3, 4].map((t) => b.onFailure(t))).toEqual([100, 200, 400, 700, 700]);
    expect(b.onFailure(20_000)).toBe(100);
  });

  it("exponential delay jitter stays within its bound", () => {
    const b = new RestartBackoff(RestartStrategies.exponentialDelay({ initialDelayMs: 1000, jitter: 0.1 }), () => 1);
    expect(b.onFailure(0)).toBe(1100);
  });

  it("failure rate: gives up when more than max failures fall within the interval", () => {
    const b = new RestartBackoff(RestartStrategies.failureRate(2, 1000, 50));
    expect([b.onFailure(0), b.onFailure(500), b.onFailure(1600), b.onFailure(1700), b.onFailure(1800)]).toEqual([50, 50, 50, 50, undefined]);
  });

  it("rejects bad settings with the name of the setting", () => {
    expect(() => RestartStrategies.fixedDelay(-1, 0)).toThrow(/fixedDelay attempts/);
    expect(() => RestartStrategies.failureRate(0, 10, 0)).toThrow(/maxFailures/);
    expect(() => RestartStrategies.exponentialDelay({ multiplier: 0.5 })).toThrow(/multiplier/);
  });
});
