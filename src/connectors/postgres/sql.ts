import { NO_TIMESTAMP } from "../../runtime/index.js";

/** A column the sink fills: its SQL type and how a record gives its value. */
export interface PostgresColumn<T> {
  /**
   * The column's SQL type as in `CREATE TABLE`, optionally with constraints made of words and
   * numbers: `text`, `numeric(12,2) not null`, `timestamptz`, `text[]`. Values of `json` and
   * `jsonb` columns are stored as the JSON of what `value` returns.
   */
  readonly type: string;
  /** The column's value for a record (`timestamp`: the record's timestamp in ms, -Infinity when it has none). */
  readonly value: (value: T, timestamp: number) => unknown;
}

/** A column checked and quoted. */
export interface CompiledColumn<T> {
  readonly name: string;
  readonly quoted: string;
  readonly type: string;
  readonly json: "json" | "jsonb" | undefined;
  readonly value: (value: T, timestamp: number) => unknown;
}

/** A table name checked and quoted. */
export interface TableName {
  /** As given, for messages. */
  readonly display: string;
  /** `"schema"."name"` or `"name"`. */
  readonly quoted: string;
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_$]*$/;
const TYPE = /^[A-Za-z][A-Za-z0-9_ ]*(\(\s*\d+\s*(,\s*\d+\s*)?\))?[A-Za-z0-9_ ]*(\[\])?$/;
/** PostgreSQL's limit of parameters in one statement. */
export const MAX_PARAMETERS = 65_535;
/** Columns every table of the sink has, besides those given. */
export const RESERVED = new Set(["id", "updated_at"]);

function identifier(name: string, what: string, fail: (m: string) => never): string {
  if (!IDENT.test(name) || Buffer.byteLength(name) > 63) {
    fail(`${what} ${JSON.stringify(name)} is not a plain identifier (letters, digits, _ and $, not starting with a digit, at most 63 bytes)`);
  }
  return `"${name}"`; // quoted as given: names are case-sensitive
}

/** `name` or `schema.name`. */
export function tableName(table: string, fail: (m: string) => never): TableName {
  const parts = typeof table === "string" ? table.split(".") : [];
  if (parts.length < 1 || parts.length > 2) fail(`table must be "name" or "schema.name", got ${JSON.stringify(table)}`);
  return { display: table, quoted: parts.map((p) => identifier(p, "table name part", fail)).join(".") };
}

/** The default schema: the record as jsonb, and its timestamp. */
export function defaultColumns<T>(): Record<string, PostgresColumn<T>> {
  return {
    payload: { type: "jsonb", value: (v) => v },
    event_time: { type: "timestamptz", value: (_, ts) => timestampValue(ts) },
  };
}

export function compileColumns<T>(columns: Readonly<Record<string, PostgresColumn<T>>>, fail: (m: string) => never): Array<CompiledColumn<T>> {
  const out: Array<CompiledColumn<T>> = [];
  for (const [name, c] of Object.entries(columns)) {
    if (RESERVED.has(name)) fail(`column "${name}" is reserved: every table has "id text primary key" and "updated_at timestamptz"`);
    const quoted = identifier(name, "column name", fail);
    const type = typeof c?.type === "string" ? c.type.trim().replace(/\s+/g, " ") : "";
    if (!TYPE.test(type)) fail(`column "${name}": type ${JSON.stringify(c?.type)} is not a plain SQL type (words, (precision, scale), [])`);
    if (typeof c.value !== "function") fail(`column "${name}": value must be a function of the record`);
    const m = /^(jsonb?)\b/i.exec(type);
    const json = m === null || type.endsWith("[]") ? undefined : (m[1].toLowerCase() as "json" | "jsonb");
    out.push({ name, quoted, type, json, value: c.value });
  }
  if (out.length === 0) fail("columns must name at least one column besides id");
  return out;
}

export function createTableSql<T>(table: TableName, columns: ReadonlyArray<CompiledColumn<T>>): string {
  const defs = ['"id" text PRIMARY KEY', ...columns.map((c) => `${c.quoted} ${c.type}`), '"updated_at" timestamptz NOT NULL DEFAULT now()'];
  return `CREATE TABLE IF NOT EXISTS ${table.quoted} (${defs.join(", ")})`;
}

/** One multi-row upsert with `rows` rows of parameters ($1 = the first row's id, then its columns, ...). */
export function upsertSql<T>(table: TableName, columns: ReadonlyArray<CompiledColumn<T>>, rows: number): string {
  const width = columns.length + 1;
  const tuples: string[] = [];
  for (let r = 0; r < rows; r++) {
    const ps: string[] = [];
    for (let c = 1; c <= width; c++) ps.push(`$${r * width + c}`);
    tuples.push(`(${ps.join(", ")})`);
  }
  const names = ['"id"', ...columns.map((c) => c.quoted)].join(", ");
  const sets = [...columns.map((c) => `${c.quoted} = EXCLUDED.${c.quoted}`), '"updated_at" = now()'].join(", ");
  return `INSERT INTO ${table.quoted} (${names}) VALUES ${tuples.join(", ")} ON CONFLICT ("id") DO UPDATE SET ${sets}`;
}

/** A column's parameter for a record; throws a plain Error (a bad record, not a bad sink) when it cannot be stored. */
export function columnValue<T>(c: CompiledColumn<T>, value: T, timestamp: number): unknown {
  const v = c.value(value, timestamp);
  if (v === undefined || v === null) return null;
  if (c.json !== undefined) {
    const text = JSON.stringify(v);
    if (text === undefined) throw new Error(`column "${c.name}": a ${typeof v} has no JSON form`);
    if (c.json === "jsonb" && text.includes("\\u0000")) throw new Error(`column "${c.name}": jsonb cannot store the character \\u0000`);
    return text;
  }
  if (typeof v === "string" && v.includes("\0")) throw new Error(`column "${c.name}": PostgreSQL text cannot store the character \\u0000`);
  return v;
}

/** A runtime timestamp (ms) as an ISO instant; null when the record has none or it is out of range. */
export function timestampValue(ts: number): string | null {
  return ts === NO_TIMESTAMP || !Number.isFinite(ts) || Math.abs(ts) > 8.64e15 ? null : new Date(ts).toISOString();
}
