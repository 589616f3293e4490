import type { WatermarkGenerator } from "../event-time/watermark-generator.js";
import { MAX_WATERMARK, NO_TIMESTAMP } from "../event-time/watermark.js";
import type { WatermarkStrategy } from "../event-time/watermark-strategy.js";
import type { Operator, OperatorContext, Output } from "../operator.js";

/**
 * `assignTimestampsAndWatermarks` in the middle of a pipeline: re-stamps records and replaces the
 * upstream watermarks with its own (only the end-of-input watermark passes through), as Flink's
 * `TimestampsAndWatermarksOperator`. Prefer a strategy on the source: per-split watermarks are more
 * precise than one per subtask.
 */
export class TimestampsAndWatermarksOperator<T> implements Operator<T, T> {
  private out!: Output<T>;
  private readonly generator: WatermarkGenerator;
  private batch = false;
  private lastEmit = 0;

  constructor(private readonly strategy: WatermarkStrategy<T>) {
    this.generator = strategy.createWatermarkGenerator();
  }

  open(ctx: OperatorContext<T>): void {
    this.out = ctx.output;
    this.batch = ctx.batch;
  }

  processElement(value: T, timestamp: number): void {
    const assigner = this.strategy.timestampAssigner;
    const ts = assigner === undefined ? timestamp : assigner(value, timestamp ?? NO_TIMESTAMP);
    this.generator.onEvent(ts);
    this.out.collect(value, ts);
    // emit as often as a source does (per batch) without a clock: every 1024 records
    if (!this.batch && ++this.lastEmit >= 1024) this.emit();
  }

  processWatermark(watermark: number): void {
    this.emit();
    if (watermark === MAX_WATERMARK) this.out.emitWatermark(MAX_WATERMARK);
  }

  private emit(): void {
    this.lastEmit = 0;
    const wm = this.generator.currentWatermark();
    if (wm > Number.NEGATIVE_INFINITY) this.out.emitWatermark(wm);
  }
}
