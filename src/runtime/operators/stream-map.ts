import { lifecycleOf, unwrap, type MapFunction } from "../functions/functions.js";
import { runtimeContextOf } from "../functions/runtime-context.js";
import type { Operator, OperatorContext, Output } from "../operator.js";

/** `map`: one record out per record in, same timestamp. */
export class StreamMap<I, O> implements Operator<I, O> {
  private readonly fn: (value: I) => O;
  private out!: Output<O>;

  constructor(private readonly user: MapFunction<I, O>) {
    this.fn = unwrap(user as never, "map");
  }

  async open(ctx: OperatorContext<O>): Promise<void> {
    this.out = ctx.output;
    await lifecycleOf(this.user).open?.(runtimeContextOf(ctx));
  }

  processElement(value: I, timestamp: number): void {
    this.out.collect(this.fn(value), timestamp);
  }

  async close(): Promise<void> {
    await lifecycleOf(this.user).close?.();
  }
}
