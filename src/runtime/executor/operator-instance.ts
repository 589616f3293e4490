import { randomBytes } from "node:crypto";
import { JobError } from "../../errors.js";
import type { KeyedStateBackend, KeyedStateSnapshot, StateBackendFactory, StateKey } from "../../state/api.js";
import { keyGroupFor, keyGroupRangeForSubtask, subtaskForKeyGroup } from "../../state/key-group.js";
import { StatusWatermarkValve } from "../event-time/status-watermark-valve.js";
import { MAX_WATERMARK, MIN_WATERMARK } from "../event-time/watermark.js";
import type { JobNode } from "../graph/job-graph.js";
import type { Logger } from "../logger.js";
import type { KeySelector, Operator, OperatorContext, TwoInputOperator } from "../operator.js";
import { HeapOperatorStateStore } from "../operator-state.js";
import { InternalTimerService, type ProcessingTimeService, type TimersSnapshot, type TimeDomain } from "../timers/timer-service.js";
import type { Timer } from "../timers/timer-queue.js";
import type { CheckpointBarrier, SnapshotKind } from "../checkpoint/barrier.js";
import type { SourceSplit } from "../source/source.js";
import type { SubtaskMetrics } from "../metrics/job-metrics.js";
import { TaskMetricGroup } from "../metrics/metric-group.js";
import type { ChannelTarget } from "./channel.js";
import { OutputImpl } from "./output-impl.js";

/** What every subtask of a job shares. */
export interface InstanceEnv {
  readonly batch: boolean;
  readonly stateBackend: StateBackendFactory;
  readonly clock: ProcessingTimeService;
  readonly log: Logger;
  /** Work a subtask must finish before the job ends (sink flushes). */
  addPending(work: Promise<void>): void;
  /** A subtask has ended its input and sent end of input downstream. */
  instanceFinished(): void;
  /** The job takes checkpoints (sinks then commit only on completed checkpoints). */
  readonly checkpointing?: boolean;
  /** An id of this run of the job, different after each restart. */
  readonly attempt?: string;
  /**
   * A subtask has taken its part of checkpoint `barrier.id`: its state was captured when this was
   * called; `snapshot` resolves once it is serialised (or rejects if it failed).
   */
  /** A source subtask's input ended and it waits for a final checkpoint. */
  sourceAtEnd?(): void;
  acknowledge?(task: { readonly node: JobNode; readonly subtaskIndex: number }, barrier: CheckpointBarrier, snapshot: Promise<TaskSnapshot>): void;
}

/** A source subtask's part of a checkpoint: its splits with their positions. */
export interface SourceSnapshot {
  readonly kind: "source";
  readonly operatorId: string;
  readonly subtaskIndex: number;
  readonly splits: readonly SourceSplit[];
}

/** What one subtask contributes to a checkpoint. */
export type TaskSnapshot = SourceSnapshot | ({ readonly kind: "operator" } & OperatorSnapshot);

/** Everything needed to bring a subtask back: keyed state, timers, operator and broadcast state. */
export interface OperatorSnapshot {
  readonly operatorId: string;
  readonly subtaskIndex: number;
  readonly keyed: KeyedStateSnapshot | undefined;
  readonly timers: TimersSnapshot;
  readonly operator: unknown;
  readonly operatorState: Record<string, Array<[unknown, unknown]>>;
}

/** One logical input of a subtask: its channels and their combined watermark. */
class InputGate {
  readonly valve: StatusWatermarkValve;
  private ended = 0;

  constructor(
    private readonly owner: OperatorInstance,
    readonly index: 1 | 2,
    readonly channels: number,
  ) {
    this.valve = new StatusWatermarkValve(channels);
  }

  get endedChannels(): number {
    return this.ended;
  }

