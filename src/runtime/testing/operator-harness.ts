import type { StateBackendFactory, StateKey } from "../../state/api.js";
import { DEFAULT_MAX_PARALLELISM } from "../../state/key-group.js";
import { heapBackend } from "../../state/index.js";
import type { CheckpointBarrier } from "../checkpoint/barrier.js";
import type { ChannelTarget } from "../executor/channel.js";
import { OperatorInstance, type InstanceEnv, type OperatorSnapshot, type TaskSnapshot } from "../executor/operator-instance.js";
import type { BroadcastProcessFunction, KeyedBroadcastProcessFunction } from "../functions/broadcast-process-function.js";
import type {
  CoProcessFunction,
  KeyedCoProcessFunction,
  KeyedProcessFunction,
  ProcessFunction,
} from "../functions/process-function.js";
import type { JobNode } from "../graph/job-graph.js";
import { runtimeLogger } from "../logger.js";
import type { KeySelector, Operator, TwoInputOperator } from "../operator.js";
import type { OutputTag } from "../output-tag.js";
import { copyFunction } from "../functions/functions.js";
import { BroadcastProcessOperator } from "../operators/broadcast-process-operator.js";
import { CoProcessOperator } from "../operators/co-process-operator.js";
import { ProcessOperator } from "../operators/process-operator.js";

/** A record an operator emitted, with its timestamp. */
export interface HarnessRecord<T> {
  readonly value: T;
  readonly timestamp: number;
}

export interface HarnessOptions {
  /** State backend (default: heap). */
  backend?: StateBackendFactory;
  maxParallelism?: number;
  parallelism?: number;
  subtaskIndex?: number;
  /** Start of processing time (default 0). */
  processingTime?: number;
  /** Run as in batch mode. */
  batch?: boolean;
}

interface Setup {
  kind: "one-input" | "two-input";
  factory: () => Operator<any, any> | TwoInputOperator<any, any, any>;
  keySelectors: [KeySelector<any> | undefined, KeySelector<any> | undefined];
  options: HarnessOptions;
}

/**
 * Runs one operator subtask without a job, as Flink's `...OperatorTestHarness`: push records and
 * watermarks, move processing time, read what came out (records, side outputs, watermarks),
 * snapshot it and restore the snapshot into a new harness. The operator runs exactly as in a job
 * (same instance code: key selection, timers, watermark handling, state backend).
 */
export class OperatorHarness<I1, O, I2 = never> {
  private readonly out: Array<HarnessRecord<O>> = [];
  private readonly side = new Map<string, Array<HarnessRecord<unknown>>>();
  private readonly watermarks: number[] = [];
  private readonly barriers: CheckpointBarrier[] = [];
  private readonly checkpoints = new Map<number, Promise<TaskSnapshot>>();
  private readonly pending: Array<Promise<void>> = [];
  private time: number;
  private readonly instance: OperatorInstance;
  private readonly channels: ChannelTarget[];
  private readonly setup: Setup;

  private constructor(setup: Setup) {
    this.setup = setup;
    const o = setup.options;
    this.time = o.processingTime ?? 0;
    const env: InstanceEnv = {
      batch: o.batch ?? false,
      stateBackend: o.backend ?? heapBackend(),
      clock: { now: () => this.time, scheduleWakeUp: () => {} },
      log: runtimeLogger(),
      addPending: (w) => void this.pending.push(w),
      instanceFinished: () => {},
      acknowledge: (_task, b, snapshot) => {
        snapshot.catch(() => {});
        this.checkpoints.set(b.id, snapshot);
      },
    };
    const upstream = { parallelism: 1 } as JobNode;
    const t =
      setup.kind === "one-input"
        ? { kind: "one-input", factory: setup.factory, keySelector: setup.keySelectors[0] }
        : { kind: "two-input", factory: setup.factory, keySelector1: setup.keySelectors[0], keySelector2: setup.keySelectors[1] };
    const node = {
      t: { ...t, id: 0, name: "operator-under-test", uid: undefined, parallelism: o.parallelism ?? 1, chainable: true },
      id: 0,
      operatorId: "operator-under-test",
      name: "operator-under-test",
      parallelism: o.parallelism ?? 1,
      maxParallelism: o.maxParallelism ?? DEFAULT_MAX_PARALLELISM,
      outputs: [],
      inputs: [] as unknown[],
    } as unknown as JobNode;
    const inputs = setup.kind === "one-input" ? [1] : [1, 2];
    for (const i of inputs) {
      (node.inputs as unknown[]).push({ from: upstream, to: node, inputIndex: i, partitioner: { kind: "forward" }, tag: undefined, chained: false });
    }
    this.instance = new OperatorInstance(node, o.subtaskIndex ?? 0, env);
    this.channels = inputs.map((_, i) => this.instance.channelFor(i, 0));
    const output = this.instance.output;
    output.add(
      {
        record: (v, ts) => void this.out.push({ value: v as O, timestamp: ts }),
        watermark: (wm) => void this.watermarks.push(wm),
        idle: () => {},
        barrier: (b) => void this.barriers.push(b),
        end: () => {},
      },
      undefined,
    );
    output.collectSide = (tag, value, timestamp) => {
      let list = this.side.get(tag.id);
      if (list === undefined) this.side.set(tag.id, (list = []));
      list.push({ value, timestamp });
    };
  }

