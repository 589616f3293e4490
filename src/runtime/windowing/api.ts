import type {
  AggregatingStateDescriptor,
  ListStateDescriptor,
  ReducingStateDescriptor,
  StateDescriptor,
  StateFor,
} from "../../state/api.js";

/**
 * The window contracts, as Flink's `org.apache.flink.streaming.api.windowing`: a `WindowAssigner`
 * puts each element into windows, a `Trigger` decides when a window is evaluated (and purged),
 * an optional `Evictor` removes elements before or after evaluation. Times are milliseconds.
 */

/** A window: a bucket of elements with a last timestamp (records it emits carry that timestamp). */
export interface Window {
  /** The largest timestamp that still belongs to the window (`end - 1` for a `TimeWindow`). */
  maxTimestamp(): number;
}

/** What an assigner may ask of the operator (processing-time assigners read the clock). */
export interface WindowAssignerContext {
  getCurrentProcessingTime(): number;
}

/**
 * Assigns elements to windows, as Flink's `WindowAssigner`. Each window is also encoded as a
 * namespace string (the namespace of its keyed state and timers): `namespaceOf` and `windowOf`
 * must be inverse, and distinct windows of one assigner must have distinct, non-empty namespaces.
 */
export interface WindowAssigner<T, W extends Window> {
  /**
   * The windows `element` (with event time `timestamp`, `-Infinity` when it has none) belongs to.
   * An array once returned never changes (neither side modifies it); an assigner may return the
   * same array again for the next element when its windows are the same, which is how the
   * fixed-size assigners avoid allocating per element (the operator then also reuses the
   * namespaces it computed for that array).
   */
  assignWindows(element: T, timestamp: number, ctx: WindowAssignerContext): readonly W[];
  /** The trigger used when `WindowedStream.trigger` is not called. */
  getDefaultTrigger(): Trigger<T, W>;
  /** Event time (lateness, watermark-driven cleanup) or processing time. */
  isEventTime(): boolean;
  /** The window's namespace: compact, unique among this assigner's windows, never "". */
  namespaceOf(window: W): string;
  /** The window a namespace from `namespaceOf` stands for. */
  windowOf(namespace: string): W;
  toString(): string;
}

/** Called by `mergeWindows` once per group of windows to merge into `mergeResult`. */
export type MergeCallback<W> = (toBeMerged: W[], mergeResult: W) => void;

/** An assigner whose windows merge (sessions), as Flink's `MergingWindowAssigner`. */
export interface MergingWindowAssigner<T, W extends Window> extends WindowAssigner<T, W> {
  /** Finds the groups of `windows` that must merge and reports each through `callback`. */
  mergeWindows(windows: readonly W[], callback: MergeCallback<W>): void;
}

/** Whether an assigner merges windows. */
export function isMergingAssigner<T, W extends Window>(a: WindowAssigner<T, W>): a is MergingWindowAssigner<T, W> {
  return typeof (a as Partial<MergingWindowAssigner<T, W>>).mergeWindows === "function";
}

/**
 * What a trigger returns, as Flink's `TriggerResult`, encoded as bit flags: bit 1 fires (the
 * window function runs on the contents), bit 2 purges (the contents are cleared; the window's
 * trigger state and timers stay until the window is cleaned up).
 */
export const TriggerResult = {
  CONTINUE: 0,
  FIRE: 1,
  PURGE: 2,
  FIRE_AND_PURGE: 3,
} as const;
export type TriggerResult = (typeof TriggerResult)[keyof typeof TriggerResult];

/** Whether a trigger result fires the window. */
export function isFire(r: TriggerResult): boolean {
  return (r & 1) !== 0;
}

/** Whether a trigger result purges the window's contents. */
export function isPurge(r: TriggerResult): boolean {
  return (r & 2) !== 0;
}

/**
 * A trigger's view of the operator, scoped to the current key and the window being considered,
 * as Flink's `Trigger.TriggerContext`. Timers registered here call the trigger back for that
 * window; `getPartitionedState` gives state scoped to (key, window).
 */
export interface TriggerContext {
  getCurrentProcessingTime(): number;
  getCurrentWatermark(): number;
  registerProcessingTimeTimer(time: number): void;
  registerEventTimeTimer(time: number): void;
  deleteProcessingTimeTimer(time: number): void;
  deleteEventTimeTimer(time: number): void;
  /** State of the current key and window (ask for it on every call: the handle is re-scoped each time). */
  getPartitionedState<D extends StateDescriptor>(descriptor: D): StateFor<D>;
}

/** The context of `Trigger.onMerge`: the trigger merges its state of the merged windows into the result window. */
export interface OnMergeContext extends TriggerContext {
  mergePartitionedState(
    descriptor: ReducingStateDescriptor<any> | AggregatingStateDescriptor<any, any, any> | ListStateDescriptor<any>,
  ): void;
}

/**
 * Decides when a window fires and purges, as Flink's `Trigger`. One trigger object serves every
 * key and window of an operator (and may be shared by subtasks): keep per-window data in
 * `ctx.getPartitionedState`, never in fields.
 */
export interface Trigger<T, W extends Window> {
  /** Called for every element added to `window`. */
  onElement(element: T, timestamp: number, window: W, ctx: TriggerContext): TriggerResult;
  /** An event-time timer this trigger (or the operator's cleanup) registered for `window` fired. */
  onEventTime(time: number, window: W, ctx: TriggerContext): TriggerResult;
  /** A processing-time timer registered for `window` fired. */
  onProcessingTime(time: number, window: W, ctx: TriggerContext): TriggerResult;
  /** Whether the trigger supports merging windows (sessions). Default: false. */
  canMerge?(): boolean;
  /** Windows were merged into `window`: merge state, re-register timers. */
  onMerge?(window: W, ctx: OnMergeContext): void;
  /** The window is being removed: delete its timers and state. */
  clear(window: W, ctx: TriggerContext): void;
  toString(): string;
}

/** An element as an evictor sees it: value and timestamp (`-Infinity` when it has none). */
export interface TimestampedValue<T> {
  readonly value: T;
  readonly timestamp: number;
}

/** What an evictor may ask of the operator. */
export interface EvictorContext {
  getCurrentProcessingTime(): number;
  getCurrentWatermark(): number;
}

/**
 * Removes elements from a window's contents, as Flink's `Evictor`: before the window function
 * runs (`evictBefore`) and after (`evictAfter`). An evictor removes elements by modifying
 * `elements` in place (they are in insertion order); `size` is its length on entry. A window with
 * an evictor keeps every element (no incremental aggregation).
 */
export interface Evictor<T, W extends Window> {
  evictBefore(elements: Array<TimestampedValue<T>>, size: number, window: W, ctx: EvictorContext): void;
  evictAfter(elements: Array<TimestampedValue<T>>, size: number, window: W, ctx: EvictorContext): void;
  toString(): string;
}

/** Removes, in place and in order, the elements for which `remove` returns true. */
export function removeWhere<T>(elements: T[], remove: (element: T, index: number) => boolean): void {
  let kept = 0;
  for (let i = 0; i < elements.length; i++) {
    const e = elements[i];
    if (!remove(e, i)) elements[kept++] = e;
  }
  elements.length = kept;
}
