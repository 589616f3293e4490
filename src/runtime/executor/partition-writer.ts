import { keyGroupFor, subtaskForKeyGroup } from "../../state/key-group.js";
import type { PartitionerSpec } from "../graph/partitioner.js";
import type { CheckpointBarrier } from "../checkpoint/barrier.js";
import type { ChannelTarget } from "./channel.js";

/**
 * Routes one subtask's output on one edge to the consumer's subtasks by the edge's partitioner.
 * `targets[i]` is the channel into consumer subtask i (only `targets[self]` for forward).
 * Watermarks, idleness and end of input go to every target.
 */
export function partitionWriter(
  partitioner: PartitionerSpec,
  targets: ChannelTarget[],
  fromSubtask: number,
  maxParallelism: number,
): ChannelTarget {
  const n = targets.length;
  const control = {
    watermark(wm: number) {
      for (let i = 0; i < n; i++) targets[i].watermark(wm);
    },
    idle(idle: boolean) {
      for (let i = 0; i < n; i++) targets[i].idle(idle);
    },
    barrier(b: CheckpointBarrier) {
      for (let i = 0; i < n; i++) targets[i].barrier(b);
    },
    end() {
      for (let i = 0; i < n; i++) targets[i].end();
    },
  };
  switch (partitioner.kind) {
    case "forward":
      return targets[0];
    case "global":
      return { ...control, record: (v, ts) => targets[0].record(v, ts) };
    case "broadcast":
      return {
        ...control,
        record(v, ts) {
          for (let i = 0; i < n; i++) targets[i].record(v, ts);
        },
      };
    case "rebalance": {
      let next = fromSubtask % n;
      return {
        ...control,
        record(v, ts) {
          targets[next].record(v, ts);
          if (++next === n) next = 0;
        },
      };
    }
    case "hash": {
      const keyOf = partitioner.keySelector;
      if (n === 1) return { ...control, record: (v, ts) => targets[0].record(v, ts) };
      return {
        ...control,
        record(v, ts) {
          const kg = keyGroupFor(keyOf(v), maxParallelism);
          targets[subtaskForKeyGroup(maxParallelism, n, kg)].record(v, ts);
        },
      };
    }
  }
}
