import { createRequire } from "node:module";
import { CompressionTypes, Partitioners, type Kafka, type Message } from "kafkajs";
import { VigilError } from "../../errors.js";

/** One record on its way to Kafka: the topic it goes to and the kafkajs message. */
export interface OutgoingRecord {
  readonly topic: string;
  readonly message: Message;
}

/** What InitProducerId gave a transactional id: a restore needs both to resume the transaction. */
export interface ProducerIdentity {
  /** An int64, as kafkajs decodes it: a decimal string. */
  readonly producerId: string;
  readonly producerEpoch: number;
}

/**
 * One transactional producer, for one transaction: `init` (InitProducerId) gives the id a new
 * epoch, which fences every earlier producer of the id and makes the broker abort its open
 * transaction; then `begin`, `send`, and `commit` or `abort`.
 */
export interface TransactionalProducer {
  readonly transactionalId: string;
  init(): Promise<ProducerIdentity>;
  /** Opens the transaction (no I/O: the broker learns of it at the first send). */
  begin(): void;
  /** Sends records in the transaction; resolves once the partition leaders acknowledged them (acks -1). */
  send(records: readonly OutgoingRecord[]): Promise<void>;
  commit(): Promise<void>;
  abort(): Promise<void>;
}

/** How a restore's attempt to commit a transaction of the checkpoint ended. */
export type ResumeOutcome =
  | { readonly kind: "committed" }
  /** The broker aborted it (transaction timeout): its records are lost. */
  | { readonly kind: "aborted"; readonly reason: string }
  /** The id has a newer epoch: committed before and then reused or fenced, or aborted by the broker. */
  | { readonly kind: "fenced"; readonly reason: string };

/**
 * The transactional producers of one sink subtask, over one connection to the cluster. The Kafka
 * sink builds on this interface alone, so tests can give it a fake (`producerFactory`).
 */
export interface TransactionalProducers {
  connect(): Promise<void>;
  create(transactionalId: string): TransactionalProducer;
  /**
   * Commits the transaction that `transactionalId` had open at `identity` (EndTxn with the stored
   * producer id and epoch), as Flink's `resumeTransaction` does. Committing one that is committed
   * already succeeds (same epoch).
   */
  resumeCommit(transactionalId: string, identity: ProducerIdentity): Promise<ResumeOutcome>;
  close(): Promise<void>;
}

/** The kafkajs type of an error (`MESSAGE_TOO_LARGE`) and the broker it names, looking through causes. */
export function describeKafkaError(e: unknown): { type: string | undefined; broker: string | undefined; message: string } {
  let type: string | undefined;
  let broker: string | undefined;
  let cur: unknown = e;
  for (let depth = 0; depth < 5 && typeof cur === "object" && cur !== null; depth++) {
    const c = cur as { type?: unknown; broker?: unknown; cause?: unknown; originalError?: unknown };
    if (type === undefined && typeof c.type === "string") type = c.type;
    if (broker === undefined && typeof c.broker === "string") broker = c.broker;
    cur = c.originalError ?? c.cause;
  }
  const text = e instanceof Error ? e.message : String(e);
  return { type, broker, message: type === undefined || text.includes(type) ? text : `${type}: ${text}` };
}

// ---- kafkajs internals -------------------------------------------------------------------------
// kafkajs keeps a transactional producer's id and epoch private and cannot resume a transaction,
// which exactly-once across a restart needs (Flink reaches into KafkaProducer the same way). So
// this part assembles the transactional producer from kafkajs's own modules, pinned to 2.2.x.

interface EosManager {
  initProducerId(): Promise<void>;
  getProducerId(): string;
  getProducerEpoch(): number;
  beginTransaction(): void;
  commit(): Promise<void>;
  abort(): Promise<void>;
}
interface KafkajsBroker {
  endTxn(request: { producerId: string; producerEpoch: number; transactionalId: string; transactionResult: boolean }): Promise<unknown>;
}
interface KafkajsCluster {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  findGroupCoordinator(request: { groupId: string; coordinatorType: number }): Promise<KafkajsBroker>;
}
interface KafkajsLogger {
  namespace(name: string): KafkajsLogger;
}
interface Internals {
  createEosManager(o: { logger: KafkajsLogger; cluster: KafkajsCluster; transactionTimeout: number; transactional: true; transactionalId: string }): EosManager;
  createMessageProducer(o: {
    logger: KafkajsLogger;
    cluster: KafkajsCluster;
    partitioner: unknown;
    eosManager: EosManager;
    idempotent: true;
    retrier: unknown;
    getConnectionStatus: () => string;
  }): { sendBatch(r: { acks: number; compression: CompressionTypes; topicMessages: Array<{ topic: string; messages: Message[] }> }): Promise<unknown> };
  createRetry(o: object): unknown;
}

const TRANSACTION_COORDINATOR = 1;
let internals: Internals | undefined;

function loadInternals(where: string): Internals {
  if (internals !== undefined) return internals;
  const require = createRequire(import.meta.url);
  const version = (require("kafkajs/package.json") as { version: string }).version;
  if (!/^2\.2\./.test(version)) {
    throw new VigilError(`${where}: exactly-once needs kafkajs 2.2.x (it resumes transactions through kafkajs internals), found ${version}`, {
      code: "CONNECTOR_UNSUPPORTED",
    });
  }
  internals = {
    createEosManager: require("kafkajs/src/producer/eosManager"),
    createMessageProducer: require("kafkajs/src/producer/messageProducer"),
    createRetry: require("kafkajs/src/retry"),
  } as Internals;
  return internals;
}

