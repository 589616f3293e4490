import type { AggregateFunction } from "../../state/api.js";
import type { DataStream } from "../datastream/data-stream.js";
import { unwrap, type ReduceFunction } from "../functions/functions.js";
import type { OutputTag } from "../output-tag.js";
import type { Evictor, Trigger, Window, WindowAssigner } from "./api.js";
import {
  InternalAllWindowFunction,
  InternalProcessAllWindowFunction,
  PassThroughWindowFunction,
  type InternalWindowFunction,
} from "./operator/internal-window-function.js";
import { ReduceAggregate } from "./operator/window-contents.js";
import type { AllWindowFunction, ProcessAllWindowFunction } from "./window-functions.js";
import { WindowedStream } from "./windowed-stream.js";

/** The key every record of a `windowAll` stream gets (Flink's `NullByteKeySelector`). */
const ALL = (): number => 0;

/**
 * Windows over a whole, non-keyed stream, as Flink's `AllWindowedStream`: every record goes to one
 * window operator subtask (parallelism 1), which runs with a single constant key. Same builder
 * methods as `WindowedStream`; the functions get no key.
 */
export class AllWindowedStream<T, W extends Window> {
  private readonly windowed: WindowedStream<T, number, W>;

  constructor(
    readonly input: DataStream<T>,
    readonly assigner: WindowAssigner<T, W>,
  ) {
    this.windowed = new WindowedStream<T, number, W>(input.keyBy(ALL), assigner);
  }

  trigger(trigger: Trigger<T, W>): this {
    this.windowed.trigger(trigger);
    return this;
  }

  evictor(evictor: Evictor<T, W>): this {
    this.windowed.evictor(evictor);
    return this;
  }

  allowedLateness(ms: number): this {
    this.windowed.allowedLateness(ms);
    return this;
  }

  sideOutputLateData(tag: OutputTag<T>): this {
    this.windowed.sideOutputLateData(tag);
    return this;
  }

  reduce(fn: ReduceFunction<T>): DataStream<T>;
  reduce<O>(fn: ReduceFunction<T>, windowFn: ProcessAllWindowFunction<T, O, W>): DataStream<O>;
  reduce<O>(fn: ReduceFunction<T>, windowFn?: ProcessAllWindowFunction<T, O, W>): DataStream<O | T> {
    const agg = new ReduceAggregate<T>(unwrap(fn as never, "reduce"));
    const wf = windowFn === undefined ? new PassThroughWindowFunction<T, number, W>() : new InternalProcessAllWindowFunction(windowFn);
    return this.build("reduce", agg, wf as InternalWindowFunction<T, O | T, unknown, W>);
  }

  aggregate<ACC, V>(fn: AggregateFunction<T, ACC, V>): DataStream<V>;
  aggregate<ACC, V, O>(fn: AggregateFunction<T, ACC, V>, windowFn: ProcessAllWindowFunction<V, O, W>): DataStream<O>;
  aggregate<ACC, V, O>(fn: AggregateFunction<T, ACC, V>, windowFn?: ProcessAllWindowFunction<V, O, W>): DataStream<O | V> {
    const wf = windowFn === undefined ? new PassThroughWindowFunction<V, number, W>() : new InternalProcessAllWindowFunction(windowFn);
    return this.build("aggregate", fn, wf as InternalWindowFunction<V, O | V, unknown, W>);
  }

  process<O>(fn: ProcessAllWindowFunction<T, O, W>): DataStream<O> {
    return this.build<never, T, O>("process", undefined, new InternalProcessAllWindowFunction(fn));
  }

  apply<O>(fn: AllWindowFunction<T, O, W>): DataStream<O> {
    return this.build<never, T, O>("apply", undefined, new InternalAllWindowFunction(fn));
  }

  private build<ACC, V, O>(what: string, aggregate: AggregateFunction<T, ACC, V> | undefined, fn: InternalWindowFunction<V, O, unknown, W>): DataStream<O> {
    return this.windowed.build(what, aggregate, fn as InternalWindowFunction<V, O, number, W>).setParallelism(1);
  }
}
