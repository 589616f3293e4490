import type { KeySelector } from "../operator.js";

/**
 * How records cross from one operator's subtasks to the next's, as Flink's `StreamPartitioner`s:
 * `forward` keeps subtask i -> i (and allows chaining), `rebalance` round-robins, `hash` sends a key
 * to the subtask that owns its key group, `broadcast` sends to every subtask, `global` to subtask 0.
 */
export type PartitionerSpec =
  | { readonly kind: "forward" }
  | { readonly kind: "rebalance" }
  | { readonly kind: "hash"; readonly keySelector: KeySelector<any> }
  | { readonly kind: "broadcast" }
  | { readonly kind: "global" };

export type PartitionerKind = PartitionerSpec["kind"];
