import { VigilError } from "../../errors.js";
import type { Sink, SinkWriter, SinkWriterContext } from "./sink.js";

/** A record with the id under which an {@link IdempotentSink} upserts it. */
export interface IdempotentRecord<T> {
  readonly id: string;
  readonly value: T;
  /** The record's timestamp (ms), as the runtime passed it. */
  readonly timestamp: number;
}

/** Options of an {@link IdempotentSink}. */
export interface IdempotentSinkOptions<T> {
  /** Names the sink in errors, logs and default ids. */
  readonly name: string;
  /**
   * The record's id, a pure function of the record (an event id, a key and window end). Without
   * it ids are `${name}/${subtask}/${seq}`, see {@link IdempotentSink}.
   */
  readonly idOf?: (value: T) => string;
  /** The most records per `upsert` call (default 1000). */
  readonly maxBatchSize?: number;
}

/** What an idempotent writer stores in a checkpoint: how many records its subtask had written. */
export interface IdempotentSinkState {
  readonly subtask: number;
  readonly parallelism: number;
  readonly seq: number;
}

/**
 * An exactly-once sink for stores that upsert by id (a database table's primary key, a search
 * index, a key-value store): a replay after a restore writes the same records under the same
 * ids, so it overwrites instead of duplicating. Subclasses implement `upsert`.
 *
 * Ids come from `idOf` when given. Otherwise a record's id is `${name}/${subtask}/${seq}`, where
 * `seq` counts the subtask's records and is checkpointed; that reproduces the ids only if the
 * replay brings each subtask the same records in the same order, so only at the same parallelism
 * and with a deterministic job (no processing time, no unordered merges of inputs). Prefer `idOf`.
 *
 * `flush` upserts what was written since the last flush (the runtime waits on it: backpressure);
 * `snapshotState` resolves only once every record written before it is upserted, so a completed
 * checkpoint never covers a record that was not stored. Without checkpointing a restart replays
 * from the start and upserts again, which with `idOf` still leaves each record once.
 */
export abstract class IdempotentSink<T> implements Sink<T> {
  protected readonly name: string;
  private readonly idOf: ((value: T) => string) | undefined;
  private readonly maxBatchSize: number;

  constructor(options: IdempotentSinkOptions<T>) {
    const max = options.maxBatchSize ?? 1000;
    if (!Number.isInteger(max) || max < 1) {
      throw new VigilError(`sink "${options.name}": maxBatchSize must be a positive integer, got ${max}`, { code: "SINK_CONFIG_INVALID" });
    }
    this.name = options.name;
    this.idOf = options.idOf;
    this.maxBatchSize = max;
  }

  /** Writes the records, replacing any stored under the same id. Must be safe to repeat. */
  protected abstract upsert(batch: Array<IdempotentRecord<T>>, ctx: SinkWriterContext): Promise<void>;

  createWriter(ctx: SinkWriterContext): SinkWriter<T> {
    const seq = this.restoredSeq(ctx);
    return new IdempotentWriter(ctx, this.name, this.idOf, this.maxBatchSize, seq, (batch) => this.upsert(batch, ctx));
  }

  /** The sequence number the same old subtask had reached; warns when default ids cannot be reproduced. */
  private restoredSeq(ctx: SinkWriterContext): number {
    const states = ctx.restoredState.filter((s) => s !== undefined && s !== null).map((s) => this.checkState(s, ctx));
    const own = states.find((s) => s.subtask === ctx.subtaskIndex);
    if (this.idOf === undefined && states.length > 0 && (states.length > 1 || own === undefined || own.parallelism !== ctx.parallelism)) {
      ctx.log.warn(
        { sink: this.name, from: states.map((s) => s.subtask), parallelism: ctx.parallelism },
        "restored at another parallelism: default ids (name/subtask/seq) of replayed records will differ, so they may be stored twice; give the sink idOf",
      );
    }
    return own?.seq ?? 0;
  }

  private checkState(s: unknown, ctx: SinkWriterContext): IdempotentSinkState {
    const st = s as Partial<IdempotentSinkState>;
    if (typeof s !== "object" || typeof st.seq !== "number" || typeof st.subtask !== "number") {
      throw new VigilError(
        `sink "${this.name}" subtask ${ctx.subtaskIndex}: restored state is not an idempotent sink's state ({ subtask, parallelism, seq }); was the job restored with another sink at this uid?`,
        { code: "SINK_STATE_INVALID" },
      );
    }
    return st as IdempotentSinkState;
  }
}

/** One subtask's writer: buffers records with their ids, upserts them in order, one batch at a time. */
class IdempotentWriter<T> implements SinkWriter<T> {
  private buffer: Array<IdempotentRecord<T>> = [];
  private io: Promise<void> = Promise.resolve();
  private failure: unknown;
  private readonly prefix: string;

  constructor(
    private readonly ctx: SinkWriterContext,
    private readonly name: string,
    private readonly idOf: ((value: T) => string) | undefined,
    private readonly maxBatchSize: number,
    private seq: number,
    private readonly upsert: (batch: Array<IdempotentRecord<T>>) => Promise<void>,
  ) {
    this.prefix = `${name}/${ctx.subtaskIndex}/`;
  }

  write(value: T, timestamp: number): void {
    const id = this.idOf === undefined ? this.prefix + this.seq : this.idOf(value);
    this.seq++;
    this.buffer.push({ id, value, timestamp });
  }

  flush(): Promise<void> | undefined {
    if (this.buffer.length === 0) return undefined;
    return this.drain();
  }

  snapshotState(): Promise<IdempotentSinkState> {
    const state: IdempotentSinkState = { subtask: this.ctx.subtaskIndex, parallelism: this.ctx.parallelism, seq: this.seq };
    return this.drain().then(() => state);
  }

  async close(): Promise<void> {
    await this.io;
    if (this.buffer.length > 0) this.ctx.log.warn({ sink: this.name, records: this.buffer.length }, "sink closed with records not upserted");
  }

  /** Queues the upsert of everything buffered; resolves when it and all earlier upserts are done. */
  private drain(): Promise<void> {
    const records = this.buffer;
    this.buffer = [];
    const p = this.io.then(async () => {
      if (this.failure !== undefined) {
        throw new VigilError(`sink "${this.name}" subtask ${this.ctx.subtaskIndex}: an earlier upsert failed; the job must restart`, {
          code: "SINK_FAILED",
          cause: this.failure,
        });
      }
      for (let i = 0; i < records.length; i += this.maxBatchSize) {
        const batch = records.length <= this.maxBatchSize ? records : records.slice(i, i + this.maxBatchSize);
        try {
          await this.upsert(batch);
        } catch (e) {
          const reason = e instanceof Error ? e.message : String(e);
          throw new VigilError(
            `sink "${this.name}" subtask ${this.ctx.subtaskIndex}: upsert of ${batch.length} records (first id ${batch[0].id}) failed: ${reason}`,
            { code: "SINK_WRITE_FAILED", retriable: e instanceof VigilError ? e.retriable : false, cause: e },
          );
        }
      }
    });
    this.io = p.catch((e: unknown) => {
      this.failure ??= e;
    });
    return p;
  }
}
