import { VigilError } from "../../errors.js";
import type { Logger } from "../logger.js";
import type { Sink, SinkWriter, SinkWriterContext } from "./sink.js";

/** A transaction sealed at checkpoint `checkpointId`'s barrier, waiting for that checkpoint to complete. */
export interface PendingTransaction<Txn> {
  readonly checkpointId: number;
  readonly txn: Txn;
}

/**
 * What a two-phase-commit writer stores in a checkpoint: the sealed transactions not yet committed
 * (a restore commits them) and the open one (a restore aborts it: its records are replayed).
 */
export interface TwoPhaseCommitState<Txn> {
  readonly pending: ReadonlyArray<PendingTransaction<Txn>>;
  readonly current: Txn;
}

/** Options of a {@link TwoPhaseCommitSink}. */
export interface TwoPhaseCommitOptions {
  /** Names the sink in errors and logs. */
  readonly name: string;
  /**
   * Without checkpointing only: a flush commits the open transaction once it is this old (ms), so
   * that an unbounded job without checkpoints still publishes its output (at-least-once).
   * Default 60 000; `Infinity` commits at the end of the input only.
   */
  readonly commitIntervalMs?: number;
}

/** The subclass hooks, bound to one writer's context. */
interface TransactionHooks<T, Txn> {
  begin(seq: number): Txn;
  invoke(txn: Txn, value: T, timestamp: number): void;
  flush: ((txn: Txn) => Promise<void>) | undefined;
  preCommit(txn: Txn): Promise<void>;
  commit(txn: Txn, checkpointId: number | undefined): Promise<void>;
  abort(txn: Txn): Promise<void>;
}

/**
 * An exactly-once sink after Flink's `TwoPhaseCommitSinkFunction`: records go into a transaction;
 * at each checkpoint barrier the open transaction is sealed and pre-committed (made durable but
 * not visible) and a new one begins; once the checkpoint completes on every subtask the sealed
 * transactions are committed (made visible). A restore commits what the checkpoint holds as
 * pending (the checkpoint completed, so its transactions must become visible even if the
 * notification was lost) and aborts its open transaction, whose records the sources replay.
 *
 * Subclasses implement the transaction hooks. `Txn` is a plain, structured-cloneable handle (a
 * temporary file's path, a transaction id): it is stored in checkpoints. The sink object is shared
 * by every subtask, so keep per-transaction resources (buffers, open handles) keyed by the handle,
 * never in plain fields. Only transactions that received records are pre-committed and committed;
 * every transaction is eventually committed or aborted, except those begun after the last
 * checkpoint of a crashed run (clean them up in `createWriter` if they leave garbage).
 *
 * Without checkpointing (`ctx.checkpointing === false`) the writer commits the open transaction at
 * the end of the input and, in unbounded jobs, every `commitIntervalMs`: a restarted job then
 * writes its records again, so the guarantee is at-least-once.
 */
export abstract class TwoPhaseCommitSink<T, Txn> implements Sink<T> {
  protected readonly name: string;
  private readonly commitIntervalMs: number;

  constructor(options: TwoPhaseCommitOptions) {
    const interval = options.commitIntervalMs ?? 60_000;
    if (!(interval > 0)) {
      throw new VigilError(`sink "${options.name}": commitIntervalMs must be positive, got ${interval}`, { code: "SINK_CONFIG_INVALID" });
    }
    this.name = options.name;
    this.commitIntervalMs = interval;
  }

  /**
   * Opens a transaction, synchronously (it runs at the barrier): return its handle and defer I/O
   * to `flushTransaction` or `preCommit`. `seq` counts the transactions this writer began (0, 1, ...).
   */
  protected abstract beginTransaction(ctx: SinkWriterContext, seq: number): Txn;
  /** Adds a record to the transaction, synchronously (buffer it). */
  protected abstract invoke(txn: Txn, value: T, timestamp: number): void;
  /** Writes what `invoke` buffered (after each batch); the runtime waits on it (backpressure). */
  protected flushTransaction?(txn: Txn): Promise<void>;
  /**
   * Makes the transaction durable without making it visible: writes what `invoke` buffered since
   * the last `flushTransaction`, then flushes and fsyncs.
   */
  protected abstract preCommit(txn: Txn): Promise<void>;
  /**
   * Makes a pre-committed transaction visible. Must be idempotent: after a restart it is called
   * again for a transaction that may already be committed. `checkpointId` is the checkpoint that
   * sealed it, `undefined` for a commit at the end of the input or without checkpointing.
   */
  protected abstract commit(txn: Txn, checkpointId: number | undefined): Promise<void>;
  /** Discards the transaction; it may have been aborted already or never written to. */
  protected abstract abort(txn: Txn): Promise<void>;

