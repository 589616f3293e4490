import { VigilError } from "../../errors.js";
import { TwoPhaseCommitSink, type SinkWriter, type SinkWriterContext, type TwoPhaseCommitState } from "../../runtime/index.js";
import type { KafkaRecordBuilder } from "./sink-record.js";
import { describeKafkaError, type OutgoingRecord, type ProducerIdentity, type TransactionalProducer, type TransactionalProducers } from "./sink-producers.js";

/** A Kafka sink transaction. Plain data: checkpoints store it. */
export interface KafkaTransaction {
  /** `${prefix}-${subtask}-${index}`. */
  readonly transactionalId: string;
  readonly subtask: number;
  readonly index: number;
  /** In checkpoints, for sealed transactions: what a restore resumes the transaction with. */
  readonly producerId?: string;
  readonly producerEpoch?: number;
}

/** What an exactly-once Kafka writer stores in a checkpoint. */
export interface KafkaSinkState extends TwoPhaseCommitState<KafkaTransaction> {
  readonly subtask: number;
  /** The writer had used ids `${prefix}-${subtask}-0` up to `-${poolSize - 1}`. */
  readonly poolSize: number;
}

/** What the exactly-once part of the Kafka sink needs. */
export interface TransactionalSinkSettings<T> {
  readonly name: string;
  readonly prefix: string;
  readonly build: KafkaRecordBuilder<T>;
  readonly maxBatchSize: number;
  readonly commitIntervalMs: number | undefined;
  /** A subtask's producers: kafkajs's, or a fake in tests. */
  readonly producers: (ctx: SinkWriterContext) => TransactionalProducers;
}

/** One writer's run: its producers and its pool of transactional ids. */
interface Run {
  readonly ctx: SinkWriterContext;
  readonly producers: TransactionalProducers;
  /** Indexes of ids not in use, ascending. */
  readonly free: number[];
  /** Ids 0 .. size-1 exist. */
  size: number;
  /** Resolves once the ids of earlier runs are fenced; new transactions wait for it. */
  readonly fenced: Promise<void>;
}

interface OpenTransaction {
  readonly run: Run;
  readonly producer: TransactionalProducer;
  /** InitProducerId and begin, started at once (after fencing) so a flush rarely waits for it. */
  readonly started: Promise<ProducerIdentity>;
  records: OutgoingRecord[];
}

/** Probing stops this many ids past the known ones even if no unused id turned up. */
const MAX_PROBE = 1000;

/**
 * Exactly-once into Kafka with transactions, after Flink's `KafkaSink`: one Kafka transaction per
 * checkpoint and subtask. Kafka allows one open transaction per transactional id, and a
 * transaction sealed at a barrier stays open until its checkpoint completes while the next one
 * takes new records, so each subtask keeps a pool of ids `${prefix}-${subtask}-${n}`: a
 * transaction takes the lowest free id and gives it back once committed or aborted. Every
 * transaction starts with InitProducerId, so its epoch is new: a stale epoch can never commit
 * another transaction of the same id.
 *
 * Pre-commit flushes the transaction's records (acks -1); commit is EndTxn. The checkpoint stores
 * each sealed transaction's producer id and epoch; a restore resumes and commits them with
 * EndTxn. Then it fences: InitProducerId on every id the restored subtasks and this one may have
 * used (the pool sizes in the state, then on until an id answers with epoch 0, never used),
 * which aborts their open transactions and fences zombie producers.
 */
export class KafkaTransactionalSink<T> extends TwoPhaseCommitSink<T, KafkaTransaction> {
  private readonly runs = new WeakMap<SinkWriterContext, Run>();
  private readonly open = new WeakMap<KafkaTransaction, OpenTransaction>();
  private readonly identities = new WeakMap<KafkaTransaction, ProducerIdentity>();
  /** Restored pending transactions, to the run that recovers them (subtasks open concurrently). */
  private readonly recovering = new WeakMap<KafkaTransaction, Run>();

  constructor(private readonly settings: TransactionalSinkSettings<T>) {
    super({ name: settings.name, commitIntervalMs: settings.commitIntervalMs });
  }

  override async createWriter(ctx: SinkWriterContext): Promise<SinkWriter<T>> {
    const producers = this.settings.producers(ctx);
    try {
      await producers.connect();
    } catch (e) {
      throw new VigilError(`sink "${this.name}" subtask ${ctx.subtaskIndex}: cannot connect to Kafka: ${describeKafkaError(e).message}`, {
        code: "SINK_CONNECT_FAILED",
        retriable: true,
        cause: e,
      });
    }
    let settle!: (e?: unknown) => void;
    const fenced = new Promise<void>((resolve, reject) => (settle = (e) => (e === undefined ? resolve() : reject(e))));
    fenced.catch(() => {}); // seen by whoever awaits a transaction
    const run: Run = { ctx, producers, free: [], size: 0, fenced };
    this.runs.set(ctx, run);
    for (const s of ctx.restoredState as Array<Partial<KafkaSinkState> | null | undefined>) {
      if (Array.isArray(s?.pending)) for (const p of s.pending) this.recovering.set(p.txn, run);
    }
    try {
      const base = await super.createWriter(ctx); // commits the restored pending transactions first
      await this.fenceAll(run);
      settle();
      return new KafkaTransactionalWriter(base, (s) => this.describeState(run, s), producers);
    } catch (e) {
      settle(e);
      await producers.close().catch(() => {});
      throw e;
    }
  }

