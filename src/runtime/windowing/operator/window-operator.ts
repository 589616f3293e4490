import { JobError } from "../../../errors.js";
import type { AggregateFunction, KeyedStateBackend, ValueState } from "../../../state/api.js";
import type { Collector } from "../../functions/runtime-context.js";
import { runtimeContextOf } from "../../functions/runtime-context.js";
import type { Operator, OperatorContext, Output } from "../../operator.js";
import type { OutputTag } from "../../output-tag.js";
import type { OperatorTimerService, Timer, TimeDomain } from "../../timers/timer-service.js";
import type { Evictor, EvictorContext, MergingWindowAssigner, Trigger, Window, WindowAssigner, WindowAssignerContext } from "../api.js";
import { TriggerResult, isFire, isMergingAssigner, isPurge } from "../api.js";
import { EventTimeTrigger } from "../triggers/event-time-trigger.js";
import { ProcessingTimeTrigger } from "../triggers/processing-time-trigger.js";
import type { InternalWindowFunction } from "./internal-window-function.js";
import { MERGING_WINDOW_SET, MergingWindowSet, type MergeFunction } from "./merging-window-set.js";
import { ProcessWindowContextImpl } from "./process-window-context.js";
import { AccumulatingContents, BufferingContents, EvictingContents, WINDOW_CONTENTS, type WindowContents } from "./window-contents.js";
import { WindowTriggerContext } from "./window-trigger-context.js";

/** The end of time (Flink's `Long.MAX_VALUE`): no cleanup timer is set for windows ending there. */
const MAX_TS = Number.MAX_SAFE_INTEGER;

/** Which built-in trigger the operator may short-circuit for elements of a non-empty window. */
const NO_FAST_PATH = 0;
const EVENT_TIME_TRIGGER = 1;
const PROCESSING_TIME_TRIGGER = 2;

/** What a window operator is built from (`WindowedStream` assembles it). */
export interface WindowOperatorSpec<IN, ACC, V, OUT, K, W extends Window> {
  readonly assigner: WindowAssigner<IN, W>;
  readonly trigger: Trigger<IN, W>;
  readonly evictor: Evictor<IN, W> | undefined;
  /** How long after a window's end late elements still update it (event time only), ms. */
  readonly allowedLatenessMs: number;
  /** Where elements too late for every window go; dropped (and counted) when undefined. */
  readonly lateDataTag: OutputTag<IN> | undefined;
  /** Pre-aggregation as elements arrive; undefined keeps every element for the window function. */
  readonly aggregate: AggregateFunction<IN, ACC, V> | undefined;
  readonly windowFunction: InternalWindowFunction<V, OUT, K, W>;
}

/** Emits the window function's output stamped with the window's max timestamp. */
class TimestampedCollector<T> implements Collector<T> {
  ts = 0;

  constructor(private readonly output: Output<T>) {}

  collect(value: T): void {
    this.output.collect(value, this.ts);
  }
}

/**
 * The keyed window operator, as Flink's `WindowOperator` (and `EvictingWindowOperator` when an
 * evictor is set): assigns each element to windows, adds it to each window's contents (keyed state
 * in the window's namespace), asks the trigger whether to fire and purge, and cleans a window's
 * state up at `maxTimestamp() + allowedLateness` (event time) or `maxTimestamp()` (processing
 * time) with a timer. Elements whose every window is already cleaned up are late: they go to the
 * late-data side output, or are dropped and counted in `numLateRecordsDropped`. Merging assigners
 * (sessions) keep a `MergingWindowSet` per key.
 *
 * Hot path (a fixed-size assigner with the default trigger and incremental aggregation): the
 * assigner returns its cached window array, the namespaces of that array are cached here, and for
 * an element of a window that already has contents the trigger's and the cleanup timer's
 * registration (each a no-op re-registration of the same timer) is skipped, so an element costs
 * one state read and one state write.
 *
 * Firing (event-time windows, the default trigger, incremental aggregation, no allowed lateness,
 * a backend with `drainNamespace` (both built-in ones), streaming mode): a window's end is one
 * keyless timer for all its keys instead of a timer per key and window, and when it fires the
 * window's entries are taken from the backend whole and emitted in the order the keys entered the
 * window, the order per-key timers fire in, with no lookup or delete per key. Elsewhere (other
 * triggers, lateness, batch mode) timers are per key, as in Flink. Either kind of timer restores
 * into either: a keyless timer on a backend without `drainNamespace` fires key by key.
 */
