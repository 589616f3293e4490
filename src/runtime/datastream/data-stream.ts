import { JobError } from "../../errors.js";
import type { StateKey } from "../../state/api.js";
import type { MapStateDescriptorLike } from "../broadcast-descriptor.js";
import type { WatermarkStrategy } from "../event-time/watermark-strategy.js";
import { copyFunction, type FilterFunction, type FlatMapFunction, type MapFunction } from "../functions/functions.js";
import type { ProcessFunction } from "../functions/process-function.js";
import { checkParallelism, type OperatorFactory, type Transformation } from "../graph/transformation.js";
import type { KeySelector } from "../operator.js";
import type { OutputTag } from "../output-tag.js";
import { ProcessOperator } from "../operators/process-operator.js";
import { StreamFilter } from "../operators/stream-filter.js";
import { StreamFlatMap } from "../operators/stream-flat-map.js";
import { StreamMap } from "../operators/stream-map.js";
import { TimestampsAndWatermarksOperator } from "../operators/timestamps-and-watermarks.js";
import type { Sink } from "../sink/sink.js";
import type { RecordCodec } from "../executor/record-codec.js";
import type { StreamExecutionEnvironment } from "../environment.js";
import { BroadcastStream } from "./broadcast-stream.js";
import { ConnectedStreams } from "./connected-streams.js";
import { AllWindowedStream } from "../windowing/all-windowed-stream.js";
import type { WindowAssigner, Window } from "../windowing/api.js";
import { JoinedStreams } from "../join/joined-streams.js";
import { CoGroupedStreams } from "../join/co-grouped-streams.js";
import type { ReduceFunction } from "../functions/functions.js";
import type { KeyedProcessFunction } from "../functions/process-function.js";
import { StreamReduce } from "../operators/stream-reduce.js";
import { WindowedStream } from "../windowing/windowed-stream.js";
import { GlobalWindows } from "../windowing/assigners/global-windows.js";
import { CountTrigger } from "../windowing/triggers/count-trigger.js";
import { PurgingTrigger } from "../windowing/triggers/purging-trigger.js";
import { CountEvictor } from "../windowing/evictors/count-evictor.js";
import type { GlobalWindow } from "../windowing/windows.js";
import { IntervalJoin } from "../join/interval-join.js";

/**
 * A stream of records of type `T`, as Flink's `DataStream`. Transformations return new streams;
 * `name`, `uid`, `setParallelism` and `disableChaining` configure the operator that produced this
 * stream (Flink's `SingleOutputStreamOperator`) and return it.
 */
export class DataStream<T> {
  constructor(
    readonly env: StreamExecutionEnvironment,
    /** The node that produces this stream. */
    readonly transformation: Transformation,
  ) {}

  /** A new stream produced by a one-input operator on this stream. */
  transform<O>(name: string, factory: OperatorFactory<T, O>, keySelector?: KeySelector<T>): DataStream<O> {
    return new DataStream<O>(
      this.env,
      this.env.addTransformation({ kind: "one-input", name, input: this.transformation, factory, keySelector }),
    );
  }

  map<O>(fn: MapFunction<T, O>): DataStream<O> {
    return this.transform("Map", () => new StreamMap(copyFunction(fn)));
  }

  filter(fn: FilterFunction<T>): DataStream<T> {
    return this.transform("Filter", () => new StreamFilter(copyFunction(fn)));
  }

  flatMap<O>(fn: FlatMapFunction<T, O>): DataStream<O> {
    return this.transform("FlatMap", () => new StreamFlatMap(copyFunction(fn)));
  }

  process<O>(fn: ProcessFunction<T, O>): DataStream<O> {
    return this.transform("Process", () => new ProcessOperator(copyFunction(fn)));
  }

  /** Partitions by key: records of one key go to one subtask, and keyed state and timers become available. */
  keyBy<K extends StateKey>(keySelector: KeySelector<T, K>): KeyedStream<T, K> {
    const t = this.env.addTransformation({
      kind: "partition",
      name: "KeyBy",
      input: this.transformation,
      partitioner: { kind: "hash", keySelector },
    });
    return new KeyedStream<T, K>(this.env, t, keySelector);
  }

  /** This stream and others as one (same type). */
  union(...others: DataStream<T>[]): DataStream<T> {
    for (const o of others) {
      if (o.env !== this.env) throw new JobError("union: streams belong to different environments");
    }
    return new DataStream<T>(
      this.env,
      this.env.addTransformation({ kind: "union", name: "Union", inputs: [this.transformation, ...others.map((o) => o.transformation)] }),
    );
  }

  /** Two streams of possibly different types, processed by one two-input function. */
  connect<T2>(other: DataStream<T2>): ConnectedStreams<T, T2>;
  connect<T2>(other: BroadcastStream<T2>): ConnectedStreams<T, T2>;
  connect<T2>(other: DataStream<T2> | BroadcastStream<T2>): ConnectedStreams<T, T2> {
    return new ConnectedStreams<T, T2>(this.env, this, other);
  }

  /** Sends every record to every subtask of the next operator, with broadcast state of the given descriptors. */
  broadcast(...descriptors: MapStateDescriptorLike<any, any>[]): BroadcastStream<T> {
    const t = this.partition("Broadcast", { kind: "broadcast" });
    return new BroadcastStream<T>(this.env, t, descriptors);
  }

  /** Round-robin to the next operator's subtasks. */
  rebalance(): DataStream<T> {
    return new DataStream<T>(this.env, this.partition("Rebalance", { kind: "rebalance" }));
  }

  /** Subtask i to subtask i (needs equal parallelism); allows chaining. */
  forward(): DataStream<T> {
    return new DataStream<T>(this.env, this.partition("Forward", { kind: "forward" }));
  }

