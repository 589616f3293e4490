import type { StateKey, StateDescriptor, StateFor } from "../../state/api.js";
import type { MapStateDescriptorLike } from "../broadcast-descriptor.js";
import type { Collector, RichFunction } from "./runtime-context.js";
import type { KeyedProcessContext, KeyedOnTimerContext, ProcessContext } from "./process-function.js";

/** Broadcast state as the keyed side sees it: read-only. */
export interface ReadOnlyBroadcastState<K, V> {
  get(key: K): V | undefined;
  contains(key: K): boolean;
  entries(): IterableIterator<[K, V]>;
  readonly size: number;
}

/** Broadcast state as the broadcast side sees it: writable; every subtask applies the same writes. */
export interface BroadcastState<K, V> extends ReadOnlyBroadcastState<K, V> {
  put(key: K, value: V): void;
  remove(key: K): void;
  clear(): void;
}

/** `processElement`'s context on the keyed (non-broadcast) side. */
export interface KeyedReadOnlyContext<K> extends KeyedProcessContext<K> {
  getBroadcastState<BK, BV>(descriptor: MapStateDescriptorLike<BK, BV>): ReadOnlyBroadcastState<BK, BV>;
}

/** `processBroadcastElement`'s context: writable broadcast state, and every key's keyed state. */
export interface KeyedBroadcastContext extends ProcessContext {
  getBroadcastState<BK, BV>(descriptor: MapStateDescriptorLike<BK, BV>): BroadcastState<BK, BV>;
  /** Runs `fn` for every key that has the given keyed state, with that state scoped to the key. */
  applyToKeyedState<D extends StateDescriptor>(descriptor: D, fn: (key: StateKey, state: StateFor<D>) => void): void;
}

/**
 * Rules to every key, as Flink's `KeyedBroadcastProcessFunction`: the broadcast side updates the
 * broadcast state (the same on every subtask), the keyed side reads it with each record.
 */
export interface KeyedBroadcastProcessFunction<K extends StateKey, I, B, O> extends RichFunction {
  processElement(value: I, ctx: KeyedReadOnlyContext<K>, out: Collector<O>): void;
  processBroadcastElement(value: B, ctx: KeyedBroadcastContext, out: Collector<O>): void;
  onTimer?(timestamp: number, ctx: KeyedOnTimerContext<K> & KeyedReadOnlyContext<K>, out: Collector<O>): void;
}

/** The non-keyed variant, as Flink's `BroadcastProcessFunction`. */
export interface BroadcastProcessFunction<I, B, O> extends RichFunction {
  processElement(
    value: I,
    ctx: ProcessContext & { getBroadcastState<BK, BV>(d: MapStateDescriptorLike<BK, BV>): ReadOnlyBroadcastState<BK, BV> },
    out: Collector<O>,
  ): void;
  processBroadcastElement(
    value: B,
    ctx: ProcessContext & { getBroadcastState<BK, BV>(d: MapStateDescriptorLike<BK, BV>): BroadcastState<BK, BV> },
    out: Collector<O>,
  ): void;
}
