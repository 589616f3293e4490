import { randomUUID } from "node:crypto";
import { readdirSync } from "node:fs";
import { createServer } from "node:net";
import { inspect } from "node:util";
import pg from "pg";
import pino from "pino";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { PostgresSink, type PostgresDeadLetter } from "../../../src/connectors/postgres/index.js";
import { RestartStrategies, StreamExecutionEnvironment, WatermarkStrategy, type SinkWriterContext } from "../../../src/runtime/index.js";
import { runtimeLogger } from "../../../src/runtime/logger.js";
import { FailureInjector, SlowListSource, tempDirs } from "../../runtime/checkpoint/helpers.js";
import { localPostgres, uniqueName } from "./local-postgres.js";

type Alert = { id: string; card: string; amount: number; tags?: string[]; n?: unknown; note?: string };

let connection: pg.PoolConfig;
let admin: pg.Pool;
const dropped: string[] = []; // tables and schemas ("schema:" prefix) to drop after each test
const { tmp, cleanup } = tempDirs("vigil-postgres-");

beforeAll(async () => {
  connection = await localPostgres();
  admin = new pg.Pool(connection);
});
afterEach(async () => {
  for (const t of dropped.splice(0)) {
    if (t.startsWith("schema:")) await admin.query(`DROP SCHEMA IF EXISTS "${t.slice(7)}" CASCADE`);
    else await admin.query(`DROP TABLE IF EXISTS "${t}"`);
  }
});
afterAll(async () => {
  await admin?.end();
  cleanup();
});

function table(prefix: string): string {
  const t = uniqueName(prefix);
  dropped.push(t);
  return t;
}

function context(over: Partial<SinkWriterContext> = {}): SinkWriterContext {
  return { subtaskIndex: 0, parallelism: 1, log: runtimeLogger(), restoredState: [], attempt: "a", checkpointing: true, ...over };
}

const alert = (i: number, amount = i * 10): Alert => ({ id: `alert-${i}`, card: `card-${i % 3}`, amount });

