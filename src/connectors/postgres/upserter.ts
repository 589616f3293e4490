import type { VigilError } from "../../errors.js";
import { IdempotentSink, type IdempotentRecord, type SinkWriterContext } from "../../runtime/index.js";
import type { Logger } from "../../runtime/logger.js";
import { isDataError } from "./connection.js";

/** Marks an id that `id` failed to give: PostgreSQL text cannot hold NUL, so no real id starts with it. */
export const BAD_ID = "\u0000";

/** A record's parameters for the upsert. */
export interface Row<T> {
  readonly id: string;
  readonly record: T;
  readonly params: unknown[];
}

/** What the {@link Upserter} needs of its {@link PostgresSink}. */
export interface UpsertOps<T> {
  /** A record's row, or the reason it cannot be stored. */
  encode(r: IdempotentRecord<T>): Row<T> | string;
  /** Upserts the rows in one statement. */
  run(rows: ReadonlyArray<Row<T>>): Promise<void>;
  error(e: unknown): VigilError;
  reason(e: unknown): string;
  deadLetter(log: Logger, record: T, id: string | undefined, reason: string): void;
}

/** The IdempotentSink that does the upserts for a {@link PostgresSink}. */
export class Upserter<T> extends IdempotentSink<T> {
  constructor(
    private readonly owner: UpsertOps<T>,
    options: { name: string; maxBatchSize: number; idOf: (v: T) => string },
  ) {
    super(options);
  }

  protected async upsert(batch: Array<IdempotentRecord<T>>, ctx: SinkWriterContext): Promise<void> {
    const byId = new Map<string, Row<T>>();
    for (const r of batch) {
      const row = this.owner.encode(r);
      if (typeof row === "string") this.owner.deadLetter(ctx.log, r.value, r.id.startsWith(BAD_ID) ? undefined : r.id, row);
      else byId.set(row.id, row); // the last record of an id wins: one statement cannot update a row twice
    }
    const rows = [...byId.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    if (rows.length === 0) return;
    try {
      await this.owner.run(rows);
    } catch (e) {
      if (!isDataError(e)) throw this.owner.error(e);
      // some row is refused: store the others one by one (repeating an upsert is harmless)
      for (const row of rows) {
        try {
          await this.owner.run([row]);
        } catch (e1) {
          if (!isDataError(e1)) throw this.owner.error(e1);
          this.owner.deadLetter(ctx.log, row.record, row.id, this.owner.reason(e1));
        }
      }
    }
  }
}
