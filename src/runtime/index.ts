/** The runtime's public face: the DataStream API, event time, sources and sinks, executors. */
export { StreamExecutionEnvironment, type RuntimeMode, type Executor, type CheckpointOptions, type CheckpointConfig } from "./environment.js";
export type { CheckpointBarrier, SnapshotKind } from "./checkpoint/barrier.js";
export type { CheckpointStorage, CompletedSnapshot, SnapshotOperator, StoredSnapshot } from "./checkpoint/storage.js";
export { LocalCheckpointStorage, findLatestCheckpoint } from "./checkpoint/local-storage.js";
export { RestartStrategies, type RestartStrategy } from "./checkpoint/restart-strategy.js";
export type { RestoreSettings } from "./checkpoint/restore.js";
export { DataStream, DataStreamSink } from "./datastream/data-stream.js";
export { KeyedStream } from "./datastream/keyed-stream.js";
export { DataStreamUtils } from "./datastream/data-stream-utils.js";
export { ConnectedStreams } from "./datastream/connected-streams.js";
export { BroadcastStream } from "./datastream/broadcast-stream.js";
export { WatermarkStrategy, type TimestampAssigner } from "./event-time/watermark-strategy.js";
export { BoundedOutOfOrdernessWatermarks, NoWatermarks, type WatermarkGenerator } from "./event-time/watermark-generator.js";
export { NO_TIMESTAMP, MIN_WATERMARK, MAX_WATERMARK } from "./event-time/watermark.js";
export { OutputTag } from "./output-tag.js";
export { IntervalJoin, IntervalJoined, type ProcessJoinFunction, type ProcessJoinContext } from "./join/interval-join.js";
export type { Operator, TwoInputOperator, OperatorContext, Output, KeySelector } from "./operator.js";
export type { TimerService, Timer, TimeDomain } from "./timers/timer-service.js";
export { runtimeContextOf, type RuntimeContext, type RichFunction, type Collector } from "./functions/runtime-context.js";
export type { MapFunction, FilterFunction, FlatMapFunction, ReduceFunction } from "./functions/functions.js";
export type {
  ProcessFunction,
  KeyedProcessFunction,
  CoProcessFunction,
  KeyedCoProcessFunction,
  CoMapFunction,
  CoFlatMapFunction,
  ProcessContext,
  OnTimerContext,
  KeyedProcessContext,
  KeyedOnTimerContext,
} from "./functions/process-function.js";
export type {
  KeyedBroadcastProcessFunction,
  BroadcastProcessFunction,
  BroadcastState,
  ReadOnlyBroadcastState,
  KeyedReadOnlyContext,
  KeyedBroadcastContext,
} from "./functions/broadcast-process-function.js";
export type { Source, SourceReader, SourceSplit, SourceReaderContext, ReaderOutput, InputStatus, Boundedness } from "./source/source.js";
export { CollectionSource, type CollectionSplit } from "./source/collection-source.js";
export { InMemorySource } from "./source/in-memory-source.js";
export { DataGeneratorSource, type GeneratorSplit } from "./source/data-generator-source.js";
export type { Sink, SinkWriter, SinkWriterContext } from "./sink/sink.js";
export { CollectSink, type CollectedRecord } from "./sink/collect-sink.js";
export { DiscardingSink } from "./sink/discarding-sink.js";
export { TwoPhaseCommitSink, type TwoPhaseCommitOptions, type TwoPhaseCommitState, type PendingTransaction } from "./sink/two-phase-commit-sink.js";
export { IdempotentSink, type IdempotentSinkOptions, type IdempotentRecord, type IdempotentSinkState } from "./sink/idempotent-sink.js";
export type { JobClient, JobStatus, JobExecutionResult, ExecuteResult } from "./job-client.js";
export { NOOP_METRIC_GROUP, type MetricGroup, type MetricCounter, type MetricValue } from "./metrics/metric-group.js";
export type { JobMetrics, SubtaskMetrics, CheckpointStatistics, CompletedCheckpointStats } from "./metrics/job-metrics.js";
export { LocalExecutor } from "./executor/local-executor.js";
export { WorkerExecutor, type WorkerExecutorOptions } from "./executor/worker-executor.js";
export { numericRecordCodec, type RecordCodec } from "./executor/record-codec.js";
export type { OperatorSnapshot, SourceSnapshot, TaskSnapshot } from "./executor/operator-instance.js";
export { OperatorHarness, type HarnessOptions, type HarnessRecord } from "./testing/operator-harness.js";
export * from "./windowing/index.js";
export { JoinedStreams, JoinWhere, JoinEqualTo, JoinWithWindow, type JoinFunction, type FlatJoinFunction } from "./join/joined-streams.js";
export { CoGroupedStreams, CoGroupWhere, CoGroupEqualTo, CoGroupWithWindow, type CoGroupFunction } from "./join/co-grouped-streams.js";
