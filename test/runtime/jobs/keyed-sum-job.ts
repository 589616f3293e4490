/** A job module for the worker-thread executor tests: keyed running sums and timers over 4 splits. */
import {
  CollectSink,
  DataStreamUtils,
  WatermarkStrategy,
  numericRecordCodec,
  type Collector,
  type KeyedOnTimerContext,
  type KeyedProcessContext,
  type KeyedProcessFunction,
  type RuntimeContext,
  type StreamExecutionEnvironment,
} from "../../../src/runtime/index.js";
import { MapStateDescriptor } from "../../../src/state/descriptors.js";
import type { MapState } from "../../../src/state/api.js";
import { ListSplitsSource, partitionByKeyGroup } from "../helpers.js";

export interface Event {
  key: number;
  value: number;
  ts: number;
}

/** Deterministic input: `n` events over 4 splits, timestamps increasing per split. */
export function events(n: number): Event[][] {
  const splits: Event[][] = [[], [], [], []];
  let seed = 42;
  for (let i = 0; i < n; i++) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    splits[i % 4].push({ key: seed % 97, value: seed % 10, ts: i * 10 });
  }
  return splits;
}

/** Per key and event-time second: the sum, emitted when the watermark passes the second's end. */
export class SecondTotals implements KeyedProcessFunction<number, Event, string> {
  private sums!: MapState<number, number>;
  open(ctx: RuntimeContext) {
    this.sums = ctx.getMapState(new MapStateDescriptor<number, number>("sums"));
  }
  processElement(e: Event, ctx: KeyedProcessContext<number>) {
    const end = Math.floor(e.ts / 1000) * 1000 + 999;
    this.sums.put(end, (this.sums.get(end) ?? 0) + e.value);
    ctx.timerService().registerEventTimeTimer(end);
  }
  onTimer(ts: number, ctx: KeyedOnTimerContext<number>, out: Collector<string>) {
    out.collect(`${ctx.getCurrentKey()}@${ts}=${this.sums.get(ts)}`);
    this.sums.remove(ts);
  }
}

export default function build(env: StreamExecutionEnvironment, parallelism = 2, n = 20_000, codec = false): CollectSink<string> {
  const sink = new CollectSink<string>();
  env.setParallelism(parallelism);
  const doubled = env
    .fromSource(new ListSplitsSource(events(n), (e) => e.ts, 256), WatermarkStrategy.forBoundedOutOfOrderness<Event>(50), "events")
    .map((e) => ({ ...e, value: e.value * 2 }));
  if (codec) doubled.withRecordCodec(numericRecordCodec<Event>(["key", "value", "ts"]));
  doubled
    .keyBy((e) => e.key)
    .process(new SecondTotals())
    .sinkTo(sink);
  return sink;
}

/** The same job, its events crossing threads through a numeric record codec. */
export function buildWithCodec(env: StreamExecutionEnvironment): CollectSink<string> {
  return build(env, 2, 20_000, true);
}

/**
 * The events of `events(n)` regrouped into one split per subtask, each holding exactly the keys of
 * that subtask's key groups (as a topic partitioned by Vigil's key groups), in timestamp order.
 */
export function partitionedEvents(n: number, parallelism: number, maxParallelism = 128): Event[][] {
  const all = events(n).flat().sort((a, b) => a.ts - b.ts);
  return partitionByKeyGroup(all, (e) => e.key, parallelism, maxParallelism);
}

/** The job of `build`, its source already partitioned by key group: no keyBy, no exchange. */
export function buildReinterpreted(env: StreamExecutionEnvironment, parallelism = 2, n = 20_000, splits = partitionedEvents(n, parallelism)): CollectSink<string> {
  const sink = new CollectSink<string>();
  env.setParallelism(parallelism);
  const doubled = env
    .fromSource(new ListSplitsSource(splits, (e) => e.ts, 256), WatermarkStrategy.forBoundedOutOfOrderness<Event>(50), "events")
    .map((e) => ({ ...e, value: e.value * 2 }));
  DataStreamUtils.reinterpretAsKeyedStream(doubled, (e) => e.key)
    .process(new SecondTotals())
    .sinkTo(sink);
  return sink;
}