  channel(i: number): InputChannel {
    const owner = this.owner;
    const index = this.index;
    const valve = this.valve;
    const ch = new InputChannel(owner);
    ch.record = index === 1 ? (v, ts) => owner.push1(v, ts) : (v, ts) => owner.push2(v, ts);
    ch.watermark = (wm) => {
      const c = valve.inputWatermark(i, wm);
      if (c !== undefined) owner.onInputWatermark(index, c);
    };
    ch.idle = (idle) => {
      const c = valve.inputIdle(i, idle);
      if (c !== undefined) owner.onInputWatermark(index, c);
      owner.onIdleChange();
    };
    ch.end = () => {
      if (ch.ended) return;
      ch.ended = true;
      const c = valve.inputIdle(i, true);
      if (c !== undefined) owner.onInputWatermark(index, c);
      if (++this.ended === this.channels) owner.onInputEnd(index);
      owner.onChannelEnded();
    };
    ch.barrier = (b) => owner.onBarrier(ch, b);
    ch.open();
    return ch;
  }
}

const HELD_RECORD = 0;
const HELD_WATERMARK = 1;
const HELD_IDLE = 2;
const HELD_BARRIER = 3;
const HELD_END = 4;

/**
 * One input channel. While it is blocked for barrier alignment (its barrier has arrived, others'
 * have not), everything it receives is held in order and replayed when the alignment completes.
 * Blocking swaps the methods, so the unblocked path costs nothing extra.
 */
class InputChannel implements ChannelTarget {
  record!: (value: unknown, timestamp: number) => void;
  watermark!: (watermark: number) => void;
  idle!: (idle: boolean) => void;
  barrier!: (barrier: CheckpointBarrier) => void;
  end!: () => void;
  ended = false;
  /** Held items as triples [kind, a, b] while blocked. */
  held: unknown[] | undefined;
  private live!: Pick<InputChannel, "record" | "watermark" | "idle" | "barrier" | "end">;

  constructor(readonly owner: OperatorInstance) {}

  /** Records the live methods (after the gate set them). */
  open(): void {
    this.live = { record: this.record, watermark: this.watermark, idle: this.idle, barrier: this.barrier, end: this.end };
  }

  get blocked(): boolean {
    return this.held !== undefined;
  }

  block(): void {
    const held: unknown[] = (this.held = []);
    this.record = (v, ts) => void held.push(HELD_RECORD, v, ts);
    this.watermark = (wm) => void held.push(HELD_WATERMARK, wm, undefined);
    this.idle = (idle) => void held.push(HELD_IDLE, idle, undefined);
    this.barrier = (b) => void held.push(HELD_BARRIER, b, undefined);
    this.end = () => void held.push(HELD_END, undefined, undefined);
  }

  /** Unblocks and replays what was held; stops replaying (and holds the rest) if a replayed barrier blocks it again. */
  unblock(): void {
    const held = this.held;
    if (held === undefined) return;
    this.held = undefined;
    Object.assign(this, this.live);
    for (let i = 0; i < held.length; i += 3) {
      if (this.held !== undefined) {
        for (let j = i; j < held.length; j++) (this.held as unknown[]).push(held[j]);
        return;
      }
      const a = held[i + 1];
      switch (held[i]) {
        case HELD_RECORD:
          this.record(a, held[i + 2] as number);
          break;
        case HELD_WATERMARK:
          this.watermark(a as number);
          break;
        case HELD_IDLE:
          this.idle(a as boolean);
          break;
        case HELD_BARRIER:
          this.barrier(a as CheckpointBarrier);
          break;
        case HELD_END:
          this.end();
          break;
      }
    }
  }
}

type BatchItem = { v: unknown; ts: number; input: 1 | 2 };

/**
 * One subtask of a non-source operator: its input gates, keyed state, timers and output. It calls
 * the operator synchronously, setting the state key from the input's key selector first, combines
 * watermarks (minimum over channels, then over inputs), fires timers before forwarding a watermark,
 * and in batch mode sorts a keyed input by key and time before the operator sees it.
 */
