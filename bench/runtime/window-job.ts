/**
 * The Vigil side of the window cases, and the job module the worker-thread executor runs for
 * case 5: a keyed one-minute tumbling count-and-sum,
 *
 * ```ts
 * env.fromSource(new DataGeneratorSource(gen, events), forMonotonousTimestamps().withTimestampAssigner(tsOf))
 *   .keyBy(keyOf)
 *   .window(TumblingEventTimeWindows.of(60_000))
 *   .aggregate(countAndSum, toWindowResult)
 *   .sinkTo(checksums.input());
 * ```
 *
 * With `partitioned`, the source is split by key group and `keyBy` becomes
 * `DataStreamUtils.reinterpretAsKeyedStream(stream, keyOf)`: the same windows with no exchange.
 *
 * As a job module (its default export), it takes its parameters from its own URL's query string,
 * `window-job.js?events=5000000&keys=100000&eventsPerMs=5&parallelism=2&partitioned=0`: every worker imports the
 * module by the same URL and so builds the same job.
 */
import { DataGeneratorSource, DataStreamUtils, WatermarkStrategy, numericRecordCodec, type StreamExecutionEnvironment } from "../../src/runtime/index.js";
import { TumblingEventTimeWindows, type ProcessWindowFunction, type TimeWindow } from "../../src/runtime/windowing/index.js";
import type { AggregateFunction, StateBackendFactory } from "../../src/state/index.js";
import { ChecksumSink, type WindowResult } from "./window-checksum.js";
import { KeyPartitionedGeneratorSource } from "./key-partitioned-source.js";
import { eventGenerator, keyAtIndex, keyOf, tsOf, WINDOW_MS, type WindowEvent, type WindowInput } from "./window-events.js";

/** A window's accumulator: count and sum so far. */
export interface CountSum {
  count: number;
  sum: number;
}

/** Count and sum of the values, incrementally (the accumulator is updated in place). */
export const countAndSum: AggregateFunction<WindowEvent, CountSum, CountSum> = {
  createAccumulator: () => ({ count: 0, sum: 0 }),
  add: (e, acc) => {
    acc.count++;
    acc.sum += e.value;
    return acc;
  },
  getResult: (acc) => acc,
  merge: (a, b) => ({ count: a.count + b.count, sum: a.sum + b.sum }),
};

/** The aggregate of a window with its key and start. */
export const toWindowResult: ProcessWindowFunction<CountSum, WindowResult, number, TimeWindow> = (key, ctx, elements, out) => {
  const acc = elements[0];
  out.collect({ key, start: ctx.window().start, count: acc.count, sum: acc.sum });
};

/** Parameters of the window job. */
export interface WindowJobOptions extends WindowInput {
  readonly parallelism: number;
  /** Default: the environment's (heap). */
  readonly backend?: StateBackendFactory;
  /**
   * Read the events from a source partitioned by key group and key them with
   * `DataStreamUtils.reinterpretAsKeyedStream` instead of `keyBy`: no exchange between subtasks.
   */
  readonly partitioned?: boolean;
}

/** Adds the window job to `env`; the returned sink holds one checksum per subtask at the end. */
export function buildWindowJob(env: StreamExecutionEnvironment, options: WindowJobOptions): ChecksumSink {
  env.setParallelism(options.parallelism);
  if (options.backend !== undefined) env.setStateBackend(options.backend);
  const checksums = new ChecksumSink();
  const strategy = WatermarkStrategy.forMonotonousTimestamps<WindowEvent>().withTimestampAssigner(tsOf);
  const keyed = options.partitioned
    ? DataStreamUtils.reinterpretAsKeyedStream(
        env.fromSource(
          new KeyPartitionedGeneratorSource(eventGenerator(options), keyAtIndex(options), options.keys, options.events, env.getMaxParallelism()),
          strategy,
          "events",
        ),
        keyOf,
      )
    : env
        .fromSource(new DataGeneratorSource(eventGenerator(options), options.events), strategy, "events")
        // three numbers per event across threads instead of a structured clone (used at parallelism > 1 on workers)
        .withRecordCodec(numericRecordCodec<WindowEvent>(["key", "value", "ts"]))
        .keyBy(keyOf);
  keyed
    .window(TumblingEventTimeWindows.of(WINDOW_MS))
    .aggregate(countAndSum, toWindowResult)
    .sinkTo(checksums.input(), "checksum");
  return checksums;
}

/** The URL of this module with the job's parameters in its query (for `WorkerExecutor`'s `jobModule`). */
export function windowJobModule(options: Omit<WindowJobOptions, "backend">): URL {
  const url = new URL(import.meta.url);
  url.search = new URLSearchParams({
    events: String(options.events),
    keys: String(options.keys),
    eventsPerMs: String(options.eventsPerMs),
    parallelism: String(options.parallelism),
    partitioned: options.partitioned ? "1" : "0",
  }).toString();
  return url;
}

/** The job module's export: the window job with the parameters of this module's URL. */
export default function build(env: StreamExecutionEnvironment): void {
  const q = new URL(import.meta.url).searchParams;
  const num = (name: string): number => {
    const v = Number(q.get(name));
    if (!(v > 0) || !Number.isFinite(v)) throw new Error(`window-job: query parameter ${name} must be a positive number, got ${q.get(name)}`);
    return v;
  };
  buildWindowJob(env, {
    events: num("events"),
    keys: num("keys"),
    eventsPerMs: num("eventsPerMs"),
    parallelism: num("parallelism"),
    partitioned: q.get("partitioned") === "1",
  });
}
