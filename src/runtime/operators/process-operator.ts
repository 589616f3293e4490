import type { StateKey } from "../../state/api.js";
import type { KeyedProcessFunction, ProcessFunction } from "../functions/process-function.js";
import { runtimeContextOf } from "../functions/runtime-context.js";
import type { Operator, OperatorContext } from "../operator.js";
import type { Timer, TimeDomain } from "../timers/timer-service.js";
import { ProcessContextImpl } from "./process-context.js";

/**
 * Runs a `ProcessFunction` or `KeyedProcessFunction` (Flink's `ProcessOperator` and
 * `KeyedProcessOperator`): records and timers go to the user function with one reused context;
 * output of `onTimer` carries the timer's timestamp.
 */
export class ProcessOperator<I, O> implements Operator<I, O> {
  private pc!: ProcessContextImpl;

  constructor(private readonly fn: ProcessFunction<I, O> | KeyedProcessFunction<StateKey, I, O>) {}

  async open(ctx: OperatorContext<O>): Promise<void> {
    this.pc = new ProcessContextImpl(ctx as OperatorContext<unknown>);
    await this.fn.open?.(runtimeContextOf(ctx as OperatorContext<unknown>));
  }

  processElement(value: I, timestamp: number): void {
    const pc = this.pc;
    pc.ts = timestamp;
    this.fn.processElement(value, pc, pc as never);
  }

  onTimer(timer: Timer, domain: TimeDomain): void {
    if (this.fn.onTimer === undefined) return;
    const pc = this.pc;
    pc.ts = timer.timestamp;
    pc.domain = domain;
    this.fn.onTimer(timer.timestamp, pc, pc as never);
  }

  async close(): Promise<void> {
    await this.fn.close?.();
  }
}
