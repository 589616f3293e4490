import { randomUUID } from "node:crypto";
import { userInfo } from "node:os";
import pg from "pg";

/**
 * The local test server: 127.0.0.1:5432, database `test`, user `postgres` with trust auth, or the
 * OS user where `postgres` cannot log in.
 */
export async function localPostgres(): Promise<pg.PoolConfig> {
  const errors: string[] = [];
  for (const user of ["postgres", userInfo().username]) {
    const config: pg.PoolConfig = { host: "127.0.0.1", port: 5432, database: "test", user, connectionTimeoutMillis: 10_000 };
    const client = new pg.Client(config);
    try {
      await client.connect();
      return config;
    } catch (e) {
      errors.push(`as ${user}: ${e instanceof Error ? e.message : String(e)}`);
    } finally {
      await client.end().catch(() => {});
    }
  }
  throw new Error(`the PostgreSQL tests need a server at 127.0.0.1:5432 with a database "test": ${errors.join("; ")}`);
}

/** A table name no other run uses. */
export function uniqueName(prefix: string): string {
  return `vigil_${prefix}_${randomUUID().replace(/-/g, "").slice(0, 12)}`;
}
