import { lifecycleOf, unwrap, type FilterFunction } from "../functions/functions.js";
import { runtimeContextOf } from "../functions/runtime-context.js";
import type { Operator, OperatorContext, Output } from "../operator.js";

/** `filter`: keeps the records the predicate accepts. */
export class StreamFilter<T> implements Operator<T, T> {
  private readonly fn: (value: T) => boolean;
  private out!: Output<T>;

  constructor(private readonly user: FilterFunction<T>) {
    this.fn = unwrap(user as never, "filter");
  }

  async open(ctx: OperatorContext<T>): Promise<void> {
    this.out = ctx.output;
    await lifecycleOf(this.user).open?.(runtimeContextOf(ctx));
  }

  processElement(value: T, timestamp: number): void {
    if (this.fn(value)) this.out.collect(value, timestamp);
  }

  async close(): Promise<void> {
    await lifecycleOf(this.user).close?.();
  }
}
