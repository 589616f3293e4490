import pg from "pg";
import { VigilError } from "../../errors.js";
import type { IdempotentRecord, Sink, SinkWriter, SinkWriterContext } from "../../runtime/index.js";
import type { Logger } from "../../runtime/logger.js";
import { connectorError, describeTarget, poolConfig, reasonOf, type PostgresTarget } from "./connection.js";
import {
  MAX_PARAMETERS,
  columnValue,
  compileColumns,
  createTableSql,
  defaultColumns,
  tableName,
  upsertSql,
  type CompiledColumn,
  type PostgresColumn,
  type TableName,
} from "./sql.js";
import { BAD_ID, Upserter, type Row, type UpsertOps } from "./upserter.js";

/** A record the sink could not store (its id or a column value is unusable, or the server refused the row). */
export interface PostgresDeadLetter<T> {
  readonly sink: string;
  readonly table: string;
  /** Undefined when `id` itself failed. */
  readonly id: string | undefined;
  readonly record: T;
  readonly reason: string;
}

/** Options of a {@link PostgresSink}. */
export interface PostgresSinkOptions<T> {
  /** `name` or `schema.name`; plain identifiers, quoted as given (so case-sensitive). */
  readonly table: string;
  /** The record's id, a pure function of the record (the alert id): the primary key it is upserted under. */
  readonly id: (value: T) => string;
  /**
   * How to connect (pg's `PoolConfig`). Default: `DATABASE_URL` when set, else pg's standard
   * variables (PGHOST, PGPORT, PGDATABASE, PGUSER, PGPASSWORD). Keep the password in the
   * environment; it is never logged or put in errors.
   */
  readonly connection?: pg.PoolConfig;
  /**
   * The columns besides `id` (text primary key) and `updated_at` (timestamptz, set on every
   * upsert). Default: `payload jsonb` (the record) and `event_time timestamptz` (its timestamp).
   */
  readonly columns?: Readonly<Record<string, PostgresColumn<T>>>;
  /** `CREATE TABLE IF NOT EXISTS` when a writer starts (default true). */
  readonly createTable?: boolean;
  /** The most records per INSERT statement (default 500; fewer when the columns would pass 65 535 parameters). */
  readonly batchSize?: number;
  /** Names the sink in errors, logs and dead letters (default "postgres"). */
  readonly name?: string;
  /** Receives each record that cannot be stored; the job goes on. Without it they are logged and counted. */
  readonly deadLetters?: (d: PostgresDeadLetter<T>) => void;
}

interface PoolHandle {
  readonly pool: pg.Pool;
  users: number;
  readonly ready: Promise<void>;
}

/**
 * An effectively exactly-once sink into a PostgreSQL table, on {@link IdempotentSink}: every
 * batch is one parameterised `INSERT ... ON CONFLICT ("id") DO UPDATE`, so a record replayed
 * after a restore overwrites its row instead of adding one. Within a batch the last record of an
 * id wins, and rows go in id order (concurrent subtasks then lock rows in the same order and do
 * not deadlock).
 *
 * Each writer start checks the table (and creates it, under an advisory lock, when `createTable`)
 * and fails with an error naming the sink, host and database when it cannot connect. The subtasks
 * in one process share one pool, ended when the last writer closes. A record whose id or values
 * cannot be stored, or that the server refuses (a data or constraint error), goes to the dead
 * letters; any other failure fails the job, which restarts from its last checkpoint.
 */
export class PostgresSink<T> implements Sink<T> {
  /** Rows written (replays included), by every subtask in this process. */
  upsertedCount = 0;
  /** Records dead-lettered, by every subtask in this process. */
  deadLetterCount = 0;
  readonly name: string;
  readonly #config: pg.PoolConfig; // private: it may hold the password
  readonly #target: PostgresTarget;
  private readonly table: TableName;
  private readonly columns: Array<CompiledColumn<T>>;
  private readonly createTable: boolean;
  private readonly deadLetters: ((d: PostgresDeadLetter<T>) => void) | undefined;
  private readonly upserter: Upserter<T>;
  private handle: PoolHandle | undefined;

