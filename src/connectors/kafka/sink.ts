import kafkajs, { CompressionTypes } from "kafkajs";
import { VigilError } from "../../errors.js";
import type { Sink, SinkWriter, SinkWriterContext } from "../../runtime/index.js";
import type { Serializer } from "../format.js";
import { createKafkaClient, resolveBrokers, type KafkaConnectionOptions } from "./client.js";
import { kafkajsTransactionalProducers, type TransactionalProducers } from "./sink-producers.js";
import { KafkaRecordBuilder, resolveSerializer } from "./sink-record.js";
import { KafkaTransactionalSink } from "./sink-transactional.js";
import { openProducerWriter, type ProducerWriterSettings } from "./sink-writer.js";

/**
 * What the sink promises across failures (Flink's `DeliveryGuarantee`):
 * - `none`: checkpoints do not wait for Kafka; records in flight at a crash may be lost.
 * - `at-least-once`: a checkpoint completes only once Kafka acknowledged every record before it;
 *   a restore resends what came after it, so consumers may see duplicates.
 * - `exactly-once`: Kafka transactions committed when the checkpoint completes; consumers that
 *   read with `read_committed` see each record once.
 */
export type KafkaDeliveryGuarantee = "none" | "at-least-once" | "exactly-once";

/** Compression of record batches; codecs other than gzip must be registered in kafkajs's `CompressionCodecs`. */
export type KafkaCompression = "none" | "gzip" | "snappy" | "lz4" | "zstd";

const COMPRESSION: Record<KafkaCompression, CompressionTypes> = {
  none: CompressionTypes.None,
  gzip: CompressionTypes.GZIP,
  snappy: CompressionTypes.Snappy,
  lz4: CompressionTypes.LZ4,
  zstd: CompressionTypes.ZSTD,
};

/** Options of a {@link KafkaSink}. Connection options (brokers, TLS, SASL) are those of `client.ts`. */
export interface KafkaSinkOptions<T> extends KafkaConnectionOptions {
  /** Names the sink in errors and logs. */
  readonly name: string;
  /** The topic, or a function choosing it per record. The sink does not create topics. */
  readonly topic: string | ((value: T) => string);
  /** The record's key: records with the same key go to the same partition (kafkajs's default partitioner, murmur2 as Java's). */
  readonly key?: (value: T) => string | Uint8Array | null;
  /** Headers of the record's message. */
  readonly headers?: (value: T) => Readonly<Record<string, string>>;
  /** The payload: "json", "string", "bytes" or a `Serializer` (`Serializers.of(name, fn)`). */
  readonly serializer: Serializer<T> | "json" | "string" | "bytes";
  /** Default "at-least-once". */
  readonly guarantee?: KafkaDeliveryGuarantee;
  /**
   * Exactly-once, required: transactional ids are `${prefix}-${subtask}-${n}`. Unique per job and
   * sink on the cluster, and the same across restarts of the job (a restore finds its ids by it).
   */
  readonly transactionalIdPrefix?: string;
  /**
   * Exactly-once: the broker aborts a transaction open longer than this (ms). It must exceed the
   * checkpoint interval plus the time a failed job takes to restart, and must not exceed the
   * broker's `transaction.max.timeout.ms`. Default 900 000 (that setting's default).
   */
  readonly transactionTimeoutMs?: number;
  /** Acknowledgements: -1 all in-sync replicas (default), 1 the leader, 0 none (only with guarantee "none"). */
  readonly acks?: -1 | 0 | 1;
  /** Default "none". */
  readonly compression?: KafkaCompression;
  /** kafkajs's idempotent producer for at-least-once (needs acks -1 and a broker that grants producer ids). Default false. */
  readonly idempotent?: boolean;
  /** The most records per produce request (default 1000). */
  readonly maxBatchSize?: number;
  /** Exactly-once without checkpointing: commit every this many ms (see TwoPhaseCommitSink). */
  readonly commitIntervalMs?: number;
  /** Exactly-once: makes a subtask's transactional producers (default kafkajs's). For tests. */
  readonly producerFactory?: (ctx: SinkWriterContext) => TransactionalProducers;
}

/**
 * Writes records to Kafka as keyed messages with headers, after Flink's `KafkaSink`. See
 * docs/kafka-sink.md. `none` and `at-least-once` use one kafkajs producer per subtask;
 * `exactly-once` uses Kafka transactions, one per checkpoint and subtask, committed when the
 * checkpoint completes ({@link KafkaTransactionalSink}).
 */
export class KafkaSink<T> implements Sink<T> {
  private readonly where: string;
  private readonly build: KafkaRecordBuilder<T>;
  private readonly writer: Omit<ProducerWriterSettings, "brokers">;
  private readonly transactional: KafkaTransactionalSink<T> | undefined;