export class WindowOperator<IN, ACC, V, OUT, K, W extends Window> implements Operator<IN, OUT> {
  /** Late elements dropped because no late-data side output was set (Flink's `numLateRecordsDropped`). */
  numLateRecordsDropped = 0;
  private readonly assigner: WindowAssigner<IN, W>;
  private readonly trigger: Trigger<IN, W>;
  private readonly eventTime: boolean;
  private readonly lateness: number;
  private readonly merging: boolean;
  private readonly fast: number;
  private ctx!: OperatorContext<OUT>;
  private backend!: KeyedStateBackend;
  private timers!: OperatorTimerService;
  private contents!: WindowContents<IN, OUT, K, W>;
  private tctx!: WindowTriggerContext<W>;
  private pctx!: ProcessWindowContextImpl<W>;
  private collector!: TimestampedCollector<OUT>;
  private mergingState: ValueState<string[]> | undefined;
  private lastWindows: readonly W[] | undefined;
  private lastNamespaces: string[] = [];
  private timerNs = "";
  /** Whether windows fire for all keys at once (see the class comment); decided in `open`. */
  private bulk = false;
  /** The namespace whose keyless end-of-window timer was registered last (skips the queue's duplicate check). */
  private bulkNs: string | undefined;
  private timerWindow: W | undefined;
  private readonly assignerContext: WindowAssignerContext = { getCurrentProcessingTime: () => this.timers.currentProcessingTime() };
  private readonly evictorContext: EvictorContext = {
    getCurrentProcessingTime: () => this.timers.currentProcessingTime(),
    getCurrentWatermark: () => this.timers.currentWatermark(),
  };

  constructor(private readonly spec: WindowOperatorSpec<IN, ACC, V, OUT, K, W>) {
    this.assigner = spec.assigner;
    this.trigger = spec.trigger;
    this.eventTime = spec.assigner.isEventTime();
    this.lateness = spec.allowedLatenessMs;
    this.merging = isMergingAssigner(spec.assigner);
    if (this.merging && !(spec.trigger.canMerge?.() ?? false)) {
      throw new JobError(`a merging window assigner (${spec.assigner}) cannot be used with a trigger that does not support merging (${spec.trigger})`);
    }
    if (this.merging && spec.evictor === undefined && spec.aggregate !== undefined && typeof spec.aggregate.merge !== "function") {
      throw new JobError(`aggregate on merging windows (${spec.assigner}) needs an AggregateFunction with merge()`);
    }
    // (a processing-time trigger on event-time windows fires again for elements after its timer: no fast path)
    const ctor = spec.trigger.constructor;
    if (this.merging) this.fast = NO_FAST_PATH;
    else if (ctor === EventTimeTrigger) this.fast = EVENT_TIME_TRIGGER;
    else if (ctor === ProcessingTimeTrigger && !this.eventTime) this.fast = PROCESSING_TIME_TRIGGER;
    else this.fast = NO_FAST_PATH;
  }

