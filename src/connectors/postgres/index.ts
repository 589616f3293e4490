/** The PostgreSQL sink: idempotent upserts by record id, so replays leave each record once. */
export { PostgresSink, type PostgresSinkOptions, type PostgresDeadLetter } from "./postgres-sink.js";
export type { PostgresColumn } from "./sql.js";