  /** A harness for a one-input operator; `keySelector` makes its input keyed. */
  static async forOperator<I, O>(
    factory: () => Operator<I, O>,
    keySelector?: KeySelector<I>,
    options: HarnessOptions = {},
    restore?: OperatorSnapshot[],
  ): Promise<OperatorHarness<I, O>> {
    const h = new OperatorHarness<I, O>({ kind: "one-input", factory, keySelectors: [keySelector, undefined], options });
    await h.instance.open(restore);
    return h;
  }

  /** A harness for a two-input operator. */
  static async forTwoInputOperator<I1, I2, O>(
    factory: () => TwoInputOperator<I1, I2, O>,
    keySelector1?: KeySelector<I1>,
    keySelector2?: KeySelector<I2>,
    options: HarnessOptions = {},
    restore?: OperatorSnapshot[],
  ): Promise<OperatorHarness<I1, O, I2>> {
    const h = new OperatorHarness<I1, O, I2>({ kind: "two-input", factory, keySelectors: [keySelector1, keySelector2], options });
    await h.instance.open(restore);
    return h;
  }

  static forProcessFunction<I, O>(fn: ProcessFunction<I, O>, options?: HarnessOptions): Promise<OperatorHarness<I, O>> {
    return OperatorHarness.forOperator(() => new ProcessOperator(copyFunction(fn)), undefined, options);
  }

  static forKeyedProcessFunction<K extends StateKey, I, O>(
    fn: KeyedProcessFunction<K, I, O>,
    keySelector: KeySelector<I, K>,
    options?: HarnessOptions,
  ): Promise<OperatorHarness<I, O>> {
    return OperatorHarness.forOperator(() => new ProcessOperator(copyFunction(fn) as never), keySelector, options);
  }

  static forCoProcessFunction<I1, I2, O>(
    fn: CoProcessFunction<I1, I2, O> | KeyedCoProcessFunction<any, I1, I2, O>,
    keySelector1?: KeySelector<I1>,
    keySelector2?: KeySelector<I2>,
    options?: HarnessOptions,
  ): Promise<OperatorHarness<I1, O, I2>> {
    return OperatorHarness.forTwoInputOperator(() => new CoProcessOperator(copyFunction(fn) as never), keySelector1, keySelector2, options);
  }

  static forBroadcastProcessFunction<I, B, O>(
    fn: KeyedBroadcastProcessFunction<any, I, B, O> | BroadcastProcessFunction<I, B, O>,
    keySelector?: KeySelector<I>,
    options?: HarnessOptions,
  ): Promise<OperatorHarness<I, O, B>> {
    return OperatorHarness.forTwoInputOperator(() => new BroadcastProcessOperator(copyFunction(fn) as never), keySelector, undefined, options);
  }

  /** Pushes a record into input 1. */
  processElement(value: I1, timestamp = Number.NEGATIVE_INFINITY): this {
    this.channels[0].record(value, timestamp);
    return this;
  }

  processElement1(value: I1, timestamp = Number.NEGATIVE_INFINITY): this {
    return this.processElement(value, timestamp);
  }

  processElement2(value: I2, timestamp = Number.NEGATIVE_INFINITY): this {
    this.channels[1].record(value, timestamp);
    return this;
  }

  /** Advances the watermark of every input (of input 1 only, for `processWatermark1`). */
  processWatermark(watermark: number): this {
    for (const c of this.channels) c.watermark(watermark);
    return this;
  }