describe("PostgresSink", () => {
  it("creates a missing table with the default schema and upserts records as jsonb with their event time", async () => {
    const t = table("default");
    const sink = new PostgresSink<Alert>({ connection, table: t, id: (a) => a.id });
    const w = await sink.createWriter(context());
    w.write(alert(1), Date.UTC(2026, 0, 2, 3, 4, 5, 678));
    w.write(alert(2), -Infinity); // no timestamp
    await w.flush!(false);
    await w.snapshotState!(1);
    await w.close!();

    const cols = await admin.query("SELECT column_name, data_type, is_nullable FROM information_schema.columns WHERE table_name = $1 ORDER BY ordinal_position", [t]);
    expect(cols.rows).toEqual([
      { column_name: "id", data_type: "text", is_nullable: "NO" },
      { column_name: "payload", data_type: "jsonb", is_nullable: "YES" },
      { column_name: "event_time", data_type: "timestamp with time zone", is_nullable: "YES" },
      { column_name: "updated_at", data_type: "timestamp with time zone", is_nullable: "NO" },
    ]);
    const pk = await admin.query("SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) WHERE i.indrelid = $1::regclass AND i.indisprimary", [t]);
    expect(pk.rows).toEqual([{ attname: "id" }]);
    const rows = await admin.query(`SELECT id, payload, event_time FROM "${t}" ORDER BY id`);
    expect(rows.rows).toEqual([
      { id: "alert-1", payload: alert(1), event_time: new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 678)) },
      { id: "alert-2", payload: alert(2), event_time: null },
    ]);
    expect(sink.upsertedCount).toBe(2);
  });

  it("writes custom columns into a schema-qualified table", async () => {
    const schema = uniqueName("schema");
    dropped.push(`schema:${schema}`);
    await admin.query(`CREATE SCHEMA "${schema}"`);
    const sink = new PostgresSink<Alert>({
      connection,
      table: `${schema}.Alerts`,
      id: (a) => a.id,
      columns: {
        card: { type: "text not null", value: (a) => a.card },
        amount: { type: "numeric(12, 2)", value: (a) => a.amount / 3 },
        tags: { type: "text[]", value: (a) => a.tags ?? [] },
        details: { type: "jsonb", value: (a) => ({ card: a.card, tags: a.tags }) },
        seenAt: { type: "timestamptz", value: (_, ts) => new Date(ts) },
      },
    });
    const w = await sink.createWriter(context());
    w.write({ ...alert(1), tags: ["a", "b'c"] }, 1_000);
    await w.flush!(true);
    await w.close!();
    const rows = await admin.query(`SELECT id, card, amount, tags, details, "seenAt" FROM "${schema}"."Alerts"`);
    expect(rows.rows).toEqual([
      { id: "alert-1", card: "card-1", amount: "3.33", tags: ["a", "b'c"], details: { card: "card-1", tags: ["a", "b'c"] }, seenAt: new Date(1_000) },
    ]);
  });

  it("upserts idempotently: the same records twice leave one row each, updated; the last of an id in a batch wins", async () => {
    const t = table("upsert");
    const sink = new PostgresSink<Alert>({ connection, table: t, id: (a) => a.id, batchSize: 2 });
    const w = await sink.createWriter(context());
    for (let i = 0; i < 5; i++) w.write(alert(i), i);
    await w.snapshotState!(1);
    const first = await admin.query(`SELECT id, updated_at FROM "${t}" ORDER BY id`);
    expect(first.rows.map((r) => r.id)).toEqual([0, 1, 2, 3, 4].map((i) => `alert-${i}`));

    for (let i = 0; i < 5; i++) w.write(alert(i, 1000 + i), i); // a replay, with changed contents
    w.write(alert(4, 7), 4);
    await w.snapshotState!(2);
    await w.close!();
    const again = await admin.query(`SELECT id, payload, updated_at FROM "${t}" ORDER BY id`);
    expect(again.rows.map((r) => [r.id, r.payload.amount])).toEqual([
      ["alert-0", 1000],
      ["alert-1", 1001],
      ["alert-2", 1002],
      ["alert-3", 1003],
      ["alert-4", 7],
    ]);
    for (let i = 0; i < 5; i++) expect(again.rows[i].updated_at.getTime()).toBeGreaterThanOrEqual(first.rows[i].updated_at.getTime());
  });

  it("after an injected failure, the job restored from a checkpoint leaves exactly one row per alert", async () => {
    const t = table("job");
    const dir = tmp();
    const splits = [0, 1].map((s) => Array.from({ length: 250 }, (_, i) => alert(s * 1000 + i)));
    const injector = new FailureInjector([1, 120]); // counted from the first completed checkpoint on
    const sink = new PostgresSink<Alert>({ connection, table: t, id: (a) => a.id, batchSize: 50 });
    const env = new StreamExecutionEnvironment()
      .setParallelism(2)
      .enableCheckpointing(1, { directory: dir })
      .setRestartStrategy(RestartStrategies.fixedDelay(3, 0));
    env
      .fromSource(new SlowListSource(splits, 5), WatermarkStrategy.noWatermarks<Alert>(), "alerts")
      .map((a) => {
        if (readdirSync(dir).some((n) => /^chk-\d+$/.test(n))) injector.tick();
        return { ...a, amount: a.amount + 1 };
      })
      .sinkTo(sink)
      .uid("alerts-table");
    const client = await env.executeAsync("postgres-exactly-once");
    await client.getJobExecutionResult();
    expect(injector.failures).toBe(2);
    const { rows } = await admin.query(`SELECT id, payload FROM "${t}"`);
    expect(rows).toHaveLength(500);
    const expected = new Map(splits.flat().map((a) => [a.id, { ...a, amount: a.amount + 1 }]));
    for (const r of rows) expect(r.payload).toEqual(expected.get(r.id));
    expect(sink.upsertedCount).toBeGreaterThanOrEqual(500);
  });

  it("fails to start on a bad connection with an error naming the sink and host, never the password", async () => {
    const port = await closedPort();
    const password = `pw-${randomUUID()}`;
    const lines: string[] = [];
    const log = pino({ level: "trace" }, { write: (s: string) => void lines.push(s) });
    const sink = new PostgresSink<Alert>({ name: "alerts-db", connection: { ...connection, port, password }, table: uniqueName("bad"), id: (a) => a.id });
    const err = await sink.createWriter(context({ log })).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ code: "SINK_CONNECT_FAILED", retriable: true });
    expect((err as Error).message).toMatch(
      new RegExp(`^sink "alerts-db": cannot connect to PostgreSQL at 127\\.0\\.0\\.1:${port}/test as user "${connection.user}": .*ECONNREFUSED`),
    );
    expect(inspect(err, { depth: 10 })).not.toContain(password);
    expect(lines.join("\n")).not.toContain(password);
    expect(inspect(sink, { depth: 10 })).not.toContain(password);

    // in a job the same error fails it
    const env = new StreamExecutionEnvironment();
    env.fromElements(alert(1)).sinkTo(sink);
    await expect(env.execute("bad-connection")).rejects.toThrow(/sink "alerts-db": cannot connect to PostgreSQL at 127\.0\.0\.1/);
  });

  it("dead-letters records it cannot store and stores the rest of their batch", async () => {
    const t = table("dead");
    const dead: Array<PostgresDeadLetter<Alert>> = [];
    const sink = new PostgresSink<Alert>({
      connection,
      table: t,
      id: (a) => {
        if (a.id === "alert-2") throw new Error("no id for this one");
        return a.id;
      },
      columns: { n: { type: "integer", value: (a) => a.n }, note: { type: "text", value: (a) => a.note } },
      deadLetters: (d) => dead.push(d),
    });
    const w = await sink.createWriter(context());
    w.write({ ...alert(1), n: 1 }, 0);
    w.write({ ...alert(2), n: 2 }, 0); // id throws
    w.write({ ...alert(3), n: "three" }, 0); // refused by the server: not an integer
    w.write({ ...alert(4), n: 4, note: "nul\0here" }, 0); // text cannot hold NUL
    w.write({ ...alert(5), n: 5 }, 0);
    await w.snapshotState!(1);
    await w.close!();
    const { rows } = await admin.query(`SELECT id, n FROM "${t}" ORDER BY id`);
    expect(rows).toEqual([
      { id: "alert-1", n: 1 },
      { id: "alert-5", n: 5 },
    ]);
    expect(dead.map((d) => [d.id, d.record.id])).toEqual([
      [undefined, "alert-2"],
      ["alert-4", "alert-4"],
      ["alert-3", "alert-3"],
    ]);
    expect(dead[0].reason).toBe("id failed: no id for this one");
    expect(dead[1].reason).toMatch(/column "note": PostgreSQL text cannot store the character/);
    expect(dead[2].reason).toMatch(/invalid input syntax for type integer: "three" \(SQLSTATE 22P02\)/);
    expect(sink.deadLetterCount).toBe(3);
  });

  it("checks an existing table, and refuses bad identifiers and types before connecting", async () => {
    const t = table("check");
    const sink = (over: object) => new PostgresSink<Alert>({ connection, table: t, id: (a) => a.id, ...over });
    await expect(sink({ createTable: false }).createWriter(context())).rejects.toThrow(new RegExp(`table ${t} at .* does not exist \\(createTable is false\\)`));
    await admin.query(`CREATE TABLE "${t}" (id text, payload jsonb, updated_at timestamptz)`);
    await expect(sink({}).createWriter(context())).rejects.toThrow(/has no column "event_time"/);
    await admin.query(`ALTER TABLE "${t}" ADD COLUMN event_time timestamptz`);
    await expect(sink({}).createWriter(context())).rejects.toThrow(/has no primary key or unique index on "id" alone/);

    const invalid = (over: object) => () => new PostgresSink<Alert>({ connection, table: "alerts", id: (a) => a.id, ...over });
    expect(invalid({ table: 'alerts"; DROP TABLE x; --' })).toThrow(/sink "postgres": table name part .* is not a plain identifier/);
    expect(invalid({ table: "a.b.c" })).toThrow(/table must be "name" or "schema.name"/);
    expect(invalid({ columns: { "bad-name": { type: "text", value: () => 1 } } })).toThrow(/column name "bad-name" is not a plain identifier/);
    expect(invalid({ columns: { ok: { type: "text; DROP TABLE x", value: () => 1 } } })).toThrow(/column "ok": type .* is not a plain SQL type/);
    expect(invalid({ columns: { id: { type: "text", value: () => 1 } } })).toThrow(/column "id" is reserved/);
    expect(invalid({ batchSize: 0 })).toThrow(/batchSize must be a positive integer/);
  });

  it("connects from DATABASE_URL when no connection is given", async () => {
    const t = table("env");
    const before = process.env.DATABASE_URL;
    process.env.DATABASE_URL = `postgres://${encodeURIComponent(String(connection.user))}@127.0.0.1:5432/test`;
    try {
      const env = new StreamExecutionEnvironment();
      env.fromElements(alert(1), alert(2)).sinkTo(new PostgresSink<Alert>({ table: t, id: (a) => a.id }));
      await env.execute("database-url");
    } finally {
      if (before === undefined) delete process.env.DATABASE_URL;
      else process.env.DATABASE_URL = before;
    }
    const { rows } = await admin.query(`SELECT id FROM "${t}" ORDER BY id`);
    expect(rows).toEqual([{ id: "alert-1" }, { id: "alert-2" }]);
  });
});

/** A port on 127.0.0.1 that nothing listens on (it was free a moment ago). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as { port: number };
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}
