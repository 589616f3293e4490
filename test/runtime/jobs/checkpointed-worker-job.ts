/**
 * A job module for the worker-thread executor's checkpoint tests: transactions from a JSON-lines
 * file (throttled, so checkpoints and savepoints land mid-stream), per card per minute totals and
 * card-testing alerts (bench/checkpoint/fraud-job.ts) to the exactly-once file sink, with a map that
 * fails once when VIGIL_TEST_FAIL_MARKER names a file that does not exist yet (it creates it, so
 * the restarted job passes).
 */
import { existsSync, writeFileSync } from "node:fs";
import { buildJob, type Txn } from "../../../bench/checkpoint/fraud-job.js";
import type { StreamExecutionEnvironment } from "../../../src/runtime/index.js";

export default function build(env: StreamExecutionEnvironment): void {
  const input = process.env.VIGIL_TEST_INPUT!;
  const output = process.env.VIGIL_TEST_OUTPUT!;
  const marker = process.env.VIGIL_TEST_FAIL_MARKER;
  const failAt = Number(process.env.VIGIL_TEST_FAIL_AT ?? "0");
  env.setParallelism(Number(process.env.VIGIL_TEST_PARALLELISM ?? "2"));
  let seen = 0;
  buildJob(env, input, output, Number(process.env.VIGIL_TEST_RATE ?? "Infinity"), (t: Txn) => {
    if (marker !== undefined && ++seen === failAt && !existsSync(marker)) {
      writeFileSync(marker, "failed once");
      throw new Error(`injected failure at record ${seen}`);
    }
    return t;
  });
}