  /** Commits a transaction found pending in restored state (default: `commit`). */
  protected recoverAndCommit(txn: Txn, checkpointId: number): Promise<void> {
    return this.commit(txn, checkpointId);
  }

  /** Aborts the open transaction found in restored state (default: `abort`). */
  protected recoverAndAbort(txn: Txn): Promise<void> {
    return this.abort(txn);
  }

  async createWriter(ctx: SinkWriterContext): Promise<SinkWriter<T>> {
    await this.recover(ctx);
    const hooks: TransactionHooks<T, Txn> = {
      begin: (seq) => this.beginTransaction(ctx, seq),
      invoke: (txn, value, timestamp) => this.invoke(txn, value, timestamp),
      flush: this.flushTransaction === undefined ? undefined : (txn) => this.flushTransaction!(txn),
      preCommit: (txn) => this.preCommit(txn),
      commit: (txn, id) => this.commit(txn, id),
      abort: (txn) => this.abort(txn),
    };
    return new TwoPhaseCommitWriter(hooks, ctx, this.name, ctx.checkpointing ? Infinity : this.commitIntervalMs);
  }

  /** Commits every transaction pending in the restored state, oldest checkpoint first, then aborts the open ones. */
  private async recover(ctx: SinkWriterContext): Promise<void> {
    const states = ctx.restoredState.filter((s) => s !== undefined && s !== null).map((s) => this.checkState(s, ctx));
    const pending = states.flatMap((s) => s.pending).sort((a, b) => a.checkpointId - b.checkpointId);
    for (const p of pending) {
      await wrap(() => this.recoverAndCommit(p.txn, p.checkpointId), this.name, ctx, "recoverAndCommit", p.txn);
    }
    for (const s of states) await wrap(() => this.recoverAndAbort(s.current), this.name, ctx, "recoverAndAbort", s.current);
    if (states.length > 0) ctx.log.info({ sink: this.name, committed: pending.length, aborted: states.length }, "two-phase-commit sink recovered");
  }

  private checkState(s: unknown, ctx: SinkWriterContext): TwoPhaseCommitState<Txn> {
    const st = s as Partial<TwoPhaseCommitState<Txn>>;
    if (typeof s !== "object" || !Array.isArray(st.pending) || !("current" in st)) {
      throw new VigilError(
        `sink "${this.name}" subtask ${ctx.subtaskIndex}: restored state is not a two-phase-commit state ({ pending, current }); was the job restored with another sink at this uid?`,
        { code: "SINK_STATE_INVALID" },
      );
    }
    return st as TwoPhaseCommitState<Txn>;
  }
}

/** Awaits a hook and names the sink, subtask, stage and transaction in its error. */
async function wrap(hook: () => Promise<void>, name: string, ctx: SinkWriterContext, stage: string, txn: unknown): Promise<void> {
  try {
    await hook();
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    throw new VigilError(`sink "${name}" subtask ${ctx.subtaskIndex}: ${stage} failed for transaction ${JSON.stringify(txn)}: ${reason}`, {
      code: "SINK_TRANSACTION_FAILED",
      retriable: e instanceof VigilError ? e.retriable : false,
      cause: e,
    });
  }
}

/** One subtask's writer. Every hook's I/O runs in one queue, in call order. */
class TwoPhaseCommitWriter<T, Txn> implements SinkWriter<T> {
  private current: Txn;
  private currentRecords = 0;
  private unflushed = 0;
  private currentSince = performance.now();
  private seq = 0;
  private readonly pending: Array<PendingTransaction<Txn>> = [];
  private io: Promise<void> = Promise.resolve();
  private failure: unknown;
  private closed = false;
  private readonly log: Logger;

