import type { ValueState } from "../../state/api.js";
import { lifecycleOf, unwrap, type ReduceFunction } from "../functions/functions.js";
import { runtimeContextOf } from "../functions/runtime-context.js";
import type { Operator, OperatorContext, Output } from "../operator.js";

/** `keyBy(...).reduce(fn)`: a running reduction per key, emitted after every record (as Flink's `StreamGroupedReduceOperator`). */
export class StreamReduce<T> implements Operator<T, T> {
  private readonly fn: (a: T, b: T) => T;
  private out!: Output<T>;
  private state!: ValueState<T>;

  constructor(private readonly user: ReduceFunction<T>) {
    this.fn = unwrap(user as never, "reduce");
  }

  async open(ctx: OperatorContext<T>): Promise<void> {
    this.out = ctx.output;
    this.state = ctx.keyedState!.getPartitionedState({ kind: "value", name: "_reduce" }) as ValueState<T>;
    await lifecycleOf(this.user).open?.(runtimeContextOf(ctx));
  }

  processElement(value: T, timestamp: number): void {
    const current = this.state.value();
    const next = current === undefined ? value : this.fn(current, value);
    this.state.update(next);
    this.out.collect(next, timestamp);
  }

  async close(): Promise<void> {
    await lifecycleOf(this.user).close?.();
  }
}
