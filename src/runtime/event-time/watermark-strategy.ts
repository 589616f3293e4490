import { JobError } from "../../errors.js";
import { BoundedOutOfOrdernessWatermarks, NoWatermarks, type WatermarkGenerator } from "./watermark-generator.js";

/** Extracts a record's event time (ms); `recordTimestamp` is what the source attached, if anything. */
export type TimestampAssigner<T> = (element: T, recordTimestamp: number) => number;

/**
 * How a source's records get timestamps and watermarks, as Flink's `WatermarkStrategy`:
 * a generator per source split, an optional timestamp assigner, and optional idleness.
 * Immutable: every `with...` returns a new strategy.
 */
export class WatermarkStrategy<T> {
  private constructor(
    private readonly generatorFactory: () => WatermarkGenerator,
    /** The timestamp assigner, when one is set. */
    readonly timestampAssigner: TimestampAssigner<T> | undefined,
    /** A split with no record for this long (processing time) stops holding the watermark back. */
    readonly idlenessMs: number | undefined,
  ) {}

  /** Watermarks trail the highest timestamp seen by `maxOutOfOrdernessMs`. */
  static forBoundedOutOfOrderness<T>(maxOutOfOrdernessMs: number): WatermarkStrategy<T> {
    if (!(maxOutOfOrdernessMs >= 0) || !Number.isFinite(maxOutOfOrdernessMs)) {
      throw new JobError(`forBoundedOutOfOrderness: out-of-orderness must be a finite number >= 0 ms, got ${maxOutOfOrdernessMs}`);
    }
    return new WatermarkStrategy<T>(() => new BoundedOutOfOrdernessWatermarks(maxOutOfOrdernessMs), undefined, undefined);
  }

  /** Timestamps never decrease within a split: the watermark follows the newest timestamp. */
  static forMonotonousTimestamps<T>(): WatermarkStrategy<T> {
    return WatermarkStrategy.forBoundedOutOfOrderness<T>(0);
  }

  /** No watermarks until the end of a bounded input (processing-time jobs). */
  static noWatermarks<T>(): WatermarkStrategy<T> {
    return new WatermarkStrategy<T>(() => new NoWatermarks(), undefined, undefined);
  }

  /** A strategy with a custom generator per split. */
  static forGenerator<T>(factory: () => WatermarkGenerator): WatermarkStrategy<T> {
    return new WatermarkStrategy<T>(factory, undefined, undefined);
  }

  withTimestampAssigner(assigner: TimestampAssigner<T>): WatermarkStrategy<T> {
    return new WatermarkStrategy<T>(this.generatorFactory, assigner, this.idlenessMs);
  }

  /** Marks a split idle after `idlenessMs` of processing time without records. */
  withIdleness(idlenessMs: number): WatermarkStrategy<T> {
    if (!(idlenessMs > 0) || !Number.isFinite(idlenessMs)) {
      throw new JobError(`withIdleness: idleness must be a finite number > 0 ms, got ${idlenessMs}`);
    }
    return new WatermarkStrategy<T>(this.generatorFactory, this.timestampAssigner, idlenessMs);
  }

  /** A fresh generator (one per split). */
  createWatermarkGenerator(): WatermarkGenerator {
    return this.generatorFactory();
  }
}
