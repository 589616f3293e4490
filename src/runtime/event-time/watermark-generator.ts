/**
 * Generates watermarks from the timestamps a source split has seen, as Flink's
 * `WatermarkGenerator`: `onEvent` for every record, `currentWatermark` when the runtime asks
 * (after every batch read from the split, Vigil's periodic emit).
 */
export interface WatermarkGenerator {
  onEvent(timestamp: number): void;
  /** The watermark this generator vouches for now (never moves backwards). */
  currentWatermark(): number;
}

/**
 * Watermark = highest timestamp seen - `outOfOrdernessMs` - 1, as Flink's
 * `BoundedOutOfOrdernessWatermarks`: an event `outOfOrdernessMs` behind the newest is still on time.
 */
export class BoundedOutOfOrdernessWatermarks implements WatermarkGenerator {
  private maxTimestamp: number;

  constructor(private readonly outOfOrdernessMs: number) {
    this.maxTimestamp = Number.NEGATIVE_INFINITY;
  }

  onEvent(timestamp: number): void {
    if (timestamp > this.maxTimestamp) this.maxTimestamp = timestamp;
  }

  currentWatermark(): number {
    return this.maxTimestamp - this.outOfOrdernessMs - 1;
  }
}

/** Emits no watermark: event time stands still until the end of the input. */
export class NoWatermarks implements WatermarkGenerator {
  onEvent(): void {}
  currentWatermark(): number {
    return Number.NEGATIVE_INFINITY;
  }
}