  constructor(
    private readonly hooks: TransactionHooks<T, Txn>,
    private readonly ctx: SinkWriterContext,
    private readonly name: string,
    private readonly commitIntervalMs: number,
  ) {
    this.log = ctx.log;
    this.current = this.begin();
  }

  write(value: T, timestamp: number): void {
    this.hooks.invoke(this.current, value, timestamp);
    this.currentRecords++;
    this.unflushed++;
  }

  flush(endOfInput: boolean): Promise<void> | undefined {
    if (endOfInput || performance.now() - this.currentSince >= this.commitIntervalMs) {
      if (this.currentRecords === 0) return undefined;
      const txn = this.seal();
      return this.run(async () => {
        await wrap(() => this.hooks.preCommit(txn), this.name, this.ctx, "preCommit", txn);
        await wrap(() => this.hooks.commit(txn, undefined), this.name, this.ctx, "commit", txn);
      });
    }
    const flushTxn = this.hooks.flush;
    if (this.unflushed === 0 || flushTxn === undefined) return undefined;
    this.unflushed = 0;
    const txn = this.current;
    return this.run(() => wrap(() => flushTxn(txn), this.name, this.ctx, "flushTransaction", txn));
  }

  snapshotState(checkpointId: number): Promise<TwoPhaseCommitState<Txn>> {
    // Synchronous part: the records written so far, and only they, belong to this checkpoint.
    // An empty transaction stays open: sealing it would commit nothing.
    let sealed: Txn | undefined;
    if (this.currentRecords > 0) {
      sealed = this.seal();
      this.pending.push({ checkpointId, txn: sealed });
    }
    const state: TwoPhaseCommitState<Txn> = { pending: this.pending.slice(), current: this.current };
    return this.run(async () => {
      if (sealed !== undefined) await wrap(() => this.hooks.preCommit(sealed), this.name, this.ctx, "preCommit", sealed);
    }).then(() => state);
  }

  notifyCheckpointComplete(checkpointId: number): Promise<void> {
    return this.run(async () => {
      // Chosen when the queue reaches this call, so an earlier notification's commits are not redone.
      while (this.pending.length > 0 && this.pending[0].checkpointId <= checkpointId) {
        const p = this.pending[0];
        await wrap(() => this.hooks.commit(p.txn, p.checkpointId), this.name, this.ctx, "commit", p.txn);
        this.pending.shift();
      }
    });
  }

  notifyCheckpointAborted(checkpointId: number): void {
    // As in Flink, sealed transactions stay pending: the next completed checkpoint commits them.
    this.log.debug({ sink: this.name, checkpointId, pending: this.pending.length }, "checkpoint aborted; transactions stay pending");
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.io;
    if (this.pending.length > 0) {
      this.log.warn(
        { sink: this.name, pending: this.pending.map((p) => p.checkpointId) },
        "sink closed with uncommitted transactions; a restore from a checkpoint that holds them commits them",
      );
    }
    await wrap(() => this.hooks.abort(this.current), this.name, this.ctx, "abort", this.current);
  }

  private begin(): Txn {
    const txn = this.hooks.begin(this.seq++);
    this.currentRecords = 0;
    this.unflushed = 0;
    this.currentSince = performance.now();
    return txn;
  }

  /** Replaces the open transaction with a new one and returns the old. */
  private seal(): Txn {
    const txn = this.current;
    this.current = this.begin();
    return txn;
  }

  /**
   * Queues I/O behind everything queued before. After a failure every later operation fails too:
   * a checkpoint must never cover a transaction whose writes or pre-commit failed.
   */
  private run(op: () => Promise<void>): Promise<void> {
    const p = this.io.then(() => {
      if (this.failure !== undefined) {
        throw new VigilError(`sink "${this.name}" subtask ${this.ctx.subtaskIndex}: an earlier write or commit failed; the job must restart`, {
          code: "SINK_FAILED",
          cause: this.failure,
        });
      }
      return op();
    });
    this.io = p.catch((e: unknown) => {
      this.failure ??= e;
    });
    return p;
  }
}