  protected beginTransaction(ctx: SinkWriterContext, _seq: number): KafkaTransaction {
    const run = this.runs.get(ctx);
    if (run === undefined) throw new VigilError(`sink "${this.name}": a transaction began outside createWriter`, { code: "SINK_STATE_INVALID" });
    const index = run.free.length > 0 ? run.free.shift()! : run.size++;
    const txn: KafkaTransaction = { transactionalId: this.idOf(ctx.subtaskIndex, index), subtask: ctx.subtaskIndex, index };
    const producer = run.producers.create(txn.transactionalId);
    const started = run.fenced.then(async () => {
      const identity = await initOrFail(producer);
      producer.begin();
      this.identities.set(txn, identity);
      return identity;
    });
    started.catch(() => {}); // raised where the transaction is flushed, committed or aborted
    this.open.set(txn, { run, producer, started, records: [] });
    return txn;
  }

  protected invoke(txn: KafkaTransaction, value: T, timestamp: number): void {
    this.openOf(txn).records.push(this.settings.build.build(value, timestamp));
  }

  protected override async flushTransaction(txn: KafkaTransaction): Promise<void> {
    const o = this.openOf(txn);
    if (o.records.length === 0) return;
    await o.started;
    const records = o.records;
    o.records = [];
    const max = this.settings.maxBatchSize;
    for (let i = 0; i < records.length; i += max) {
      const batch = records.length <= max ? records : records.slice(i, i + max);
      try {
        await o.producer.send(batch);
      } catch (e) {
        throw new VigilError(`sending ${batch.length} records to topic "${batch[0].topic}" failed: ${describeKafkaError(e).message}`, {
          code: "SINK_WRITE_FAILED",
          retriable: (e as { retriable?: unknown }).retriable === true,
          cause: e,
        });
      }
    }
  }

  protected async preCommit(txn: KafkaTransaction): Promise<void> {
    await this.flushTransaction(txn);
    await this.openOf(txn).started;
  }

  protected async commit(txn: KafkaTransaction): Promise<void> {
    const o = this.openOf(txn);
    await o.started;
    await o.producer.commit();
    this.release(txn, o);
  }

  protected async abort(txn: KafkaTransaction): Promise<void> {
    const o = this.open.get(txn);
    if (o === undefined) return;
    try {
      const began = await o.started.then(
        () => true,
        () => false,
      );
      if (began) await o.producer.abort();
    } finally {
      this.release(txn, o);
    }
  }

  protected override async recoverAndCommit(txn: KafkaTransaction, checkpointId: number): Promise<void> {
    const run = this.recovering.get(txn);
    if (run === undefined) throw new VigilError(`sink "${this.name}": no writer recovers transaction ${txn.transactionalId}`, { code: "SINK_STATE_INVALID" });
    if (typeof txn.producerId !== "string" || typeof txn.producerEpoch !== "number") {
      throw new VigilError(`the checkpoint holds transaction "${txn.transactionalId}" without its producer id and epoch`, { code: "SINK_STATE_INVALID" });
    }
    const outcome = await run.producers.resumeCommit(txn.transactionalId, { producerId: txn.producerId, producerEpoch: txn.producerEpoch });
    const fields = { sink: this.name, transactionalId: txn.transactionalId, checkpointId, producerId: txn.producerId, producerEpoch: txn.producerEpoch };
    if (outcome.kind === "committed") run.ctx.log.info(fields, "a transaction of the restored checkpoint is committed (now, or it was already)");
    else if (outcome.kind === "aborted") {
      run.ctx.log.error({ ...fields, reason: outcome.reason }, "a transaction of the restored checkpoint was aborted by the broker (transaction timeout?): its records are lost");
    } else {
      run.ctx.log.warn(
        { ...fields, reason: outcome.reason },
        "a transaction of the restored checkpoint has a newer epoch: committed before this restore, unless the broker aborted it (transaction timeout), which loses its records",
      );
    }
  }

  /** The open transaction of the restored state: fencing (below) aborts it with every other. */
  protected override async recoverAndAbort(): Promise<void> {}

  private idOf(subtask: number, index: number): string {
    return `${this.settings.prefix}-${subtask}-${index}`;
  }

  private openOf(txn: KafkaTransaction): OpenTransaction {
    const o = this.open.get(txn);
    if (o === undefined) throw new VigilError(`sink "${this.name}": transaction ${txn.transactionalId} is not open in this writer`, { code: "SINK_STATE_INVALID" });
    return o;
  }