/** A kafkajs `Cluster` configured as the client is (brokers, TLS, SASL, retries, logging). */
function clusterOf(kafka: Kafka, where: string): KafkajsCluster {
  const symbol = Object.getOwnPropertySymbols(kafka).find((s) => s.description === "private:Kafka:createCluster");
  const create = symbol === undefined ? undefined : (kafka as unknown as Record<symbol, unknown>)[symbol];
  if (typeof create !== "function") {
    throw new VigilError(`${where}: this kafkajs build has no internal cluster factory; exactly-once is unavailable`, { code: "CONNECTOR_UNSUPPORTED" });
  }
  return create({ metadataMaxAge: 300_000, allowAutoTopicCreation: false, maxInFlightRequests: null }) as KafkajsCluster;
}

/** EndTxn answers meaning the transaction is no longer open at the stored epoch. */
const FENCED = new Set(["INVALID_PRODUCER_EPOCH", "INVALID_PRODUCER_ID_MAPPING", "UNKNOWN_PRODUCER_ID"]);
/** EndTxn answers worth another try: a commit in progress, a coordinator moving or loading. */
const RETRY = new Set(["CONCURRENT_TRANSACTIONS", "NOT_COORDINATOR_FOR_GROUP", "GROUP_COORDINATOR_NOT_AVAILABLE", "GROUP_LOAD_IN_PROGRESS"]);

/** Settings of {@link kafkajsTransactionalProducers}. */
export interface KafkajsTransactionalSettings {
  /** Names the sink in errors. */
  readonly where: string;
  readonly compression: CompressionTypes;
  /** The broker aborts a transaction open longer than this (ms). */
  readonly transactionTimeoutMs: number;
  /** kafkajs's retries of a send (default 5). */
  readonly retries?: number;
}

/** Transactional producers on kafkajs (2.2.x), sharing one connection to the cluster. */
export function kafkajsTransactionalProducers(kafka: Kafka, settings: KafkajsTransactionalSettings): TransactionalProducers {
  const lib = loadInternals(settings.where);
  const cluster = clusterOf(kafka, settings.where);
  const logger = (kafka.logger() as unknown as KafkajsLogger).namespace("KafkaSink");
  const partitioner = Partitioners.DefaultPartitioner();
  const retrier = lib.createRetry(settings.retries === undefined ? {} : { retries: settings.retries });
  let status = "disconnected";

  return {
    async connect() {
      await cluster.connect();
      status = "connected";
    },
    create(transactionalId) {
      const eos = lib.createEosManager({ logger, cluster, transactionTimeout: settings.transactionTimeoutMs, transactional: true, transactionalId });
      const producer = lib.createMessageProducer({ logger, cluster, partitioner, eosManager: eos, idempotent: true, retrier, getConnectionStatus: () => status });
      return {
        transactionalId,
        async init() {
          await eos.initProducerId();
          return { producerId: eos.getProducerId(), producerEpoch: eos.getProducerEpoch() };
        },
        begin: () => eos.beginTransaction(),
        async send(records) {
          await producer.sendBatch({ acks: -1, compression: settings.compression, topicMessages: byTopic(records) });
        },
        commit: () => eos.commit(),
        abort: () => eos.abort(),
      };
    },
    async resumeCommit(transactionalId, { producerId, producerEpoch }) {
      for (let attempt = 0; ; attempt++) {
        try {
          const broker = await cluster.findGroupCoordinator({ groupId: transactionalId, coordinatorType: TRANSACTION_COORDINATOR });
          await broker.endTxn({ producerId, producerEpoch, transactionalId, transactionResult: true });
          return { kind: "committed" };
        } catch (e) {
          const { type, message } = describeKafkaError(e);
          if (type === "INVALID_TXN_STATE") return { kind: "aborted", reason: message };
          // kafkajs 2.2 does not know PRODUCER_FENCED (90), which newer brokers may send instead of INVALID_PRODUCER_EPOCH
          const fenced = (type !== undefined && FENCED.has(type)) || (type === "KAFKAJS_UNKNOWN_ERROR_CODE" && /\b90\b/.test(message));
          if (fenced) return { kind: "fenced", reason: message };
          const retriable = (type !== undefined && RETRY.has(type)) || (e as { retriable?: unknown }).retriable === true;
          if (!retriable || attempt >= 9) throw e;
          await new Promise((r) => setTimeout(r, Math.min(2_000, 100 * 2 ** attempt)));
        }
      }
    },
    async close() {
      status = "disconnected";
      await cluster.disconnect();
    },
  };
}

/** kafkajs's `topicMessages`: the records grouped by topic, in order within each topic. */
export function byTopic(records: readonly OutgoingRecord[]): Array<{ topic: string; messages: Message[] }> {
  const groups = new Map<string, Message[]>();
  for (const r of records) {
    let g = groups.get(r.topic);
    if (g === undefined) groups.set(r.topic, (g = []));
    g.push(r.message);
  }
  return [...groups].map(([topic, messages]) => ({ topic, messages }));
}
