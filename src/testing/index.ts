/**
 * `vigil/testing`: helpers for testing your own patterns and functions. `runPattern` runs a
 * pattern over one key's events without a runtime; `matchKeys` turns matches into sorted strings so
 * that two results can be compared as multisets, as FlinkCEP's tests compare them;
 * `OperatorHarness` runs one operator or function as a job would; the testing sources and
 * `CollectSink` feed and read whole jobs.
 */
import type { Match } from "../cep/index.js";

export { runPattern, type TimedEvent, type Watermark, type TimedOut, type RunPatternResult } from "../cep/index.js";
export {
  OperatorHarness,
  type HarnessOptions,
  type HarnessRecord,
  CollectSink,
  InMemorySource,
  CollectionSource,
  DataGeneratorSource,
} from "../runtime/index.js";

/** Each match as `stage:id,id stage:id`, sorted; `idOf` names an event (default: JSON). */
export function matchKeys<T>(matches: readonly Match<T>[], idOf: (event: T) => string = (e) => JSON.stringify(e)): string[] {
  return matches
    .map((m) => Object.entries(m).map(([stage, events]) => `${stage}:${events.map(idOf).join(",")}`).join(" "))
    .sort();
}
