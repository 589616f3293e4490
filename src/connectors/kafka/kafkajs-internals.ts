import type { Kafka } from "kafkajs";
import { createRequire } from "node:module";
import { VigilError } from "../../errors.js";

/*
 * kafkajs's public consumer is always group-managed: it cannot read given partitions from given
 * offsets without a consumer group, and it rejoins a group on its own, which a source that must
 * hand partitions over only after a checkpoint cannot allow. So the Kafka source talks to the
 * brokers through kafkajs's own cluster and broker objects (metadata, Fetch, ListOffsets, the group
 * protocol), which kafkajs 2.2.4 builds but does not type. This file is the only one that reaches
 * into them, with the narrow types the source needs.
 */

/** A record as kafkajs decodes it from a fetch response. */
export interface RawMessage {
  readonly offset: string;
  /** Milliseconds since the epoch, as a string; "-1" when the record has none. */
  readonly timestamp: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers?: Record<string, Buffer | string | Array<Buffer | string> | undefined>;
  readonly isControlRecord?: boolean;
}

export interface FetchPartitionResponse {
  readonly partition: number;
  readonly highWatermark: string;
  readonly abortedTransactions?: ReadonlyArray<{ producerId: string; firstOffset: string }>;
  readonly messages: RawMessage[];
}

export interface FetchRequest {
  readonly isolationLevel: number;
  readonly maxWaitTime: number;
  readonly minBytes: number;
  readonly maxBytes: number;
  readonly topics: ReadonlyArray<{ topic: string; partitions: ReadonlyArray<{ partition: number; fetchOffset: string; maxBytes: number }> }>;
}

export interface TopicPartitionOffsetRequest {
  readonly topic: string;
  readonly partitions: ReadonlyArray<{ partition: number; offset: string; metadata?: string | null }>;
}

/** One broker connection of kafkajs (`src/broker/index.js`). */
export interface Broker {
  fetch(request: FetchRequest): Promise<{ responses: Array<{ topicName: string; partitions: FetchPartitionResponse[] }> }>;
  offsetCommit(request: { groupId: string; groupGenerationId: number; memberId: string; topics: TopicPartitionOffsetRequest[] }): Promise<unknown>;
  offsetFetch(request: { groupId: string; topics: ReadonlyArray<{ topic: string; partitions: ReadonlyArray<{ partition: number }> }> }): Promise<{
    responses: Array<{ topic: string; partitions: Array<{ partition: number; offset: string; metadata: string | null }> }>;
  }>;
  joinGroup(request: {
    groupId: string;
    sessionTimeout: number;
    rebalanceTimeout: number;
    memberId: string;
    groupProtocols: Array<{ name: string; metadata: Buffer }>;
  }): Promise<{ generationId: number; groupProtocol: string; leaderId: string; memberId: string; members: Array<{ memberId: string; memberMetadata: Buffer }> }>;
  syncGroup(request: { groupId: string; generationId: number; memberId: string; groupAssignment: Array<{ memberId: string; memberAssignment: Buffer }> }): Promise<{
    memberAssignment: Buffer;
  }>;
  heartbeat(request: { groupId: string; groupGenerationId: number; memberId: string }): Promise<unknown>;
  leaveGroup(request: { groupId: string; memberId: string }): Promise<unknown>;
}

export interface PartitionMetadata {
  readonly partitionId: number;
  readonly leader: number;
}

/** kafkajs's cluster (`src/cluster/index.js`): broker pool, metadata, coordinators. */
export interface Cluster {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  refreshMetadata(): Promise<void>;
  refreshMetadataIfNecessary(): Promise<void>;
  addMultipleTargetTopics(topics: string[]): Promise<void>;
  /** Metadata of every topic (a Metadata request without topics). */
  metadata(): Promise<{ topicMetadata: Array<{ topic: string; isInternal?: boolean; partitionMetadata: PartitionMetadata[] }> }>;
  findTopicPartitionMetadata(topic: string): PartitionMetadata[];
  findBroker(request: { nodeId: string | number }): Promise<Broker>;
  findGroupCoordinator(request: { groupId: string }): Promise<Broker>;
  fetchTopicsOffset(
    topics: Array<{ topic: string; partitions: Array<{ partition: number }>; fromBeginning?: boolean; fromTimestamp?: number }>,
  ): Promise<Array<{ topic: string; partitions: Array<{ partition: number; offset: string }> }>>;
}

