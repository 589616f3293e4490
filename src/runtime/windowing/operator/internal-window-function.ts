import type { Collector, RichFunction, RuntimeContext } from "../../functions/runtime-context.js";
import type { Window } from "../api.js";
import type {
  AllWindowFunction,
  ProcessAllWindowFunction,
  ProcessWindowContext,
  ProcessWindowFunction,
  WindowFunction,
} from "../window-functions.js";

/**
 * Every window function in the one shape the window operator calls (Flink's
 * `InternalWindowFunction`): `process` for a window's elements, `processOne` for the single
 * pre-aggregated value (no array for the pass-through case), `clear` when the window is cleaned up.
 */
export interface InternalWindowFunction<V, OUT, K, W extends Window> {
  process(key: K, ctx: ProcessWindowContext<W>, input: readonly V[], out: Collector<OUT>): void;
  processOne(key: K, ctx: ProcessWindowContext<W>, value: V, out: Collector<OUT>): void;
  /** Undefined when the function keeps no per-window state. */
  readonly clear: ((ctx: ProcessWindowContext<W>) => void) | undefined;
  open(rc: RuntimeContext): void | Promise<void>;
  close(): void | Promise<void>;
}

abstract class Base<V, OUT, K, W extends Window> implements InternalWindowFunction<V, OUT, K, W> {
  clear: ((ctx: ProcessWindowContext<W>) => void) | undefined = undefined;

  constructor(private readonly rich: RichFunction = {}) {}

  abstract process(key: K, ctx: ProcessWindowContext<W>, input: readonly V[], out: Collector<OUT>): void;

  processOne(key: K, ctx: ProcessWindowContext<W>, value: V, out: Collector<OUT>): void {
    this.process(key, ctx, [value], out);
  }

  async open(rc: RuntimeContext): Promise<void> {
    await this.rich.open?.(rc);
  }

  async close(): Promise<void> {
    await this.rich.close?.();
  }
}

/** Emits the elements (or the pre-aggregated value) as they are: `reduce(fn)` and `aggregate(fn)` without a window function. */
export class PassThroughWindowFunction<V, K, W extends Window> extends Base<V, V, K, W> {
  process(_key: K, _ctx: ProcessWindowContext<W>, input: readonly V[], out: Collector<V>): void {
    for (const v of input) out.collect(v);
  }

  override processOne(_key: K, _ctx: ProcessWindowContext<W>, value: V, out: Collector<V>): void {
    out.collect(value);
  }
}

/** A user `ProcessWindowFunction`. */
export class InternalProcessWindowFunction<V, OUT, K, W extends Window> extends Base<V, OUT, K, W> {
  private readonly fn: (key: K, ctx: ProcessWindowContext<W>, input: readonly V[], out: Collector<OUT>) => void;

  constructor(user: ProcessWindowFunction<V, OUT, K, W>) {
    super(typeof user === "function" ? {} : user);
    if (typeof user === "function") this.fn = user;
    else {
      if (typeof user?.process !== "function") throw new TypeError("expected a ProcessWindowFunction: a function, or an object with process()");
      this.fn = user.process.bind(user);
      if (typeof user.clear === "function") this.clear = user.clear.bind(user);
    }
  }

  process(key: K, ctx: ProcessWindowContext<W>, input: readonly V[], out: Collector<OUT>): void {
    this.fn(key, ctx, input, out);
  }
}

/** A user `WindowFunction`. */
export class InternalIterableWindowFunction<V, OUT, K, W extends Window> extends Base<V, OUT, K, W> {
  private readonly fn: (key: K, window: W, input: readonly V[], out: Collector<OUT>) => void;

  constructor(user: WindowFunction<V, OUT, K, W>) {
    super(typeof user === "function" ? {} : user);
    if (typeof user === "function") this.fn = user;
    else {
      if (typeof user?.apply !== "function") throw new TypeError("expected a WindowFunction: a function, or an object with apply()");
      this.fn = user.apply.bind(user);
    }
  }

  process(key: K, ctx: ProcessWindowContext<W>, input: readonly V[], out: Collector<OUT>): void {
    this.fn(key, ctx.window(), input, out);
  }
}

/** A user `ProcessAllWindowFunction` (the key, a constant, is dropped). */
export class InternalProcessAllWindowFunction<V, OUT, W extends Window> extends Base<V, OUT, unknown, W> {
  private readonly fn: (ctx: ProcessWindowContext<W>, input: readonly V[], out: Collector<OUT>) => void;

  constructor(user: ProcessAllWindowFunction<V, OUT, W>) {
    super(typeof user === "function" ? {} : user);
    if (typeof user === "function") this.fn = user;
    else {
      if (typeof user?.process !== "function") throw new TypeError("expected a ProcessAllWindowFunction: a function, or an object with process()");
      this.fn = user.process.bind(user);
      if (typeof user.clear === "function") this.clear = user.clear.bind(user);
    }
  }

  process(_key: unknown, ctx: ProcessWindowContext<W>, input: readonly V[], out: Collector<OUT>): void {
    this.fn(ctx, input, out);
  }
}

/** A user `AllWindowFunction`. */
export class InternalAllWindowFunction<V, OUT, W extends Window> extends Base<V, OUT, unknown, W> {
  private readonly fn: (window: W, input: readonly V[], out: Collector<OUT>) => void;

  constructor(user: AllWindowFunction<V, OUT, W>) {
    super(typeof user === "function" ? {} : user);
    if (typeof user === "function") this.fn = user;
    else {
      if (typeof user?.apply !== "function") throw new TypeError("expected an AllWindowFunction: a function, or an object with apply()");
      this.fn = user.apply.bind(user);
    }
  }

  process(_key: unknown, ctx: ProcessWindowContext<W>, input: readonly V[], out: Collector<OUT>): void {
    this.fn(ctx.window(), input, out);
  }
}
