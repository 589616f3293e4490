import { lifecycleOf, unwrap, type FlatMapFunction } from "../functions/functions.js";
import { runtimeContextOf, type Collector } from "../functions/runtime-context.js";
import type { Operator, OperatorContext, Output } from "../operator.js";

/** `flatMap`: zero or more records per record, each with the input's timestamp. */
export class StreamFlatMap<I, O> implements Operator<I, O> {
  private readonly fn: (value: I, out: Collector<O>) => Iterable<O> | void;
  private out!: Output<O>;
  private ts = 0;
  private readonly collector: Collector<O> = { collect: (v) => this.out.collect(v, this.ts) };

  constructor(private readonly user: FlatMapFunction<I, O>) {
    this.fn = unwrap(user as never, "flatMap");
  }

  async open(ctx: OperatorContext<O>): Promise<void> {
    this.out = ctx.output;
    await lifecycleOf(this.user).open?.(runtimeContextOf(ctx));
  }

  processElement(value: I, timestamp: number): void {
    this.ts = timestamp;
    const r = this.fn(value, this.collector);
    if (r !== undefined) for (const v of r) this.out.collect(v, timestamp);
  }

  async close(): Promise<void> {
    await lifecycleOf(this.user).close?.();
  }
}