  constructor(options: PostgresSinkOptions<T>) {
    const name = options.name ?? "postgres";
    const fail = (m: string): never => {
      throw new VigilError(`sink "${name}": ${m}`, { code: "SINK_CONFIG_INVALID" });
    };
    if (typeof options.id !== "function") fail("id must be a function giving each record's id");
    this.name = name;
    this.table = tableName(options.table, fail);
    this.columns = compileColumns(options.columns ?? defaultColumns<T>(), fail);
    this.createTable = options.createTable ?? true;
    this.deadLetters = options.deadLetters;
    this.#config = poolConfig(options.connection);
    this.#target = describeTarget(this.#config);
    const batchSize = options.batchSize ?? 500;
    if (!Number.isInteger(batchSize) || batchSize < 1) fail(`batchSize must be a positive integer, got ${batchSize}`);
    const idOf = options.id;
    const ops: UpsertOps<T> = {
      encode: (r) => this.encodeRow(r),
      run: (rows) => this.run(rows),
      error: (e) => this.upsertError(e),
      reason: (e) => reasonOf(e, this.#target),
      deadLetter: (log, record, id, reason) => this.deadLetter(log, record, id, reason),
    };
    this.upserter = new Upserter<T>(ops, {
      name,
      maxBatchSize: Math.min(batchSize, Math.floor(MAX_PARAMETERS / (this.columns.length + 1))),
      // `id` is user code run in `write`: a failure marks the record instead of failing the job
      idOf: (v) => {
        try {
          const id = idOf(v);
          return typeof id === "string" && id !== "" ? id : `${BAD_ID}id must give a non-empty string, got ${id === "" ? '""' : typeof id}`;
        } catch (e) {
          return `${BAD_ID}id failed: ${e instanceof Error ? e.message : String(e)}`;
        }
      },
    });
  }

  async createWriter(ctx: SinkWriterContext): Promise<SinkWriter<T>> {
    const handle = this.acquire(ctx.log);
    try {
      await handle.ready;
    } catch (e) {
      await this.release(handle);
      throw e;
    }
    const inner = this.upserter.createWriter(ctx);
    let closed = false;
    return {
      write: (v, ts) => inner.write(v, ts),
      flush: (end) => inner.flush?.(end),
      snapshotState: (id) => inner.snapshotState?.(id),
      close: async () => {
        if (closed) return;
        closed = true;
        try {
          await inner.close?.();
        } finally {
          await this.release(handle);
        }
      },
    };
  }

  /** The shared pool, created (and the table prepared) by the first writer. */
  private acquire(log: Logger): PoolHandle {
    if (this.handle === undefined) {
      const pool = new pg.Pool(this.#config);
      // an idle client's error (the server restarted) must not crash the process; the next query reconnects
      pool.on("error", (e) => log.warn({ sink: this.name, target: this.#target.text, err: reasonOf(e, this.#target) }, "idle PostgreSQL connection failed"));
      const ready = this.prepare(pool, log);
      ready.catch(() => {}); // awaited by every writer
      this.handle = { pool, users: 0, ready };
    }
    this.handle.users++;
    return this.handle;
  }

  private async release(handle: PoolHandle): Promise<void> {
    if (--handle.users > 0) return;
    if (this.handle === handle) this.handle = undefined;
    await handle.pool.end();
  }

  /** The pool of the running writers (upserts run only between a writer's start and close). */
  private poolForUpsert(): pg.Pool {
    if (this.handle === undefined) throw new VigilError(`sink "${this.name}": upsert after every writer closed`, { code: "SINK_CLOSED" });
    return this.handle.pool;
  }

  private async prepare(pool: pg.Pool, log: Logger): Promise<void> {
    let client: pg.PoolClient;
    try {
      client = await pool.connect();
    } catch (e) {
      throw connectorError(this.name, "cannot connect to PostgreSQL", e, this.#target, "SINK_CONNECT_FAILED");
    }
    try {
      if (this.createTable) {
        // concurrent CREATE TABLE IF NOT EXISTS can still collide in the catalog: serialise them
        await client.query("BEGIN");
        try {
          await client.query("SELECT pg_advisory_xact_lock(hashtext($1))", [`vigil-create:${this.table.quoted}`]);
          await client.query(createTableSql(this.table, this.columns));
          await client.query("COMMIT");
        } catch (e) {
          await client.query("ROLLBACK").catch(() => {});
          throw e;
        }
      }
      await this.checkTable(client);
      log.info({ sink: this.name, table: this.table.display, target: this.#target.text }, "postgres sink ready");
    } catch (e) {
      if (e instanceof VigilError) throw e;
      throw connectorError(this.name, `cannot prepare table ${this.table.display}`, e, this.#target, "SINK_TABLE_FAILED");
    } finally {
      client.release();
    }
  }

  /** The table exists with every column and a unique index on id alone, which ON CONFLICT ("id") needs. */
  private async checkTable(client: pg.PoolClient): Promise<void> {
    const where = `table ${this.table.display} at ${this.#target.text}`;
    const { rows } = await client.query<{ attname: string; unique_id: boolean }>(
      `SELECT a.attname,
              EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = a.attrelid AND i.indisunique AND i.indpred IS NULL AND i.indnkeyatts = 1 AND i.indkey[0] = a.attnum) AS unique_id
         FROM pg_attribute a WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped`,
      [this.table.quoted],
    );
    if (rows.length === 0) {
      throw new VigilError(`sink "${this.name}": ${where} does not exist (createTable is false)`, { code: "SINK_TABLE_FAILED" });
    }
    const have = new Set(rows.map((r) => r.attname));
    const missing = ["id", ...this.columns.map((c) => c.name), "updated_at"].filter((c) => !have.has(c));
    if (missing.length > 0) {
      throw new VigilError(`sink "${this.name}": ${where} has no column ${missing.map((m) => `"${m}"`).join(", ")}`, { code: "SINK_TABLE_FAILED" });
    }
    if (!rows.some((r) => r.attname === "id" && r.unique_id)) {
      throw new VigilError(`sink "${this.name}": ${where} has no primary key or unique index on "id" alone, which the upsert needs`, { code: "SINK_TABLE_FAILED" });
    }
  }

  /** Encodes a record's row; a string is the reason it cannot be stored. */
  private encodeRow(r: IdempotentRecord<T>): Row<T> | string {
    if (r.id.startsWith(BAD_ID)) return r.id.slice(1);
    if (r.id.includes("\0")) return "the id contains the character \\u0000, which PostgreSQL text cannot store";
    try {
      return { id: r.id, record: r.value, params: [r.id, ...this.columns.map((c) => columnValue(c, r.value, r.timestamp))] };
    } catch (e) {
      return e instanceof Error ? e.message : String(e);
    }
  }

  /** Upserts the rows in one statement. */
  private async run(rows: ReadonlyArray<Row<T>>): Promise<void> {
    const text = upsertSql(this.table, this.columns, rows.length);
    await this.poolForUpsert().query(text, rows.flatMap((r) => r.params));
    this.upsertedCount += rows.length;
  }

  /** A failed upsert as an error naming the table and server, never the password. */
  private upsertError(e: unknown): VigilError {
    if (e instanceof VigilError) return e;
    return connectorError(this.name, `upsert into ${this.table.display}`, e, this.#target, "SINK_WRITE_FAILED");
  }

  private deadLetter(log: Logger, record: T, id: string | undefined, reason: string): void {
    const n = ++this.deadLetterCount;
    if (n <= 10 || n % 100 === 0) log.warn({ sink: this.name, table: this.table.display, id, reason, deadLettered: n }, "record dead-lettered: it cannot be stored");
    this.deadLetters?.({ sink: this.name, table: this.table.display, id, record, reason });
  }
}
