import type { StateDescriptor, StateKey } from "../../state/api.js";
import type { MapStateDescriptorLike } from "../broadcast-descriptor.js";
import type {
  BroadcastProcessFunction,
  BroadcastState,
  KeyedBroadcastProcessFunction,
  ReadOnlyBroadcastState,
} from "../functions/broadcast-process-function.js";
import { runtimeContextOf } from "../functions/runtime-context.js";
import type { OperatorContext, TwoInputOperator } from "../operator.js";
import type { Timer, TimeDomain } from "../timers/timer-service.js";
import { ProcessContextImpl } from "./process-context.js";

function readOnly<K, V>(m: Map<K, V>): ReadOnlyBroadcastState<K, V> {
  return {
    get: (k) => m.get(k),
    contains: (k) => m.has(k),
    entries: () => m.entries(),
    get size() {
      return m.size;
    },
  };
}

function writable<K, V>(m: Map<K, V>): BroadcastState<K, V> {
  return {
    ...readOnly(m),
    get size() {
      return m.size;
    },
    put: (k, v) => void m.set(k, v),
    remove: (k) => void m.delete(k),
    clear: () => m.clear(),
  };
}

/**
 * Runs a `KeyedBroadcastProcessFunction` (input 1 keyed, input 2 broadcast) or a
 * `BroadcastProcessFunction`, as Flink's `CoBroadcastWithKeyedOperator`. Broadcast state is a map
 * per descriptor name held by every subtask; the keyed side may only read it, so every subtask's
 * copy stays equal.
 */
export class BroadcastProcessOperator<I, B, O> implements TwoInputOperator<I, B, O> {
  private pc!: ProcessContextImpl;
  private ctx!: OperatorContext<O>;
  private readonly roCache = new Map<string, ReadOnlyBroadcastState<any, any>>();
  private readonly rwCache = new Map<string, BroadcastState<any, any>>();

  constructor(private readonly fn: KeyedBroadcastProcessFunction<StateKey, I, B, O> | BroadcastProcessFunction<I, B, O>) {}

  async open(ctx: OperatorContext<O>): Promise<void> {
    this.ctx = ctx;
    const pc = new ProcessContextImpl(ctx as OperatorContext<unknown>) as ProcessContextImpl & Record<string, unknown>;
    const store = ctx.operatorState;
    pc.getBroadcastState = (d: MapStateDescriptorLike<unknown, unknown>) => {
      let s = this.roCache.get(d.name);
      if (s === undefined) this.roCache.set(d.name, (s = readOnly(store.getBroadcastState(d.name))));
      return s;
    };
    this.pc = pc;
    await this.fn.open?.(runtimeContextOf(ctx as OperatorContext<unknown>));
  }

  processElement1(value: I, timestamp: number): void {
    this.pc.ts = timestamp;
    this.fn.processElement(value, this.pc as never, this.pc as never);
  }

  processElement2(value: B, timestamp: number): void {
    const store = this.ctx.operatorState;
    const backend = this.ctx.keyedState;
    const base = this.pc;
    base.ts = timestamp;
    const bctx = {
      timestamp: () => base.timestamp(),
      timerService: () => base.timerService(),
      output: base.output.bind(base),
      getBroadcastState: (d: MapStateDescriptorLike<unknown, unknown>) => {
        let s = this.rwCache.get(d.name);
        if (s === undefined) this.rwCache.set(d.name, (s = writable(store.getBroadcastState(d.name))));
        return s;
      },
      applyToKeyedState: (d: StateDescriptor, f: (key: StateKey, state: never) => void) => {
        if (backend === undefined) return;
        const state = backend.getPartitionedState(d);
        backend.applyToAllKeys(d.name, (key) => f(key, state as never));
      },
    };
    this.fn.processBroadcastElement(value, bctx as never, base as never);
  }

  onTimer(timer: Timer, domain: TimeDomain): void {
    const fn = this.fn as KeyedBroadcastProcessFunction<StateKey, I, B, O>;
    if (fn.onTimer === undefined) return;
    this.pc.ts = timer.timestamp;
    this.pc.domain = domain;
    fn.onTimer(timer.timestamp, this.pc as never, this.pc as never);
  }

  async close(): Promise<void> {
    await this.fn.close?.();
  }
}