  async open(ctx: OperatorContext<OUT>): Promise<void> {
    const backend = ctx.keyedState;
    if (backend === undefined) throw new JobError(`operator "${ctx.operatorName}": a window operator needs a keyed input (keyBy or windowAll)`);
    this.ctx = ctx;
    this.backend = backend;
    this.timers = ctx.timers;
    this.tctx = new WindowTriggerContext(ctx.timers, backend);
    this.pctx = new ProcessWindowContextImpl(ctx as OperatorContext<unknown>, backend, this.merging);
    this.collector = new TimestampedCollector(ctx.output);
    const { evictor, aggregate, windowFunction: fn } = this.spec;
    if (evictor !== undefined) this.contents = new EvictingContents(backend, evictor, this.evictorContext, aggregate, fn);
    else if (aggregate !== undefined) this.contents = new AccumulatingContents(backend, aggregate, fn);
    else this.contents = new BufferingContents(backend, fn as unknown as InternalWindowFunction<IN, OUT, K, W>);
    if (this.merging) this.mergingState = backend.getPartitionedState({ kind: "value", name: MERGING_WINDOW_SET }) as ValueState<string[]>;
    this.bulk =
      this.fast === EVENT_TIME_TRIGGER &&
      this.eventTime &&
      this.lateness === 0 &&
      !ctx.batch &&
      this.contents instanceof AccumulatingContents &&
      typeof backend.drainNamespace === "function";
    await fn.open(runtimeContextOf(ctx as OperatorContext<unknown>));
  }

  processElement(value: IN, timestamp: number): void {
    const windows = this.assigner.assignWindows(value, timestamp, this.assignerContext);
    const namespaces = windows === this.lastWindows ? this.lastNamespaces : this.namespacesOf(windows);
    if (this.merging) {
      this.processMerging(value, timestamp, windows, namespaces);
      return;
    }
    const wm = this.timers.currentWatermark();
    const contents = this.contents;
    const fast = this.fast;
    let skipped = true;
    for (let i = 0; i < windows.length; i++) {
      const window = windows[i];
      const maxTs = window.maxTimestamp();
      if (this.eventTime && this.cleanupTime(maxTs) <= wm) continue; // the window is late
      skipped = false;
      contents.setNamespace(namespaces[i]);
      const first = contents.add(value, timestamp);
      // the built-in trigger would re-register the timer it registered for the first element
      if (!first && (fast === PROCESSING_TIME_TRIGGER || (fast === EVENT_TIME_TRIGGER && maxTs > wm))) continue;
      if (first && fast === EVENT_TIME_TRIGGER && maxTs > wm && this.eventTime && this.lateness === 0) {
        // what EventTimeTrigger.onElement does for a window still open (a timer at its end, CONTINUE),
        // without the duplicate check: the window was empty, so its key has no timer for it yet
        if (!this.bulk) this.timers.registerNewEventTimeTimer(maxTs, namespaces[i]);
        else if (namespaces[i] !== this.bulkNs) {
          this.timers.registerKeylessEventTimeTimer(maxTs, namespaces[i]);
          this.bulkNs = namespaces[i];
        }
        continue;
      }
      this.afterAdd(value, timestamp, window, namespaces[i]);
    }
    if (skipped && this.eventTime && timestamp + this.lateness <= wm) this.lateElement(value, timestamp);
  }

  private processMerging(value: IN, timestamp: number, windows: readonly W[], namespaces: readonly string[]): void {
    const set = this.mergingWindowSet();
    const wm = this.timers.currentWatermark();
    let skipped = true;
    for (let i = 0; i < windows.length; i++) {
      const actualNs = set.addWindow(windows[i], namespaces[i], this.mergeFunction);
      const actual = set.window(actualNs)!;
      if (this.eventTime && this.cleanupTime(actual.maxTimestamp()) <= wm) {
        set.retireWindow(actualNs);
        continue;
      }
      skipped = false;
      this.contents.setNamespace(set.getStateWindow(actualNs)!);
      this.contents.add(value, timestamp);
      this.afterAdd(value, timestamp, actual, actualNs);
    }
    set.persist();
    if (skipped && this.eventTime && timestamp + this.lateness <= wm) this.lateElement(value, timestamp);
  }

