import { describe, expect, test } from "vitest";
import { CASES, DEFAULT_OPTIONS, type CaseId, type CaseResult, type RuntimeBenchOptions } from "../../bench/runtime/cases.js";
import { handWrittenWindows, handWrittenWindowsWithEvents, rxjsPerKeyGroupByWindows, rxjsWindows } from "../../bench/runtime/window-baselines.js";

/**
 * bench:runtime at toy sizes: every case runs its check (the sides' outputs must agree, or the
 * case throws) and one round of timing, so the bench code keeps working. No timing assertions.
 */
const tiny: RuntimeBenchOptions = {
  ...DEFAULT_OPTIONS,
  events: 20_000,
  windowEvents: 20_000,
  keys: 500,
  eventsPerMs: 0.1,
  leveldbEvents: 5_000,
  cepEvents: 5_000,
  cards: 100,
  groupByEvents: 2_000,
  rounds: 1,
  budgetScale: 0,
  startupProbe: false,
};

async function run(id: CaseId): Promise<{ results: CaseResult[]; log: string[] }> {
  const log: string[] = [];
  const results = await CASES[id](tiny, (line) => log.push(line));
  return { results, log };
}

describe("bench:runtime cases at toy sizes", () => {
  test.each(["stateless", "window", "leveldb", "cep", "parallel", "rxjs-groupby"] as const)("%s", async (id) => {
    const { results, log } = await run(id);
    expect(results.length).toBeGreaterThan(0);
    for (const r of results) {
      expect(r.eventsPerSec).toBeGreaterThan(0);
      expect(r.baselineEventsPerSec).toBeGreaterThan(0);
      expect(r.ratio).toBeGreaterThan(0);
    }
    if (id === "window") expect(Number(results[0].withEventsEventsPerSec)).toBeGreaterThan(0);
    expect(log.some((l) => l.startsWith("# check"))).toBe(true);
    expect(log.join("\n")).not.toMatch(/DIFFERENT/);
  });
});

describe("the window baselines", () => {
  test("agree with each other on a stream spanning several windows", () => {
    const input = { events: 30_000, keys: 300, eventsPerMs: 0.1 };
    const expected = handWrittenWindows(input);
    expect(expected).toMatch(/^windows=\d+ count=30000 /);
    expect(handWrittenWindowsWithEvents(input)).toBe(expected);
    expect(rxjsWindows(input)).toBe(expected);
    expect(rxjsPerKeyGroupByWindows(input)).toBe(expected);
  });
});
