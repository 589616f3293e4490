import type { StateKey } from "../../state/api.js";
import type {
  CoFlatMapFunction,
  CoMapFunction,
  CoProcessFunction,
  KeyedCoProcessFunction,
} from "../functions/process-function.js";
import { runtimeContextOf } from "../functions/runtime-context.js";
import type { OperatorContext, TwoInputOperator } from "../operator.js";
import type { Timer, TimeDomain } from "../timers/timer-service.js";
import { ProcessContextImpl } from "./process-context.js";

/** Runs a `CoProcessFunction` / `KeyedCoProcessFunction` on connected streams. */
export class CoProcessOperator<I1, I2, O> implements TwoInputOperator<I1, I2, O> {
  private pc!: ProcessContextImpl;

  constructor(private readonly fn: CoProcessFunction<I1, I2, O> | KeyedCoProcessFunction<StateKey, I1, I2, O>) {}

  async open(ctx: OperatorContext<O>): Promise<void> {
    this.pc = new ProcessContextImpl(ctx as OperatorContext<unknown>);
    await this.fn.open?.(runtimeContextOf(ctx as OperatorContext<unknown>));
  }

  processElement1(value: I1, timestamp: number): void {
    this.pc.ts = timestamp;
    this.fn.processElement1(value, this.pc, this.pc as never);
  }

  processElement2(value: I2, timestamp: number): void {
    this.pc.ts = timestamp;
    this.fn.processElement2(value, this.pc, this.pc as never);
  }

  onTimer(timer: Timer, domain: TimeDomain): void {
    if (this.fn.onTimer === undefined) return;
    this.pc.ts = timer.timestamp;
    this.pc.domain = domain;
    this.fn.onTimer(timer.timestamp, this.pc, this.pc as never);
  }

  async close(): Promise<void> {
    await this.fn.close?.();
  }
}

/** `connect(...).map(CoMapFunction)` and `.flatMap(CoFlatMapFunction)`. */
export function coMapAsProcess<I1, I2, O>(fn: CoMapFunction<I1, I2, O>): CoProcessFunction<I1, I2, O> {
  return {
    open: fn.open?.bind(fn),
    close: fn.close?.bind(fn),
    processElement1: (v, _ctx, out) => out.collect(fn.map1(v)),
    processElement2: (v, _ctx, out) => out.collect(fn.map2(v)),
  };
}

export function coFlatMapAsProcess<I1, I2, O>(fn: CoFlatMapFunction<I1, I2, O>): CoProcessFunction<I1, I2, O> {
  return {
    open: fn.open?.bind(fn),
    close: fn.close?.bind(fn),
    processElement1: (v, _ctx, out) => fn.flatMap1(v, out),
    processElement2: (v, _ctx, out) => fn.flatMap2(v, out),
  };
}