  /** Asks the trigger about an added element, fires and purges as told, and sets the cleanup timer (contents at the state window). */
  private afterAdd(value: IN, timestamp: number, window: W, ns: string): void {
    const tctx = this.tctx;
    tctx.window = window;
    tctx.ns = ns;
    const r = this.trigger.onElement(value, timestamp, window, tctx);
    if (isFire(r)) this.emit(window, ns);
    if (isPurge(r)) this.contents.clear();
    // event time without lateness: an EventTimeTrigger that CONTINUEs just registered this very timer
    if (this.fast === EVENT_TIME_TRIGGER && this.eventTime && this.lateness === 0 && r === TriggerResult.CONTINUE) return;
    this.registerCleanupTimer(window, ns);
  }

  /** Merges windows' trigger state, timers and contents (Flink's merge function in `WindowOperator.processElement`). */
  private readonly mergeFunction: MergeFunction<W> = (mergeResult, resultNs, mergedWindows, mergedNamespaces, stateWindow, mergedStateWindows) => {
    const maxTs = mergeResult.maxTimestamp();
    if (this.eventTime ? this.cleanupTime(maxTs) <= this.timers.currentWatermark() : maxTs <= this.timers.currentProcessingTime()) {
      throw new JobError(`the end of a window cannot become earlier than the current ${this.eventTime ? "watermark" : "processing time"} by merging (${mergeResult})`);
    }
    const tctx = this.tctx;
    tctx.window = mergeResult;
    tctx.ns = resultNs;
    tctx.mergedNamespaces = mergedNamespaces;
    try {
      this.trigger.onMerge?.(mergeResult, tctx);
    } finally {
      tctx.mergedNamespaces = undefined;
    }
    for (let i = 0; i < mergedWindows.length; i++) {
      tctx.window = mergedWindows[i];
      tctx.ns = mergedNamespaces[i];
      this.trigger.clear(mergedWindows[i], tctx);
      this.deleteCleanupTimer(mergedWindows[i], mergedNamespaces[i]);
    }
    this.contents.merge(stateWindow, mergedStateWindows);
  };

  onTimer(timer: Timer, domain: TimeDomain): void {
    // keys are never undefined: a timer without one is a window's end for all its keys
    if (timer.key === undefined) {
      this.fireForAllKeys(timer, domain);
      return;
    }
    const ns = timer.namespace;
    const window = this.windowOf(ns);
    let set: MergingWindowSet<W> | undefined;
    let stateNs = ns;
    if (this.merging) {
      set = this.mergingWindowSet();
      const s = set.getStateWindow(ns);
      if (s === undefined) return; // merged into another window, or already cleaned up
      stateNs = s;
    }
    const contents = this.contents;
    contents.setNamespace(stateNs);
    const tctx = this.tctx;
    tctx.window = window;
    tctx.ns = ns;
    const time = timer.timestamp;
    const r = domain === "event" ? this.trigger.onEventTime(time, window, tctx) : this.trigger.onProcessingTime(time, window, tctx);
    if (isFire(r)) this.emit(window, ns);
    if (isPurge(r)) contents.clear();
    const maxTs = window.maxTimestamp();
    if ((domain === "event") === this.eventTime && time === this.cleanupTime(maxTs)) {
      // the built-in triggers' clear deletes their timer at maxTs: this one, already gone
      const ownTimer = time === maxTs && (domain === "event" ? this.fast === EVENT_TIME_TRIGGER : this.fast === PROCESSING_TIME_TRIGGER);
      this.clearAllState(window, ns, set, !ownTimer);
    }
    set?.persist();
  }

