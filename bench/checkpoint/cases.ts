/** The cases of `bench:checkpoint`, by id, in the order they run. */
import type { CheckpointBenchOptions, CheckpointResult, Log } from "./common.js";
import { heapSnapshot } from "./heap-snapshot.js";
import { stateSize } from "./state-size.js";
import { throughput } from "./throughput.js";

export { DEFAULT_OPTIONS, type Backend, type CheckpointBenchOptions, type CheckpointResult, type Log } from "./common.js";

export const CASE_IDS = ["throughput", "state-size", "heap-snapshot"] as const;
export type CaseId = (typeof CASE_IDS)[number];

export const CASES: Record<CaseId, (o: CheckpointBenchOptions, log: Log) => Promise<CheckpointResult[]>> = {
  throughput,
  "state-size": stateSize,
  "heap-snapshot": heapSnapshot,
};
