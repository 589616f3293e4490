import { JobError } from "../../../errors.js";
import { removeWhere, type Evictor, type EvictorContext, type TimestampedValue, type Window } from "../api.js";

/** The distance between two elements, as Flink's `DeltaFunction`. */
export type DeltaFunction<T> = (oldDataPoint: T, newDataPoint: T) => number;

/**
 * Evicts every element whose delta to the last element is at least `threshold`, as Flink's
 * `DeltaEvictor`; before the window function by default, after it when `doEvictAfter`.
 */
export class DeltaEvictor<T, W extends Window = Window> implements Evictor<T, W> {
  private constructor(
    readonly threshold: number,
    readonly deltaFunction: DeltaFunction<T>,
    readonly doEvictAfter: boolean,
  ) {}

  static of<T, W extends Window = Window>(threshold: number, deltaFunction: DeltaFunction<T>, doEvictAfter = false): DeltaEvictor<T, W> {
    if (typeof deltaFunction !== "function") throw new JobError("DeltaEvictor.of: deltaFunction must be a function");
    if (Number.isNaN(threshold)) throw new JobError("DeltaEvictor.of: threshold must be a number");
    return new DeltaEvictor<T, W>(threshold, deltaFunction, doEvictAfter);
  }

  evictBefore(elements: Array<TimestampedValue<T>>, _size?: number, _window?: W, _ctx?: EvictorContext): void {
    if (!this.doEvictAfter) this.evict(elements);
  }

  evictAfter(elements: Array<TimestampedValue<T>>, _size?: number, _window?: W, _ctx?: EvictorContext): void {
    if (this.doEvictAfter) this.evict(elements);
  }

  private evict(elements: Array<TimestampedValue<T>>): void {
    if (elements.length === 0) return;
    const last = elements[elements.length - 1].value;
    removeWhere(elements, (e) => this.deltaFunction(e.value, last) >= this.threshold);
  }

  toString(): string {
    return `DeltaEvictor(${this.threshold})`;
  }
}