  /** A keyless timer: fires (and cleans up) its window for every key that has it. */
  private fireForAllKeys(timer: Timer, domain: TimeDomain): void {
    const ns = timer.namespace;
    if (ns === this.bulkNs) this.bulkNs = undefined;
    if (!this.bulk) {
      // set by a job on the heap and restored here (another backend, or batch mode): key by key
      this.backend.applyToAllKeys(WINDOW_CONTENTS, (key) => this.onTimer({ key, namespace: ns, timestamp: timer.timestamp }, domain));
      return;
    }
    const window = this.windowOf(ns);
    const p = this.pctx;
    p.w = window;
    p.ns = ns;
    this.collector.ts = window.maxTimestamp();
    const contents = this.contents as AccumulatingContents<IN, ACC, V, OUT, K, W>;
    const backend = this.backend;
    const collector = this.collector;
    const clear = this.spec.windowFunction.clear;
    backend.drainNamespace!(WINDOW_CONTENTS, ns, (acc) => {
      contents.emitStored(acc as ACC, backend.getCurrentKey() as K, p, collector);
      if (clear !== undefined) clear(p);
    });
  }

  /** Runs the window function on the window's contents (the contents' namespace must be set). */
  private emit(window: W, ns: string): void {
    this.collector.ts = window.maxTimestamp();
    const p = this.pctx;
    p.w = window;
    p.ns = ns;
    this.contents.emit(window, this.backend.getCurrentKey() as K, p, this.collector);
  }

  /** Removes everything of a window: contents, trigger state and timers, the function's per-window state. */
  private clearAllState(window: W, ns: string, set: MergingWindowSet<W> | undefined, clearTrigger: boolean): void {
    this.contents.clear();
    if (clearTrigger) {
      const tctx = this.tctx;
      tctx.window = window;
      tctx.ns = ns;
      this.trigger.clear(window, tctx);
    }
    const clear = this.spec.windowFunction.clear;
    if (clear !== undefined) {
      this.pctx.w = window;
      this.pctx.ns = ns;
      clear(this.pctx);
    }
    set?.retireWindow(ns);
  }

  private lateElement(value: IN, timestamp: number): void {
    const tag = this.spec.lateDataTag;
    if (tag !== undefined) this.ctx.output.collectSide(tag, value, timestamp);
    else this.numLateRecordsDropped++;
  }

  /** `maxTimestamp + allowedLateness` in event time, `maxTimestamp` in processing time (capped at the end of time). */
  private cleanupTime(maxTs: number): number {
    if (!this.eventTime) return maxTs;
    const t = maxTs + this.lateness;
    return t < MAX_TS ? t : MAX_TS;
  }

  private registerCleanupTimer(window: W, ns: string): void {
    const t = this.cleanupTime(window.maxTimestamp());
    if (t >= MAX_TS) return;
    if (this.eventTime) this.timers.registerEventTimeTimer(t, ns);
    else this.timers.registerProcessingTimeTimer(t, ns);
  }

  private deleteCleanupTimer(window: W, ns: string): void {
    const t = this.cleanupTime(window.maxTimestamp());
    if (t >= MAX_TS) return;
    if (this.eventTime) this.timers.deleteEventTimeTimer(t, ns);
    else this.timers.deleteProcessingTimeTimer(t, ns);
  }

  private namespacesOf(windows: readonly W[]): string[] {
    const out = new Array<string>(windows.length);
    for (let i = 0; i < windows.length; i++) {
      const ns = this.assigner.namespaceOf(windows[i]);
      if (typeof ns !== "string" || ns.length === 0) throw new JobError(`${this.assigner}: namespaceOf must return a non-empty string`);
      out[i] = ns;
    }
    this.lastWindows = windows;
    this.lastNamespaces = out;
    return out;
  }

  /** The window of a timer's namespace (the last one is kept: every key's timer of a window fires together). */
  private windowOf(ns: string): W {
    if (ns !== this.timerNs || this.timerWindow === undefined) {
      this.timerWindow = this.assigner.windowOf(ns);
      this.timerNs = ns;
    }
    return this.timerWindow;
  }

  private mergingWindowSet(): MergingWindowSet<W> {
    return new MergingWindowSet(this.assigner as MergingWindowAssigner<IN, W>, this.mergingState!);
  }

  async close(): Promise<void> {
    await this.spec.windowFunction.close();
  }
}
