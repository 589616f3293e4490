import type { KeyedStateBackend } from "../../state/api.js";
import { NO_TIMESTAMP } from "../event-time/watermark.js";
import type { Collector } from "../functions/runtime-context.js";
import type { KeyedOnTimerContext } from "../functions/process-function.js";
import type { OperatorContext } from "../operator.js";
import type { OutputTag } from "../output-tag.js";
import type { TimeDomain } from "../timers/timer-service.js";

/**
 * The one mutable context object a process operator hands to the user function for every record
 * and timer (no allocation per record): the current timestamp, domain, key, timers, side outputs,
 * and a collector stamping records with the current timestamp.
 */
export class ProcessContextImpl implements KeyedOnTimerContext<any>, Collector<unknown> {
  ts = NO_TIMESTAMP;
  domain: TimeDomain = "event";
  private readonly backend: KeyedStateBackend | undefined;

  constructor(private readonly ctx: OperatorContext<unknown>) {
    this.backend = ctx.keyedState;
  }

  timestamp(): number | undefined {
    return this.ts === NO_TIMESTAMP ? undefined : this.ts;
  }

  timerService() {
    return this.ctx.timers;
  }

  output<X>(tag: OutputTag<X>, value: X): void {
    this.ctx.output.collectSide(tag, value, this.ts);
  }

  getCurrentKey(): any {
    return this.backend?.getCurrentKey();
  }

  timeDomain(): TimeDomain {
    return this.domain;
  }

  collect(value: unknown): void {
    this.ctx.output.collect(value, this.ts);
  }
}