  private release(txn: KafkaTransaction, o: OpenTransaction): void {
    this.open.delete(txn);
    const free = o.run.free;
    let i = 0;
    while (i < free.length && free[i] < txn.index) i++;
    free.splice(i, 0, txn.index);
  }

  /** Fences the ids of this subtask and of every old subtask whose state this one restored. */
  private async fenceAll(run: Run): Promise<void> {
    const known = new Map<number, number>([[run.ctx.subtaskIndex, 0]]);
    for (const s of run.ctx.restoredState as Array<Partial<KafkaSinkState> | null | undefined>) {
      if (typeof s?.subtask === "number" && typeof s.poolSize === "number") known.set(s.subtask, Math.max(known.get(s.subtask) ?? 0, s.poolSize));
    }
    const probed = await Promise.all([...known].map(([subtask, size]) => this.fence(run, subtask, size)));
    run.ctx.log.info({ sink: this.name, subtasks: [...known.keys()], ids: probed.reduce((a, b) => a + b, 0) }, "fenced the transactional ids of earlier runs");
  }

  /**
   * InitProducerId on ids n = 0, 1, ... of `subtask`: at least the `known` ones, then on until an
   * id answers with epoch 0, which no producer had used (ids are used from 0 up). Returns how many.
   */
  private async fence(run: Run, subtask: number, known: number): Promise<number> {
    for (let n = 0; ; n++) {
      const id = this.idOf(subtask, n);
      let identity: ProducerIdentity;
      try {
        identity = await initOrFail(run.producers.create(id));
      } catch (e) {
        throw new VigilError(`sink "${this.name}" subtask ${run.ctx.subtaskIndex}: cannot fence transactional id "${id}": ${(e as Error).message}`, {
          code: "SINK_FENCING_FAILED",
          retriable: true,
          cause: e,
        });
      }
      if (n >= known && identity.producerEpoch === 0) return n + 1;
      if (n >= known + MAX_PROBE) {
        run.ctx.log.warn({ sink: this.name, subtask, probed: n + 1 }, "stopped fencing without finding an unused transactional id; open transactions of higher ids end at their timeout");
        return n + 1;
      }
    }
  }

  private describeState(run: Run, s: TwoPhaseCommitState<KafkaTransaction>): KafkaSinkState {
    const pending = s.pending.map((p) => {
      const identity = this.identities.get(p.txn);
      if (identity === undefined) {
        throw new VigilError(`sink "${this.name}": sealed transaction ${p.txn.transactionalId} has no producer id`, { code: "SINK_STATE_INVALID" });
      }
      return { checkpointId: p.checkpointId, txn: { ...p.txn, producerId: identity.producerId, producerEpoch: identity.producerEpoch } };
    });
    return { pending, current: s.current, subtask: run.ctx.subtaskIndex, poolSize: run.size };
  }
}

/** InitProducerId, with a hint for the error that a configuration causes. */
async function initOrFail(producer: TransactionalProducer): Promise<ProducerIdentity> {
  try {
    return await producer.init();
  } catch (e) {
    const { type, message } = describeKafkaError(e);
    const hint = type === "INVALID_TRANSACTION_TIMEOUT" ? " (transactionTimeoutMs exceeds the broker's transaction.max.timeout.ms)" : "";
    throw new VigilError(`InitProducerId for "${producer.transactionalId}" failed: ${message}${hint}`, {
      code: "SINK_TRANSACTION_FAILED",
      retriable: (e as { retriable?: unknown }).retriable === true,
      cause: e,
    });
  }
}

/** The base writer, with the Kafka state (producer ids and epochs, pool size) in its checkpoints. */
class KafkaTransactionalWriter<T> implements SinkWriter<T> {
  constructor(
    private readonly base: SinkWriter<T>,
    private readonly describeState: (s: TwoPhaseCommitState<KafkaTransaction>) => KafkaSinkState,
    private readonly producers: TransactionalProducers,
  ) {}

  write(value: T, timestamp: number): void {
    this.base.write(value, timestamp);
  }

  flush(endOfInput: boolean): void | Promise<void> {
    return this.base.flush?.(endOfInput);
  }

  snapshotState(checkpointId: number): Promise<KafkaSinkState> {
    // the call seals the transaction now; the state is complete once its pre-commit is done
    const sealed = this.base.snapshotState?.(checkpointId);
    return Promise.resolve(sealed).then((s) => this.describeState(s as TwoPhaseCommitState<KafkaTransaction>));
  }

  notifyCheckpointComplete(checkpointId: number): void | Promise<void> {
    return this.base.notifyCheckpointComplete?.(checkpointId);
  }

  notifyCheckpointAborted(checkpointId: number): void | Promise<void> {
    return this.base.notifyCheckpointAborted?.(checkpointId);
  }

  async close(): Promise<void> {
    try {
      await this.base.close?.();
    } finally {
      await this.producers.close();
    }
  }
}