  /** Everything to subtask 0 of the next operator. */
  global(): DataStream<T> {
    return new DataStream<T>(this.env, this.partition("Global", { kind: "global" }));
  }

  private partition(name: string, partitioner: { kind: "rebalance" | "forward" | "global" | "broadcast" }): Transformation {
    return this.env.addTransformation({ kind: "partition", name, input: this.transformation, partitioner });
  }

  /** Re-stamps records and generates watermarks here rather than at the source. */
  assignTimestampsAndWatermarks(strategy: WatermarkStrategy<T>): DataStream<T> {
    return this.transform("Timestamps/Watermarks", () => new TimestampsAndWatermarksOperator(strategy));
  }

  /** The records the producing operator emitted to `tag`. */
  getSideOutput<X>(tag: OutputTag<X>): DataStream<X> {
    return new DataStream<X>(
      this.env,
      this.env.addTransformation({ kind: "side-output", name: `SideOutput(${tag.id})`, input: this.transformation, tag }),
    );
  }

  /** Windows over the whole (non-keyed) stream; runs with parallelism 1, as Flink's `windowAll`. */
  windowAll<W extends Window>(assigner: WindowAssigner<T, W>): AllWindowedStream<T, W> {
    return new AllWindowedStream<T, W>(this, assigner);
  }

  /** Window join: `a.join(b).where(ka).equalTo(kb).window(assigner).apply(fn)`. */
  join<T2>(other: DataStream<T2>): JoinedStreams<T, T2> {
    return new JoinedStreams<T, T2>(this, other);
  }

  /** Window co-group: `a.coGroup(b).where(ka).equalTo(kb).window(assigner).apply(fn)`. */
  coGroup<T2>(other: DataStream<T2>): CoGroupedStreams<T, T2> {
    return new CoGroupedStreams<T, T2>(this, other);
  }

  /** Writes the stream to a sink. */
  sinkTo(sink: Sink<T>, name = "Sink"): DataStreamSink {
    return new DataStreamSink(this.env.addTransformation({ kind: "sink", name, input: this.transformation, sink }));
  }

  name(name: string): this {
    this.transformation.name = name;
    return this;
  }

  /** A stable id for this operator's state in savepoints; unique in the job. */
  uid(uid: string): this {
    this.transformation.uid = uid;
    return this;
  }

  setParallelism(parallelism: number): this {
    this.transformation.parallelism = checkParallelism(parallelism);
    return this;
  }

  setMaxParallelism(maxParallelism: number): this {
    this.transformation.maxParallelism = checkParallelism(maxParallelism, "setMaxParallelism");
    return this;
  }

  /**
   * How this stream's records are encoded when they cross worker threads (after `keyBy`,
   * `rebalance`, ...): a batch codec such as `numericRecordCodec(["key", "value", "ts"])` instead of
   * structured clone. Only the worker-thread executor uses it.
   */
  withRecordCodec(codec: RecordCodec<T>): this {
    const t = this.transformation;
    if (t.kind === "partition" || t.kind === "union" || t.kind === "side-output") {
      throw new JobError("withRecordCodec: call it on the stream an operator or source produced, before keyBy/union");
    }
    t.codec = codec;
    return this;
  }

  /** Keeps this operator out of its input's chain. */
  disableChaining(): this {
    this.transformation.chainable = false;
    return this;
  }
}

/** The end of a pipeline: a sink, configurable like an operator. */
export class DataStreamSink {
  constructor(readonly transformation: Transformation) {}

  name(name: string): this {
    this.transformation.name = name;
    return this;
  }

  uid(uid: string): this {
    this.transformation.uid = uid;
    return this;
  }

  setParallelism(parallelism: number): this {
    this.transformation.parallelism = checkParallelism(parallelism);
    return this;
  }
}

/**
 * A stream partitioned by key, as Flink's `KeyedStream`: every operator applied to it runs with the
 * record's key set, so it can use keyed state and timers.
 */
export class KeyedStream<T, K extends StateKey = StateKey> extends DataStream<T> {
  constructor(
    env: StreamExecutionEnvironment,
    transformation: Transformation,
    readonly keySelector: KeySelector<T, K>,
  ) {
    super(env, transformation);
  }

  /** Operators on a keyed stream see the key (keyed state in rich functions works). */
  override transform<O>(name: string, factory: OperatorFactory<T, O>): DataStream<O> {
    return super.transform(name, factory, this.keySelector);
  }

  override process<O>(fn: KeyedProcessFunction<K, T, O>): DataStream<O> {
    return this.transform("KeyedProcess", () => new ProcessOperator(copyFunction(fn) as never));
  }

  /** A running reduction per key, emitted after every record. */
  reduce(fn: ReduceFunction<T>): DataStream<T> {
    return this.transform("Keyed Reduce", () => new StreamReduce(copyFunction(fn)));
  }

  /** Windows per key. */
  window<W extends Window>(assigner: WindowAssigner<T, W>): WindowedStream<T, K, W> {
    return new WindowedStream<T, K, W>(this, assigner);
  }

  /** Count windows: every `size` records of a key (sliding every `slide` when given), as Flink's `countWindow`. */
  countWindow(size: number, slide?: number): WindowedStream<T, K, GlobalWindow> {
    const w = this.window(GlobalWindows.create<T>());
    if (slide === undefined) return w.trigger(PurgingTrigger.of(CountTrigger.of(size)));
    return w.evictor(CountEvictor.of(size)).trigger(CountTrigger.of(slide));
  }

  /** Interval join with another keyed stream: `a.intervalJoin(b).between(lower, upper).process(fn)`. */
  intervalJoin<T2>(other: KeyedStream<T2, K>): IntervalJoin<T, T2, K> {
    return new IntervalJoin<T, T2, K>(this, other);
  }
}
