import type { KeyedStateBackend, StateKey } from "../state/api.js";
import type { OutputTag } from "./output-tag.js";
import type { OperatorTimerService, Timer, TimeDomain } from "./timers/timer-service.js";
import type { OperatorStateStore } from "./operator-state.js";
import type { Logger } from "./logger.js";
import type { MetricGroup } from "./metrics/metric-group.js";

/**
 * Where an operator emits: records with their timestamp, side-output records, and watermarks.
 * Calls are synchronous and go straight into the next chained operator.
 */
export interface Output<T> {
  collect(value: T, timestamp: number): void;
  collectSide<X>(tag: OutputTag<X>, value: X, timestamp: number): void;
  emitWatermark(watermark: number): void;
}

/** What the runtime gives an operator when it opens. */
export interface OperatorContext<O> {
  readonly output: Output<O>;
  /** Operator name (for logs and errors). */
  readonly operatorName: string;
  /** Stable id of the operator: its `uid` if set, else derived from its position in the graph. */
  readonly operatorId: string;
  readonly subtaskIndex: number;
  readonly parallelism: number;
  readonly maxParallelism: number;
  /** Keyed state of this subtask; present when the operator's input is keyed. */
  readonly keyedState: KeyedStateBackend | undefined;
  /** Timers of this subtask; keyed timers need a keyed input. */
  readonly timers: OperatorTimerService;
  /** Operator (non-keyed) state, e.g. broadcast state. */
  readonly operatorState: OperatorStateStore;
  /** Registers work the task must finish before it ends or checkpoints (a sink's pending write). */
  addPending(work: Promise<void>): void;
  /** The job runs in batch mode: input arrives sorted by key and time, no watermarks until the end. */
  readonly batch: boolean;
  /** The job takes checkpoints. */
  readonly checkpointing: boolean;
  /** An id of this run of the job, different after each restart. */
  readonly attempt: string;
  /**
   * On a restore: what `snapshotState` returned in the old subtasks this one takes over (old
   * subtask j goes to new subtask j mod parallelism). `restoreState` gets only the state of the
   * subtask with the same index; operators that must not lose any (sinks) read this instead.
   */
  readonly restoredStates: readonly unknown[];
  readonly log: Logger;
  /**
   * Where the operator registers its own counters and gauges (Flink's operator metric group);
   * they appear in `JobClient.getMetrics()`. Absent outside a job's executor.
   */
  readonly metricGroup?: MetricGroup;
}

/**
 * A stream operator, after Arroyo's `ArrowOperator`: only `processElement` is required; every other
 * hook has a default (watermarks are forwarded, timers and state are ignored). An operator is
 * created per subtask, opened once, and then called synchronously by the runtime. For a keyed input
 * the runtime has set the current key on the state backend before `processElement` and `onTimer`.
 */
export interface Operator<I, O> {
  processElement(value: I, timestamp: number): void;
  /** Called once before the first element; may await (state, connections). */
  open?(ctx: OperatorContext<O>): void | Promise<void>;
  /**
   * Called when the combined input watermark advances, after due event-time timers fired.
   * Default: forward the watermark to the output.
   */
  processWatermark?(watermark: number): void;
  /** A due timer; the current key is the timer's key. */
  onTimer?(timer: Timer, domain: TimeDomain): void;
  /** Called when all inputs have ended (bounded input), after the final watermark; may flush. */
  endInput?(): void | Promise<void>;
  /**
   * Operator state that is not keyed state or timers (those the runtime snapshots itself), taken
   * when a checkpoint barrier has arrived on every input. What belongs to the checkpoint must be
   * decided in the call; a returned promise may finish the I/O (a sink's pre-commit).
   */
  snapshotState?(checkpointId: number): unknown;
  /** Called after `open` with what `snapshotState` returned, when the subtask is restored. */
  restoreState?(state: unknown): void;
  /** Every subtask of the job has stored checkpoint `checkpointId` (commit transactions). */
  notifyCheckpointComplete?(checkpointId: number): void | Promise<void>;
  /** Checkpoint `checkpointId` will not complete. */
  notifyCheckpointAborted?(checkpointId: number): void | Promise<void>;
  close?(): void | Promise<void>;
}

/** A two-input operator (connect, joins, broadcast): one method per input; the watermark is the minimum of both inputs. */
export interface TwoInputOperator<I1, I2, O> {
  processElement1(value: I1, timestamp: number): void;
  processElement2(value: I2, timestamp: number): void;
  open?(ctx: OperatorContext<O>): void | Promise<void>;
  processWatermark?(watermark: number): void;
  onTimer?(timer: Timer, domain: TimeDomain): void;
  endInput?(): void | Promise<void>;
  snapshotState?(checkpointId: number): unknown;
  restoreState?(state: unknown): void;
  notifyCheckpointComplete?(checkpointId: number): void | Promise<void>;
  notifyCheckpointAborted?(checkpointId: number): void | Promise<void>;
  close?(): void | Promise<void>;
}

/** Key selector of a keyed stream. */
export type KeySelector<T, K extends StateKey = StateKey> = (value: T) => K;
