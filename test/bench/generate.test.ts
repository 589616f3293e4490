import { describe, expect, test } from "vitest";
import { generateTxns } from "../../bench/cep/generate.js";
import { isAbroadPos, isBig, isRiskyOnline, isSmall, isVerification } from "../../bench/cep/rules.js";

describe("generateTxns", () => {
  const a = generateTxns({ events: 20_000, cards: 200, seed: 3 });

  test("is deterministic for a seed and differs across seeds", () => {
    expect(generateTxns({ events: 20_000, cards: 200, seed: 3 }).events).toEqual(a.events);
    expect(generateTxns({ events: 20_000, cards: 200, seed: 4 }).events).not.toEqual(a.events);
  });

  test("numbers events in order with strictly increasing timestamps", () => {
    expect(a.events).toHaveLength(20_000);
    const bad = a.events.filter((e, i) =>
      e.id !== i || (i > 0 && e.ts <= a.events[i - 1].ts) || !(e.cardId >= 0 && e.cardId < 200));
    expect(bad).toEqual([]);
  });

  test("spaces events so that 5- and 10-minute windows matter (about 180 ms apart overall)", () => {
    const meanGap = a.spanMs / (a.events.length - 1);
    expect(meanGap).toBeGreaterThan(150);
    expect(meanGap).toBeLessThan(210);
  });

  test("produces events for every rule's conditions and injects fraud", () => {
    for (const cond of [isAbroadPos, isSmall, isBig, isRiskyOnline, isVerification]) {
      expect(a.events.some(cond)).toBe(true);
    }
    const big = generateTxns({ events: 100_000, cards: 1000, seed: 3 });
    expect(big.injected.sequence).toBeGreaterThan(20);
    expect(big.injected["card-testing"]).toBeGreaterThan(20);
    expect(big.injected.absence).toBeGreaterThan(20);
  });
});
