import type { CheckpointBarrier } from "../checkpoint/barrier.js";

/**
 * One input channel of a subtask as its sender sees it. Everything an upstream subtask sends
 * travels in order on one channel: records, watermarks, idleness, checkpoint barriers, end of
 * input. Locally a channel is a direct call into the receiving gate; between worker threads it is
 * a batch on a MessagePort.
 */
export interface ChannelTarget {
  record(value: unknown, timestamp: number): void;
  watermark(watermark: number): void;
  idle(idle: boolean): void;
  barrier(barrier: CheckpointBarrier): void;
  end(): void;
}