export class OperatorInstance {
  readonly output = new OutputImpl();
  readonly gates: InputGate[] = [];
  readonly timers: InternalTimerService;
  readonly operatorState = new HeapOperatorStateStore();
  backend: KeyedStateBackend | undefined;
  readonly op: Operator<any, any> & Partial<TwoInputOperator<any, any, any>>;
  readonly keySelectors: Array<KeySelector<any> | undefined>;
  /** What the operator registers through `OperatorContext.metricGroup`. */
  readonly metricGroup = new TaskMetricGroup();
  finished = false;
  push1: (v: unknown, ts: number) => void = () => {
    throw new JobError("record before open");
  };
  push2: (v: unknown, ts: number) => void = this.push1;
  private readonly inputWatermarks = [MIN_WATERMARK, MIN_WATERMARK];
  private combined = MIN_WATERMARK;
  private endedInputs = 0;
  private batchItems: Map<unknown, { key: StateKey; items: BatchItem[] }> | undefined;
  private readonly fireEvent = (t: Timer) => this.fire(t, "event");
  private readonly fireProcessing = (t: Timer) => this.fire(t, "processing");
  /** The checkpoint being aligned, and the channels whose barrier for it has arrived (blocked). */
  private aligning: CheckpointBarrier | undefined;
  private aligned: InputChannel[] = [];
  /** Snapshot the next keyed-state snapshot incrementally (the previous one was part of a completed checkpoint). */
  private incrementalBase = false;

  constructor(
    readonly node: JobNode,
    readonly subtaskIndex: number,
    private readonly env: InstanceEnv,
  ) {
    const t = node.t;
    if (t.kind === "source") throw new JobError("OperatorInstance is not for sources");
    this.op = (t.kind === "sink" ? undefined : t.factory()) as never;
    this.keySelectors =
      t.kind === "two-input" ? [t.keySelector1, t.keySelector2] : t.kind === "one-input" ? [t.keySelector] : [undefined];
    this.timers = new InternalTimerService(() => this.backend?.getCurrentKey(), env.clock);
    const inputs = t.kind === "two-input" ? 2 : 1;
    for (let i = 1; i <= inputs; i++) {
      let channels = 0;
      for (const e of node.inputs) if (e.inputIndex === i) channels += e.partitioner.kind === "forward" ? 1 : e.from.parallelism;
      this.gates.push(new InputGate(this, i as 1 | 2, channels));
    }
  }

  /** Replaces the operator (sinks are built by the executor). */
  setOperator(op: Operator<any, any>): void {
    (this as { op: Operator<any, any> }).op = op;
  }

  /** The channel into input `inputIndex` for records from `fromSubtask` of `edge`'s upstream. */
  channelFor(edgeIndexInInputs: number, fromSubtask: number): ChannelTarget {
    const edge = this.node.inputs[edgeIndexInInputs];
    let offset = 0;
    for (let k = 0; k < edgeIndexInInputs; k++) {
      const e = this.node.inputs[k];
      if (e.inputIndex === edge.inputIndex) offset += e.partitioner.kind === "forward" ? 1 : e.from.parallelism;
    }
    const channel = edge.partitioner.kind === "forward" ? offset : offset + fromSubtask;
    return this.gates[edge.inputIndex - 1].channel(channel);
  }

  get keyed(): boolean {
    return this.keySelectors.some((k) => k !== undefined);
  }

  async open(restore?: readonly OperatorSnapshot[]): Promise<void> {
    const { node, subtaskIndex } = this;
    if (this.keyed) {
      this.backend = await this.env.stateBackend.create({
        operatorId: node.operatorId,
        subtaskIndex,
        maxParallelism: node.maxParallelism,
        keyGroupRange: keyGroupRangeForSubtask(node.maxParallelism, node.parallelism, subtaskIndex),
      });
    }
    if (restore !== undefined && restore.length > 0) await this.restoreInternal(restore);
    const ctx: OperatorContext<unknown> = {
      output: this.output,
      operatorName: node.name,
      operatorId: node.operatorId,
      subtaskIndex,
      parallelism: node.parallelism,
      maxParallelism: node.maxParallelism,
      keyedState: this.backend,
      timers: this.timers,
      operatorState: this.operatorState,
      batch: this.env.batch,
      log: this.env.log.child({ operator: node.name, subtask: subtaskIndex }),
      metricGroup: this.metricGroup,
      addPending: (w) => this.env.addPending(w),
      checkpointing: this.env.checkpointing ?? false,
      attempt: this.env.attempt ?? randomBytes(4).toString("hex"),
      // operator-defined state of old subtask j goes to new subtask j mod parallelism
      restoredStates: (restore ?? [])
        .filter((r) => r.subtaskIndex % node.parallelism === subtaskIndex && r.operator !== undefined)
        .map((r) => r.operator),
    };
    await this.op.open?.(ctx);
    // operator-defined state does not split by key group: subtask i gets what subtask i had
    const own = restore?.find((r) => r.subtaskIndex === subtaskIndex) ?? (restore?.length === 1 ? restore[0] : undefined);
    if (own !== undefined && own.operator !== undefined) this.op.restoreState?.(own.operator);
    this.push1 = this.makePush(1);
    this.push2 = this.makePush(2);
  }

