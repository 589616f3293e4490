import type { Output } from "../operator.js";
import type { OutputTag } from "../output-tag.js";
import type { CheckpointBarrier } from "../checkpoint/barrier.js";
import type { ChannelTarget } from "./channel.js";

/**
 * An operator subtask's output: the main output's consumers, each side output's consumers, and
 * watermark/idleness/end broadcast to all of them. Watermarks that do not advance are dropped.
 */
export class OutputImpl implements Output<unknown> {
  private readonly main: ChannelTarget[] = [];
  private readonly side = new Map<string, ChannelTarget[]>();
  private readonly all: ChannelTarget[] = [];
  private lastWatermark = Number.NEGATIVE_INFINITY;
  private isIdle = false;
  /** Replaced by a specialised function once wiring is done. */
  collect: (value: unknown, timestamp: number) => void = () => {};

  add(target: ChannelTarget, tag: OutputTag<unknown> | undefined): void {
    if (tag === undefined) this.main.push(target);
    else {
      let list = this.side.get(tag.id);
      if (list === undefined) this.side.set(tag.id, (list = []));
      list.push(target);
    }
    this.all.push(target);
    this.specialise();
  }

  private specialise(): void {
    const main = this.main;
    if (main.length === 0) this.collect = () => {};
    else if (main.length === 1) {
      const t = main[0];
      this.collect = (v, ts) => t.record(v, ts);
    } else {
      this.collect = (v, ts) => {
        for (let i = 0; i < main.length; i++) main[i].record(v, ts);
      };
    }
  }

  collectSide<X>(tag: OutputTag<X>, value: X, timestamp: number): void {
    const list = this.side.get(tag.id);
    if (list === undefined) return;
    for (let i = 0; i < list.length; i++) list[i].record(value, timestamp);
  }

  emitWatermark(watermark: number): void {
    if (watermark <= this.lastWatermark) return;
    this.lastWatermark = watermark;
    if (this.isIdle) this.emitIdle(false);
    for (let i = 0; i < this.all.length; i++) this.all[i].watermark(watermark);
  }

  emitIdle(idle: boolean): void {
    if (idle === this.isIdle) return;
    this.isIdle = idle;
    for (let i = 0; i < this.all.length; i++) this.all[i].idle(idle);
  }

  /** Sends a checkpoint barrier on every channel (main and side outputs), after what was emitted before it. */
  emitBarrier(barrier: CheckpointBarrier): void {
    for (let i = 0; i < this.all.length; i++) this.all[i].barrier(barrier);
  }

  end(): void {
    for (let i = 0; i < this.all.length; i++) this.all[i].end();
  }

  get currentWatermark(): number {
    return this.lastWatermark;
  }
}