/** Kafka's isolation levels. */
export const READ_UNCOMMITTED = 0;
export const READ_COMMITTED = 1;

/**
 * A new kafkajs cluster with the client's own settings (brokers, TLS, SASL, retries, logger),
 * made by the factory the client uses for its producers and consumers. Topics are never created
 * by a metadata request.
 */
export function openCluster(kafka: Kafka, isolationLevel: number, where: string): Cluster {
  const key = Object.getOwnPropertySymbols(kafka).find((s) => s.description === "private:Kafka:createCluster");
  const create = key === undefined ? undefined : (kafka as unknown as Record<symbol, unknown>)[key];
  if (typeof create !== "function") {
    throw new VigilError(`${where}: this kafkajs version has no cluster factory where 2.2.4 has it; the Kafka source needs kafkajs 2.2.x`, {
      code: "KAFKA_CLIENT_UNSUPPORTED",
    });
  }
  return (create as (o: object) => Cluster)({ metadataMaxAge: 30_000, allowAutoTopicCreation: false, isolationLevel });
}

const require = createRequire(import.meta.url);

/** kafkajs's `Batch`: a fetched partition without the records before the fetch offset, control records and aborted transactions. */
export const KafkaBatch = require("kafkajs/src/consumer/batch.js") as new (
  topic: string,
  fetchedOffset: string,
  partitionData: FetchPartitionResponse,
) => { readonly messages: RawMessage[]; readonly messagesWithinOffset: RawMessage[] };

/** A kafkajs error's fields the source reads. */
export interface KafkaJsError {
  readonly name?: string;
  readonly type?: string;
  readonly retriable?: boolean;
  readonly broker?: string;
  readonly topic?: string;
  readonly partition?: number;
  readonly cause?: unknown;
  readonly message?: string;
}

const TRANSIENT_NAMES = new Set([
  "KafkaJSConnectionError",
  "KafkaJSConnectionClosedError",
  "KafkaJSRequestTimeoutError",
  "KafkaJSBrokerNotFound",
  "KafkaJSMetadataNotLoaded",
  "KafkaJSTopicMetadataNotLoaded",
  "KafkaJSNoBrokerAvailableError",
  "KafkaJSGroupCoordinatorNotFound",
  "KafkaJSLockTimeout",
]);

/** Whether a kafkajs error may pass by itself (a broker away, a leader moving, a timeout), so the request is worth repeating. */
export function isTransient(e: unknown): boolean {
  let err = e as KafkaJsError | undefined;
  for (let depth = 0; err !== undefined && err !== null && depth < 5; depth++) {
    if (err.retriable === true || (err.name !== undefined && TRANSIENT_NAMES.has(err.name))) return true;
    if (err.name !== "KafkaJSNumberOfRetriesExceeded") return false;
    err = err.cause as KafkaJsError | undefined;
  }
  return false;
}

/** The Kafka error type of a kafkajs error ("NOT_COORDINATOR", ...), looking through retry wrappers. */
export function errorType(e: unknown): string | undefined {
  let err = e as KafkaJsError | undefined;
  for (let depth = 0; err !== undefined && err !== null && depth < 5; depth++) {
    if (err.type !== undefined) return err.type;
    err = err.cause as KafkaJsError | undefined;
  }
  return undefined;
}

/** A short description of a kafkajs error for messages: its type or name and message. */
export function describe(e: unknown): string {
  const err = e as KafkaJsError | undefined;
  const type = errorType(e);
  const message = err?.message ?? String(e);
  return type !== undefined && !message.includes(type) ? `${type}: ${message}` : message;
}

/** "host:port" of broker `nodeId` from the cluster's metadata, or "node <id>" before metadata is loaded. */
export function brokerAddress(cluster: Cluster, nodeId: number | string): string {
  const brokers = (cluster as unknown as { brokerPool?: { metadata?: { brokers?: Array<{ nodeId: number; host: string; port: number }> } } }).brokerPool?.metadata?.brokers;
  const b = brokers?.find((x) => String(x.nodeId) === String(nodeId));
  return b === undefined ? `node ${nodeId}` : `${b.host}:${b.port} (node ${nodeId})`;
}
