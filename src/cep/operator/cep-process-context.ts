import type { Collector, OperatorContext, Output, OutputTag, TimerService } from "../../runtime/index.js";
import type { KeyedStateBackend, StateKey } from "../../state/api.js";
import type { PatternProcessContext } from "./pattern-process-function.js";

/**
 * The one mutable context (and collector) the CEP operator hands to the pattern process function
 * for every match: the operator sets `ts` and `patternId` before each call, so nothing is
 * allocated per match.
 */
export class CepProcessContext<O, K extends StateKey> implements PatternProcessContext<O, K>, Collector<O> {
  /** Event time stamped on what the function emits. */
  ts = 0;
  /** Id of the pattern whose match or timeout is being handed over. */
  patternId = "";
  private readonly out: Output<O>;
  private readonly timers: TimerService;
  private readonly backend: KeyedStateBackend | undefined;

  constructor(ctx: OperatorContext<O>) {
    this.out = ctx.output;
    this.timers = ctx.timers;
    this.backend = ctx.keyedState;
  }

  output(value: O): void;
  output<X>(tag: OutputTag<X>, value: X): void;
  output(tagOrValue: unknown, value?: unknown): void {
    if (arguments.length >= 2) this.out.collectSide(tagOrValue as OutputTag<unknown>, value, this.ts);
    else this.out.collect(tagOrValue as O, this.ts);
  }

  collect(value: O): void {
    this.out.collect(value, this.ts);
  }

  timestamp(): number {
    return this.ts;
  }

  currentProcessingTime(): number {
    return this.timers.currentProcessingTime();
  }

  currentWatermark(): number {
    return this.timers.currentWatermark();
  }

  getCurrentKey(): K {
    return this.backend?.getCurrentKey() as K;
  }
}