  private makePush(input: 1 | 2): (v: unknown, ts: number) => void {
    const op = this.op;
    const process = input === 1 ? (op.processElement1 ?? op.processElement) : op.processElement2;
    if (process === undefined) return () => {};
    const bound = process.bind(op) as (v: unknown, ts: number) => void;
    const keyOf = this.keySelectors[input - 1];
    if (keyOf === undefined) return bound;
    if (this.env.batch) {
      const items = (this.batchItems ??= new Map());
      return (v, ts) => {
        const key = keyOf(v);
        const id = typeof key === "object" && key !== null ? JSON.stringify(key) : key;
        let group = items.get(id);
        if (group === undefined) items.set(id, (group = { key, items: [] }));
        group.items.push({ v, ts, input });
      };
    }
    const backend = this.backend!;
    if (this.unpartitionedInput(input)) {
      // keyed without a hash exchange (reinterpretAsKeyedStream): both backends refuse the first
      // entry of a key outside their key groups (Flink does not check); say why it got here
      return (v, ts) => {
        backend.setCurrentKey(keyOf(v));
        try {
          bound(v, ts);
        } catch (e) {
          throw (e as { code?: unknown }).code === "STATE_KEY_OUT_OF_RANGE" ? this.misroutedKey(backend, e) : e;
        }
      };
    }
    return (v, ts) => {
      backend.setCurrentKey(keyOf(v));
      bound(v, ts);
    };
  }

  /**
   * Whether a keyed input reaches this subtask other than by a hash exchange on its key: then its
   * keys are only as partitioned as the upstream made them. (A `keyBy` input is always hashed.)
   */
  private unpartitionedInput(input: 1 | 2): boolean {
    return this.node.parallelism > 1 && this.node.inputs.some((e) => e.inputIndex === input && e.partitioner.kind !== "hash");
  }

  private misroutedKey(backend: KeyedStateBackend, cause: unknown): JobError {
    const key = backend.getCurrentKey();
    const kg = backend.getCurrentKeyGroup();
    const range = backend.keyGroupRange;
    const owner = subtaskForKeyGroup(this.node.maxParallelism, this.node.parallelism, kg);
    return new JobError(
      `operator "${this.node.name}" (subtask ${this.subtaskIndex}): key ${JSON.stringify(key)} is in key group ${kg}, which subtask ${owner} owns, ` +
        `not this one (key groups ${range.start}-${range.end}). Its input was reinterpreted as keyed (reinterpretAsKeyedStream) but is not ` +
        `partitioned by Vigil's key groups: send a key to subtaskForKeyGroup(${this.node.maxParallelism}, ${this.node.parallelism}, keyGroupFor(key, ${this.node.maxParallelism})), or use keyBy`,
      { code: "JOB_KEY_NOT_PARTITIONED", cause },
    );
  }

  /** A checkpoint barrier on `ch`: block the channel until every input channel has delivered it. */
  onBarrier(ch: InputChannel, b: CheckpointBarrier): void {
    if (this.finished) return;
    const current = this.aligning;
    if (current !== undefined) {
      if (b.id < current.id) return; // a barrier of a checkpoint already given up
      if (b.id > current.id) {
        // a newer checkpoint overtook one that never aligned (it was aborted): start over
        this.releaseAligned();
        this.onBarrier(ch, b);
        return;
      }
    } else this.aligning = b;
    this.aligned.push(ch);
    if (!this.completeAlignmentIfReady()) ch.block();
  }

  onChannelEnded(): void {
    if (this.aligning !== undefined) this.completeAlignmentIfReady();
  }