  processWatermark1(watermark: number): this {
    this.channels[0].watermark(watermark);
    return this;
  }

  processWatermark2(watermark: number): this {
    this.channels[1].watermark(watermark);
    return this;
  }

  /** Marks input `input` idle (or active again), as a source whose splits have no records does. */
  processIdle(input: 1 | 2, idle = true): this {
    this.channels[input - 1].idle(idle);
    return this;
  }

  /** Moves processing time to `time` and fires due processing-time timers. */
  /** A checkpoint barrier on input 1 (or `input`); the subtask snapshots once it has arrived on every input. */
  processBarrier(id: number, input: 1 | 2 = 1): this {
    this.channels[input - 1].barrier({ id, timestamp: this.time, kind: "checkpoint" });
    return this;
  }

  /** The barriers the operator forwarded, in order. */
  getBarriers(): CheckpointBarrier[] {
    return [...this.barriers];
  }

  /** The snapshot the subtask took at barrier `id` (undefined until every input delivered it). */
  async checkpointSnapshot(id: number): Promise<OperatorSnapshot | undefined> {
    const s = await this.checkpoints.get(id);
    if (s === undefined || s.kind !== "operator") return undefined;
    const { kind: _, ...snapshot } = s;
    return snapshot;
  }

  /** Tells the operator that checkpoint `id` completed (sinks commit). */
  async notifyCheckpointComplete(id: number): Promise<this> {
    await this.instance.notifyCheckpointComplete(id, "checkpoint");
    return this;
  }

  setProcessingTime(time: number): this {
    this.time = time;
    this.instance.advanceProcessingTime(time);
    return this;
  }

  getProcessingTime(): number {
    return this.time;
  }

  /** Ends every input (fires remaining event-time timers, as at the end of a bounded input). */
  async endInput(): Promise<this> {
    for (const c of this.channels) c.end();
    await this.settle();
    return this;
  }

  /** Ends one input only (the other keeps running). */
  endInput1(): this {
    this.channels[0].end();
    return this;
  }

  endInput2(): this {
    this.channels[1].end();
    return this;
  }

  /** Everything emitted on the main output so far (with timestamps). */
  getOutput(): Array<HarnessRecord<O>> {
    return [...this.out];
  }

  /** The values emitted on the main output so far. */
  extractOutputValues(): O[] {
    return this.out.map((r) => r.value);
  }

  /** Records emitted to a side output. */
  getSideOutput<X>(tag: OutputTag<X>): Array<HarnessRecord<X>> {
    return [...((this.side.get(tag.id) as Array<HarnessRecord<X>>) ?? [])];
  }

  /** Watermarks the operator forwarded, in order. */
  getWatermarks(): number[] {
    return [...this.watermarks];
  }

  /** Clears collected output (records, side outputs, watermarks). */
  clearOutput(): this {
    this.out.length = 0;
    this.side.clear();
    this.watermarks.length = 0;
    return this;
  }

  /** Number of event-time and processing-time timers registered. */
  numEventTimeTimers(): number {
    return this.instance.timers.eventTimers.size;
  }

  numProcessingTimeTimers(): number {
    return this.instance.timers.processingTimers.size;
  }

  /** The state backend (for assertions on state). */
  get keyedState() {
    return this.instance.backend;
  }

  /** A snapshot of the operator's keyed state, timers and operator state. */
  async snapshot(): Promise<OperatorSnapshot> {
    await this.settle();
    return this.instance.snapshot();
  }

  /**
   * A new harness for the same operator restored from snapshots (one, or several when scaling);
   * options may change parallelism and subtask index (rescaling by key group).
   */
  async restore(snapshots: OperatorSnapshot | OperatorSnapshot[], options: HarnessOptions = {}): Promise<OperatorHarness<I1, O, I2>> {
    const list = Array.isArray(snapshots) ? snapshots : [snapshots];
    const setup = { ...this.setup, options: { ...this.setup.options, ...options } };
    const h = new OperatorHarness<I1, O, I2>(setup);
    await h.instance.open(list);
    return h;
  }

  private async settle(): Promise<void> {
    while (this.pending.length > 0) await Promise.all(this.pending.splice(0));
  }

  async close(): Promise<void> {
    await this.settle();
    await this.instance.close();
  }
}
