import { VigilError } from "../errors.js";
import { compile } from "./compile.js";
import type { Match, MatchCollector } from "./nfa/nfa.js";
import type { Pattern } from "./pattern/pattern.js";

/** An event with its event time in ms. */
export type TimedEvent<T> = { event: T; timestamp: number };
/** Event time has reached `watermark` (ms); `Infinity` ends a bounded input. */
export type Watermark = { watermark: number };
/** A partial match whose `within` expired, with the time its window ended. */
export type TimedOut<T> = { match: Record<string, T[]>; timestamp: number };

export interface RunPatternOptions {
  /**
   * `"arrival"` (default): events are fed in the order given, as FlinkCEP's NFA tests do.
   * `"eventTime"`: as the keyed CEP operator: buffered, released in timestamp order when a
   * watermark passes them; events at or behind the watermark are late.
   */
  mode?: "arrival" | "eventTime";
}

export interface RunPatternResult<T> {
  matches: Match<T>[];
  timeouts: TimedOut<T>[];
  late: TimedEvent<T>[];
}

/**
 * Runs one pattern over the events of one key without a runtime: the reference semantics of
 * the CEP operator for a single key, and the test harness of the pattern layer.
 */
export function runPattern<T>(
  pattern: Pattern<T, any>,
  input: ReadonlyArray<TimedEvent<T> | Watermark>,
  options: RunPatternOptions = {},
): RunPatternResult<T> {
  const mode = options.mode ?? "arrival";
  if (mode !== "arrival" && mode !== "eventTime") {
    throw new VigilError(`runPattern: unknown mode "${String(mode)}" (arrival | eventTime)`, { code: "INVALID_ARGUMENT" });
  }
  const nfa = compile(pattern);
  const state = nfa.createState();
  const result: RunPatternResult<T> = { matches: [], timeouts: [], late: [] };
  const out: MatchCollector<T> = {
    match: (m) => result.matches.push(m),
    timeout: (m, timestamp) => result.timeouts.push({ match: m, timestamp }),
  };
  let watermark = -Infinity;
  // eventTime mode: events waiting for the watermark, kept in arrival order and sorted on release
  let pending: Array<{ item: TimedEvent<T>; index: number }> = [];
  input.forEach((item, index) => {
    if (isWatermark(item)) {
      if (item.watermark <= watermark) return;
      watermark = item.watermark;
      if (mode === "eventTime") {
        const ready = pending.filter((p) => p.item.timestamp <= watermark);
        pending = pending.filter((p) => p.item.timestamp > watermark);
        ready.sort((a, b) => a.item.timestamp - b.item.timestamp || a.index - b.index);
        for (const { item: e } of ready) nfa.process(state, e.event, e.timestamp, out);
      }
      nfa.advanceTime(state, watermark, out);
      return;
    }
    checkEvent(item, index);
    if (mode === "arrival") nfa.process(state, item.event, item.timestamp, out);
    else if (item.timestamp <= watermark) result.late.push(item);
    else pending.push({ item, index });
  });
  return result;
}

function isWatermark(item: unknown): item is Watermark {
  return typeof item === "object" && item !== null && "watermark" in item;
}

function checkEvent(item: unknown, index: number): asserts item is TimedEvent<unknown> {
  const ts = (item as TimedEvent<unknown> | null)?.timestamp;
  if (typeof item !== "object" || item === null || !("event" in item) || typeof ts !== "number" || Number.isNaN(ts)) {
    throw new VigilError(`runPattern: input[${index}] is neither { event, timestamp: number } nor { watermark: number }`, {
      code: "INVALID_ARGUMENT",
    });
  }
}
