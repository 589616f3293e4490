/**
 * Combines the watermarks of several input channels into one, as Flink's `StatusWatermarkValve`:
 * the output is the minimum over the channels that are active; an idle channel does not hold the
 * output back, and a channel that becomes active again counts only once it catches up. The output
 * never moves backwards.
 */
export class StatusWatermarkValve {
  private readonly watermarks: number[];
  private readonly idle: boolean[];
  private readonly aligned: boolean[];
  private lastOutput = Number.NEGATIVE_INFINITY;

  constructor(channels: number) {
    this.watermarks = new Array<number>(channels).fill(Number.NEGATIVE_INFINITY);
    this.idle = new Array<boolean>(channels).fill(false);
    this.aligned = new Array<boolean>(channels).fill(true);
  }

  get channels(): number {
    return this.watermarks.length;
  }

  /** The combined watermark so far. */
  get current(): number {
    return this.lastOutput;
  }

  /** Whether every channel is idle. */
  get allIdle(): boolean {
    return this.idle.every((i) => i);
  }

  /** Records a channel's watermark; returns the new combined watermark if it advanced, else undefined. */
  inputWatermark(channel: number, watermark: number): number | undefined {
    if (this.idle[channel]) {
      // active again: it holds the output back only once it has caught up
      this.idle[channel] = false;
      this.aligned[channel] = false;
    }
    if (watermark > this.watermarks[channel]) {
      this.watermarks[channel] = watermark;
    }
    if (!this.aligned[channel] && this.watermarks[channel] >= this.lastOutput) this.aligned[channel] = true;
    return this.recompute();
  }

  /** Marks a channel idle or active; returns the new combined watermark if it advanced. */
  inputIdle(channel: number, idle: boolean): number | undefined {
    if (this.idle[channel] === idle) return undefined;
    this.idle[channel] = idle;
    if (!idle) {
      // a channel waking up must catch up before it can hold the output back again
      this.aligned[channel] = this.watermarks[channel] >= this.lastOutput;
      return undefined;
    }
    if (this.allIdle) {
      // as Flink: the last channel going idle flushes the highest watermark any channel reached,
      // which the channel idle now may have been holding back
      let max = Number.NEGATIVE_INFINITY;
      for (const wm of this.watermarks) if (wm > max) max = wm;
      if (max <= this.lastOutput) return undefined;
      this.lastOutput = max;
      return max;
    }
    return this.recompute();
  }

  private recompute(): number | undefined {
    let min = Number.POSITIVE_INFINITY;
    let any = false;
    for (let i = 0; i < this.watermarks.length; i++) {
      if (this.idle[i] || !this.aligned[i]) continue;
      any = true;
      if (this.watermarks[i] < min) min = this.watermarks[i];
    }
    if (!any || min <= this.lastOutput) return undefined;
    this.lastOutput = min;
    return min;
  }
}
