/**
 * Case 5, `runtime-window-parallel`: the window job of case 2 on worker threads
 * (`WorkerExecutor`, job module `window-job.js`), at parallelism 2 on 2 threads against
 * parallelism 1 on 1 thread: the same executor on both sides, so both pay the same start-up
 * (spawning workers, importing the job module, building the graph in each worker).
 *
 * At parallelism 2 the source has two splits, one per worker; each worker keeps the events of its
 * own key groups and sends the others' (half of them) to the other worker, in batches over a
 * `MessagePort`, encoded by the job's `numericRecordCodec` (three float64s per event, the buffer
 * transferred). The windows' results stay in the worker that computed them;
 * only each worker's checksum comes back to the main thread.
 *
 * The third side reads the same events from a source partitioned by key group
 * (`key-partitioned-source.ts`) keyed by `DataStreamUtils.reinterpretAsKeyedStream`: each worker
 * reads only its own keys and nothing crosses threads.
 */
import { deserialize, serialize } from "node:v8";
import { StreamExecutionEnvironment, numericRecordCodec } from "../../src/runtime/index.js";
import { WorkerExecutor } from "../../src/runtime/executor/worker-executor.js";
import { formatChecksum } from "./window-checksum.js";
import { eventGenerator, type WindowEvent, type WindowInput } from "./window-events.js";
import { buildWindowJob, windowJobModule } from "./window-job.js";

/**
 * Runs the window job on `parallelism` worker threads; returns its checksum. The job module is
 * the compiled `window-job.js` beside this file (under a TypeScript loader, the `.ts` source).
 */
export async function windowJobOnWorkers(input: WindowInput, parallelism: number, partitioned = false): Promise<string> {
  const env = new StreamExecutionEnvironment();
  const options = { ...input, parallelism, partitioned };
  const sink = buildWindowJob(env, options);
  env.setExecutor(new WorkerExecutor({ jobModule: windowJobModule(options), threads: parallelism }));
  await env.execute(`window job on ${parallelism} worker thread(s)`);
  const total = sink.total();
  if (sink.records.length !== parallelism) {
    throw new Error(`expected one checksum per subtask (${parallelism}), got ${sink.records.length}`);
  }
  return formatChecksum(total);
}

/**
 * What crossing threads costs per record, measured on one batch of 4,096 events: structured clone
 * of the objects (`v8.serialize` + `deserialize`, what `postMessage` does without a codec) against
 * the job's `numericRecordCodec` (encode + decode; the buffer itself is transferred, not copied).
 */
export function cloneCost(input: WindowInput): string {
  const gen = eventGenerator(input);
  const events = Array.from({ length: 4096 }, (_, i) => gen(i));
  const codec = numericRecordCodec<WindowEvent>(["key", "value", "ts"]);
  const perRecord = (f: () => void): number => {
    for (let w = 0; w < 10; w++) f(); // warm-up
    const reps = 50;
    const t0 = performance.now();
    for (let r = 0; r < reps; r++) f();
    return ((performance.now() - t0) * 1e6) / (reps * 4096);
  };
  const clone = perRecord(() => deserialize(serialize(events)));
  const coded = perRecord(() => codec.decode(codec.encode(events)));
  const crossing = input.events / 2;
  return `crossing threads per record: structured clone ${clone.toFixed(0)} ns, numeric record codec ${coded.toFixed(0)} ns ` +
    `(the job uses the codec: ${((coded * crossing) / 1e6).toFixed(0)} ms of CPU for the half of ${input.events.toLocaleString("en-US")} events that cross, ` +
    `against ${((clone * crossing) / 1e6).toFixed(0)} ms by structured clone)`;
}
