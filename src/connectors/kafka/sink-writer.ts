import { Partitioners, type CompressionTypes, type Kafka, type Producer } from "kafkajs";
import { VigilError } from "../../errors.js";
import type { SinkWriter, SinkWriterContext } from "../../runtime/index.js";
import type { KafkaRecordBuilder } from "./sink-record.js";
import { byTopic, describeKafkaError, type OutgoingRecord } from "./sink-producers.js";

/** What a {@link ProducerWriter} needs to know. */
export interface ProducerWriterSettings {
  readonly name: string;
  readonly guarantee: "none" | "at-least-once";
  readonly acks: -1 | 0 | 1;
  readonly compression: CompressionTypes;
  readonly maxBatchSize: number;
  readonly idempotent: boolean;
  /** "host:port,..." for error messages. */
  readonly brokers: string;
}

/** Hints for errors whose fix is not obvious from kafkajs's message. */
const HINTS: Record<string, string> = {
  MESSAGE_TOO_LARGE: "a partition's records of one request exceed the broker's message.max.bytes: lower maxBatchSize or make records smaller",
  UNKNOWN_TOPIC_OR_PARTITION: "does the topic exist?",
  TOPIC_AUTHORIZATION_FAILED: "the credentials may not write to this topic",
};

/** Connects a plain (non-transactional) producer and returns the writer for `none` or `at-least-once`. */
export async function openProducerWriter<T>(kafka: Kafka, build: KafkaRecordBuilder<T>, s: ProducerWriterSettings, ctx: SinkWriterContext): Promise<SinkWriter<T>> {
  if (ctx.restoredState.some((st) => typeof st === "object" && st !== null && "pending" in st)) {
    ctx.log.warn(
      { sink: s.name },
      "restored state holds Kafka transactions of an exactly-once run; this at-least-once writer does not commit them: the broker aborts them after transactionTimeoutMs",
    );
  }
  const producer = kafka.producer({
    createPartitioner: Partitioners.DefaultPartitioner,
    allowAutoTopicCreation: false, // an auto-created topic gets the broker's defaults (often one partition)
    idempotent: s.idempotent,
    ...(s.idempotent ? { maxInFlightRequests: 1 } : {}),
  });
  const writer = new ProducerWriter<T>(producer, build, s, ctx);
  try {
    await producer.connect();
  } catch (e) {
    const { message } = describeKafkaError(e);
    throw new VigilError(`sink "${s.name}" subtask ${ctx.subtaskIndex}: cannot connect to Kafka (brokers ${s.brokers}): ${message}`, {
      code: "SINK_CONNECT_FAILED",
      retriable: true,
      cause: e,
    });
  }
  return writer;
}

/**
 * Buffers records in `write` and sends them in `flush`, one request after another (the runtime
 * waits on it: backpressure). At a checkpoint barrier (`at-least-once`) the state resolves only
 * once every record written before it is acknowledged, so a completed checkpoint never covers a
 * record Kafka does not have; a restore then resends what came after it (duplicates, no loss).
 * A send that fails after kafkajs's retries fails it and every later call: the job restarts.
 */
class ProducerWriter<T> implements SinkWriter<T> {
  private buffer: OutgoingRecord[] = [];
  private io: Promise<void> = Promise.resolve();
  private failure: unknown;
  /** The broker of the last Produce response, to name in errors that do not name one. */
  private lastBroker: string | undefined;

  constructor(
    private readonly producer: Producer,
    private readonly build: KafkaRecordBuilder<T>,
    private readonly s: ProducerWriterSettings,
    private readonly ctx: SinkWriterContext,
  ) {
    producer.on(producer.events.REQUEST, (e) => {
      if (e.payload.apiName === "Produce") this.lastBroker = e.payload.broker;
    });
  }

  write(value: T, timestamp: number): void {
    this.buffer.push(this.build.build(value, timestamp));
  }

  flush(): Promise<void> | undefined {
    return this.buffer.length === 0 ? undefined : this.drain();
  }

  snapshotState(): Promise<undefined> | undefined {
    // `none`: a checkpoint does not wait for Kafka; what is in flight may be lost in a crash.
    if (this.s.guarantee === "none") return undefined;
    return this.drain().then(() => undefined);
  }

  async close(): Promise<void> {
    await this.io;
    if (this.buffer.length > 0) this.ctx.log.warn({ sink: this.s.name, records: this.buffer.length }, "Kafka sink closed with records not sent");
    await this.producer.disconnect();
  }

  /** Queues the sending of everything buffered; resolves when it and all earlier sends are acknowledged. */
  private drain(): Promise<void> {
    const records = this.buffer;
    this.buffer = [];
    const p = this.io.then(async () => {
      if (this.failure !== undefined) {
        throw new VigilError(`sink "${this.s.name}" subtask ${this.ctx.subtaskIndex}: an earlier send to Kafka failed; the job must restart`, {
          code: "SINK_FAILED",
          cause: this.failure,
        });
      }
      for (let i = 0; i < records.length; i += this.s.maxBatchSize) {
        const batch = records.length <= this.s.maxBatchSize ? records : records.slice(i, i + this.s.maxBatchSize);
        try {
          await this.producer.sendBatch({ acks: this.s.acks, compression: this.s.compression, topicMessages: byTopic(batch) });
        } catch (e) {
          throw this.sendError(e, batch);
        }
      }
    });
    this.io = p.catch((e: unknown) => {
      this.failure ??= e;
    });
    return p;
  }

  private sendError(e: unknown, batch: readonly OutgoingRecord[]): VigilError {
    const { type, broker, message } = describeKafkaError(e);
    const topics = [...new Set(batch.map((r) => r.topic))];
    const topicText = topics.length === 1 ? `topic "${topics[0]}"` : `topics ${topics.slice(0, 3).map((t) => `"${t}"`).join(", ")}${topics.length > 3 ? ", ..." : ""}`;
    const brokerText =
      broker !== undefined ? `broker ${broker}` : this.lastBroker !== undefined ? `broker ${this.lastBroker} (the last to answer a Produce)` : `brokers ${this.s.brokers}`;
    const hint = type === undefined ? undefined : HINTS[type];
    const exhausted = (e as { name?: unknown }).name === "KafkaJSNumberOfRetriesExceeded";
    return new VigilError(
      `sink "${this.s.name}" subtask ${this.ctx.subtaskIndex}: sending ${batch.length} records to ${topicText} via ${brokerText} failed${exhausted ? " after retries" : ""}: ${message}${hint === undefined ? "" : ` (${hint})`}`,
      { code: "SINK_WRITE_FAILED", retriable: exhausted || (e as { retriable?: unknown }).retriable === true, cause: e },
    );
  }
}