  constructor(private readonly options: KafkaSinkOptions<T>) {
    if (typeof options?.name !== "string" || options.name === "") throw new VigilError(`Kafka sink: name must be a non-empty string`, { code: "SINK_CONFIG_INVALID" });
    const where = (this.where = `sink "${options.name}"`);
    const fail = (message: string): never => {
      throw new VigilError(`${where}: ${message}`, { code: "SINK_CONFIG_INVALID" });
    };
    const guarantee = options.guarantee ?? "at-least-once";
    if (!["none", "at-least-once", "exactly-once"].includes(guarantee)) fail(`guarantee must be "none", "at-least-once" or "exactly-once", got ${String(guarantee)}`);
    if (typeof options.topic !== "function" && (typeof options.topic !== "string" || options.topic === "")) fail("topic must be a topic name or a function");
    if (options.key !== undefined && typeof options.key !== "function") fail("key must be a function of the record");
    if (options.headers !== undefined && typeof options.headers !== "function") fail("headers must be a function of the record");
    const serializer = resolveSerializer(options.serializer, where);
    const acks = options.acks ?? (guarantee === "none" ? 1 : -1);
    if (acks !== -1 && acks !== 0 && acks !== 1) fail(`acks must be -1, 0 or 1, got ${String(acks)}`);
    if (acks === 0 && guarantee !== "none") fail(`acks 0 gives no acknowledgement to wait for; ${guarantee} needs acks -1 (or 1)`);
    if (acks !== -1 && guarantee === "exactly-once") fail("exactly-once needs acks -1");
    const idempotent = options.idempotent ?? false;
    if (idempotent && acks !== -1) fail("an idempotent producer needs acks -1");
    const compressionName = options.compression ?? "none";
    if (!Object.hasOwn(COMPRESSION, compressionName)) fail(`compression must be one of ${Object.keys(COMPRESSION).join(", ")}, got ${String(compressionName)}`);
    const compression = COMPRESSION[compressionName];
    if (compression !== CompressionTypes.None && !codecRegistered(compression)) {
      fail(`compression "${compressionName}" needs its codec registered in kafkajs's CompressionCodecs first`);
    }
    const maxBatchSize = options.maxBatchSize ?? 1000;
    if (!Number.isInteger(maxBatchSize) || maxBatchSize < 1) fail(`maxBatchSize must be a positive integer, got ${maxBatchSize}`);
    if (options.producerFactory === undefined) resolveBrokers(options, where);
    this.build = new KafkaRecordBuilder<T>(where, { topic: options.topic, key: options.key, headers: options.headers, serializer });
    this.writer = { name: options.name, guarantee: guarantee === "none" ? "none" : "at-least-once", acks, compression, maxBatchSize, idempotent };

    if (guarantee !== "exactly-once") return;
    const prefix = options.transactionalIdPrefix;
    if (typeof prefix !== "string" || !/^[A-Za-z0-9._-]+$/.test(prefix)) {
      fail(`exactly-once needs transactionalIdPrefix: letters, digits, ".", "_" or "-", unique per job and sink on the cluster (got ${String(prefix)})`);
    }
    const transactionTimeoutMs = options.transactionTimeoutMs ?? 900_000;
    if (!Number.isInteger(transactionTimeoutMs) || transactionTimeoutMs < 1_000) fail(`transactionTimeoutMs must be an integer of at least 1000 ms, got ${transactionTimeoutMs}`);
    const producers =
      options.producerFactory ??
      ((ctx: SinkWriterContext) =>
        kafkajsTransactionalProducers(createKafkaClient(options, where, ctx.log), { where, compression, transactionTimeoutMs, retries: options.retries }));
    this.transactional = new KafkaTransactionalSink<T>({ name: options.name, prefix: prefix!, build: this.build, maxBatchSize, commitIntervalMs: options.commitIntervalMs, producers });
  }

  createWriter(ctx: SinkWriterContext): Promise<SinkWriter<T>> {
    if (this.transactional !== undefined) return this.transactional.createWriter(ctx);
    const brokers = resolveBrokers(this.options, this.where).join(",");
    return openProducerWriter(createKafkaClient(this.options, this.where, ctx.log), this.build, { ...this.writer, brokers }, ctx);
  }
}

/** kafkajs's placeholders for codecs it lacks throw when called; a registered codec's factory does not. */
function codecRegistered(type: CompressionTypes): boolean {
  // a default import: Node's ESM loader does not see CompressionCodecs among kafkajs's named exports
  const factory = (kafkajs.CompressionCodecs as Record<number, (() => unknown) | undefined>)[type];
  try {
    return typeof factory === "function" && factory() !== undefined;
  } catch {
    return false;
  }
}