  private completeAlignmentIfReady(): boolean {
    let total = 0;
    let ended = 0;
    for (const g of this.gates) {
      total += g.channels;
      ended += g.endedChannels;
    }
    if (this.aligned.length + ended < total) return false;
    const b = this.aligning!;
    this.aligning = undefined;
    this.env.acknowledge?.(this, b, this.snapshotAt(b));
    this.output.emitBarrier(b);
    this.releaseAligned();
    return true;
  }

  private releaseAligned(): void {
    const channels = this.aligned;
    this.aligned = [];
    this.aligning = undefined;
    for (const c of channels) c.unblock();
  }

  /**
   * Captures this subtask's state for checkpoint `b` now (timers, operator state, and the start
   * of the keyed-state snapshot, which fixes its content synchronously) and serialises it
   * asynchronously, so records after the barrier are processed while it is written.
   */
  snapshotAt(b: CheckpointBarrier): Promise<TaskSnapshot> {
    const incremental = b.kind === "checkpoint" && this.incrementalBase;
    // a savepoint's (full) snapshot becomes the backend's base, which no checkpoint stored
    if (b.kind !== "checkpoint") this.incrementalBase = false;
    let keyed: Promise<KeyedStateSnapshot> | undefined;
    let operator: unknown;
    let timers: Promise<TimersSnapshot>;
    let operatorState: OperatorSnapshot["operatorState"];
    try {
      keyed = this.backend?.snapshot(undefined, { incremental, packed: true });
      // copy-on-write: the timers are copied after the barrier, as the keyed state is
      timers = this.timers.snapshot();
      operator = this.op.snapshotState?.(b.id);
      operatorState = this.operatorState.snapshot();
    } catch (e) {
      return Promise.reject(e);
    }
    return (async () => {
      // awaited together: a failure of either is the snapshot's, never an unhandled rejection
      const [keyedSnapshot, timersSnapshot] = await Promise.all([keyed, timers]);
      return {
        kind: "operator" as const,
        operatorId: this.node.operatorId,
        subtaskIndex: this.subtaskIndex,
        keyed: keyedSnapshot,
        timers: timersSnapshot,
        operator: operator instanceof Promise ? await operator : operator,
        operatorState,
      };
    })();
  }

  /** Checkpoint `id` is stored by every subtask: later keyed snapshots may be incremental against it. */
  notifyCheckpointComplete(id: number, kind: SnapshotKind): Promise<void> | undefined {
    this.incrementalBase = kind === "checkpoint";
    const r = this.op.notifyCheckpointComplete?.(id);
    return r instanceof Promise ? r : undefined;
  }

  /** Checkpoint `id` will not complete: the next keyed snapshot must be full. */
  notifyCheckpointAborted(id: number): Promise<void> | undefined {
    this.incrementalBase = false;
    const r = this.op.notifyCheckpointAborted?.(id);
    return r instanceof Promise ? r : undefined;
  }

  onInputWatermark(index: 1 | 2, watermark: number): void {
    this.inputWatermarks[index - 1] = watermark;
    this.combineWatermarks();
  }

  /** The minimum over the inputs, idle inputs left out (with two inputs), if it moved forward. */
  private combineWatermarks(): void {
    let min = Number.POSITIVE_INFINITY;
    let active = 0;
    for (const g of this.gates) {
      if (g.valve.allIdle && this.gates.length > 1) continue;
      active++;
      const wm = this.inputWatermarks[g.index - 1];
      if (wm < min) min = wm;
    }
    // every input idle: as Flink's combined watermark, the highest any input reached
    if (active === 0) {
      min = Number.NEGATIVE_INFINITY;
      for (const g of this.gates) if (this.inputWatermarks[g.index - 1] > min) min = this.inputWatermarks[g.index - 1];
    }
    if (min <= this.combined) return;
    if (this.env.batch && min !== MAX_WATERMARK) return;
    this.advanceWatermark(min);
  }

  private advanceWatermark(watermark: number): void {
    this.combined = watermark;
    this.timers.advanceWatermark(watermark, this.fireEvent);
    if (this.op.processWatermark !== undefined) this.op.processWatermark(watermark);
    else this.output.emitWatermark(watermark);
  }

  onIdleChange(): void {
    // an input that turned idle holds nothing back any more: the other input's watermark may pass now
    if (this.gates.length > 1) this.combineWatermarks();
    this.output.emitIdle(this.gates.every((g) => g.valve.allIdle));
  }

