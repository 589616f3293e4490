import type { SourceSplit } from "../../runtime/index.js";

/**
 * A Kafka partition read by the Kafka source, with its position: the next offset to read. The
 * split id is "topic-partition". Plain data: checkpoints store it.
 */
export interface KafkaPartitionSplit extends SourceSplit {
  readonly kind: "partition";
  readonly topic: string;
  readonly partition: number;
  /** The next offset to read, as a decimal string (Kafka offsets are 64-bit). */
  readonly offset: string;
  /** Bounded reads (`stopAt: "latest"`): the end offset seen at the start; the split ends there. */
  readonly stopAt?: string;
}

/**
 * The partitions the source knew when it last looked (topic to partition count). One subtask holds
 * it; that subtask reads partitions created later, which a restore thus finds too.
 */
export interface KafkaDiscoverySplit extends SourceSplit {
  readonly kind: "discovery";
  readonly partitions: Readonly<Record<string, number>>;
}

/**
 * Group mode: a subtask's positions ("topic-partition" to the next offset to read) of every
 * partition it has read. Partitions come from the group's assignment, not from splits; these
 * positions only make sure a partition never restarts before a checkpointed position.
 */
export interface KafkaGroupSplit extends SourceSplit {
  readonly kind: "group";
  readonly offsets: Readonly<Record<string, string>>;
}

export type KafkaSplit = KafkaPartitionSplit | KafkaDiscoverySplit | KafkaGroupSplit;

/** The discovery split's id ("~" sorts after every topic name, so a restore deals it last). */
export const DISCOVERY_SPLIT_ID = "~partition-discovery";