  onInputEnd(_index: 1 | 2): void {
    if (++this.endedInputs < this.gates.length) return;
    if (this.batchItems !== undefined) this.runBatchKeyed();
    if (this.combined < MAX_WATERMARK) this.advanceWatermark(MAX_WATERMARK);
    const done = this.op.endInput?.();
    if (done instanceof Promise) this.env.addPending(done);
    this.finished = true;
    this.output.end();
    this.env.instanceFinished();
  }

  /** Batch mode: each key's records in timestamp order, then that key's timers, key after key. */
  private runBatchKeyed(): void {
    const op = this.op;
    const p1 = (op.processElement1 ?? op.processElement)!.bind(op) as (v: unknown, ts: number) => void;
    const p2 = op.processElement2?.bind(op) as ((v: unknown, ts: number) => void) | undefined;
    const backend = this.backend!;
    for (const { key, items } of this.batchItems!.values()) {
      items.sort((a, b) => a.ts - b.ts);
      backend.setCurrentKey(key);
      this.timers.setWatermark(MIN_WATERMARK);
      for (const it of items) {
        if (it.input === 1) p1(it.v, it.ts);
        else p2!(it.v, it.ts);
      }
      this.timers.advanceWatermark(MAX_WATERMARK, this.fireEvent);
    }
    this.batchItems!.clear();
    this.timers.setWatermark(MIN_WATERMARK);
  }

  private fire(timer: Timer, domain: TimeDomain): void {
    if (this.backend !== undefined && timer.key !== undefined) this.backend.setCurrentKey(timer.key);
    this.op.onTimer?.(timer, domain);
  }

  /** Fires processing-time timers due at `now`; returns when the next is due (+Infinity if none). */
  advanceProcessingTime(now: number): number {
    if (this.finished) return Number.POSITIVE_INFINITY;
    return this.timers.advanceProcessingTime(now, this.fireProcessing);
  }

  /** A reading of this subtask's metrics, from what it tracks anyway (called when metrics are asked for, never per record). */
  metrics(): SubtaskMetrics {
    let entries: number | undefined;
    try {
      entries = this.backend?.size();
    } catch {
      // a closed backend: no reading
    }
    return {
      operatorId: this.node.operatorId,
      name: this.node.name,
      subtaskIndex: this.subtaskIndex,
      kind: this.node.t.kind === "sink" ? "sink" : "operator",
      currentInputWatermark: this.combined,
      currentOutputWatermark: this.output.currentWatermark,
      idle: this.gates.every((g) => g.valve.allIdle),
      ...(entries !== undefined && { state: { backend: this.env.stateBackend.name, entries } }),
      backPressuredTimeMs: 0,
      metrics: this.metricGroup.empty ? [] : this.metricGroup.read(),
    };
  }

  /** A full snapshot now, outside any checkpoint (tests, the harness). */
  async snapshot(): Promise<OperatorSnapshot> {
    const { kind: _, ...snapshot } = (await this.snapshotAt({ id: 0, timestamp: Date.now(), kind: "savepoint" })) as { kind: "operator" } & OperatorSnapshot;
    return snapshot;
  }

  /** Restores keyed state, timers and broadcast state from snapshots of any parallelism. */
  private async restoreInternal(snapshots: readonly OperatorSnapshot[]): Promise<void> {
    const keyed = snapshots.map((s) => s.keyed).filter((k): k is KeyedStateSnapshot => k !== undefined);
    if (this.backend !== undefined && keyed.length > 0) await this.backend.restore(keyed);
    const range = this.backend?.keyGroupRange;
    const owns = (k: StateKey | undefined) => {
      if (range === undefined || k === undefined) return true;
      const kg = keyGroupFor(k, this.node.maxParallelism);
      return kg >= range.start && kg <= range.end;
    };
    for (const s of snapshots) {
      this.timers.restore(s.timers, owns);
      if (this.operatorState.names().length === 0) this.operatorState.restore(s.operatorState);
    }
  }

  async close(): Promise<void> {
    try {
      await this.op.close?.();
    } finally {
      await this.backend?.close();
    }
  }
}
