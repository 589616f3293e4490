import { VigilError } from "../../errors.js";
import { csvCodec } from "./csv-codec.js";
import type { RecordCodec } from "./record-format.js";

/**
 * How a CSV cell becomes a value. An empty cell is `""` for "string" and `null` for every other
 * type (or a dead letter when the column is `required`).
 * - "number": a decimal number (`-1.5`, `2e3`); "integer": a safe integer;
 * - "boolean": `true` or `false`, in any letter case;
 * - "timestamp": ms since the epoch, from a number or a date string `Date.parse` reads;
 * - "auto": a number when the cell is a decimal number without leading zeros (so `007` and ZIP
 *   codes stay text), a boolean for `true`/`false`, else the text.
 * A cell that does not fit its type makes the record a dead letter.
 */
export type CsvColumnType = "string" | "number" | "integer" | "boolean" | "timestamp" | "auto";

/** A column of a CSV file: its name (the record's key) and how its cells are read. */
export interface CsvColumn {
  readonly name: string;
  /** Default "auto" when the format's `cast` is set, else "string". */
  readonly type?: CsvColumnType;
  /** An empty cell makes the record a dead letter. */
  readonly required?: boolean;
}

/** Options of {@link csvFormat}. */
export interface CsvFormatOptions {
  /** The field delimiter: one ASCII character (default ","; "\t" for TSV). */
  readonly delimiter?: string;
  /** The quote character (one ASCII character, default `"`), doubled inside a quoted field; `false`: no quoting. */
  readonly quote?: string | false;
  /**
   * Whether each file starts with a header row (default true). Reading: without `columns`, its
   * fields name the columns; with `columns`, it is skipped. Writing: each part file starts with one
   * (when `columns` are given).
   */
  readonly header?: boolean;
  /**
   * The columns, in file order: names (and types). Records are then objects keyed by name; without
   * `columns` and without a header they are arrays. Writing objects needs `columns`.
   */
  readonly columns?: ReadonlyArray<string | CsvColumn>;
  /** Cells of columns without a type are read as "auto" (numbers, booleans, empty as null) instead of text. */
  readonly cast?: boolean;
  /** Strip spaces and tabs around fields (csv-parse's `trim`). */
  readonly trim?: boolean;
  /** Files of a directory with this extension are read, and part files get it (default ".csv"). */
  readonly extension?: string;
}

const TYPES: ReadonlySet<string> = new Set<CsvColumnType>(["string", "number", "integer", "boolean", "timestamp", "auto"]);

/**
 * A CSV format for {@link FileSource} (parsed with csv-parse) and {@link FileSink} (RFC 4180
 * output). Build it with {@link csvFormat}; one format can serve a job's source and sink.
 * `T` is the record type: objects keyed by column name, or arrays without column names.
 */
export class CsvFormat<T = Record<string, unknown>> {
  readonly name = "csv";
  readonly delimiter: string;
  readonly quote: string | false;
  readonly header: boolean;
  readonly columns: readonly CsvColumn[] | undefined;
  readonly cast: boolean;
  readonly trim: boolean;
  readonly extension: string;
  private codecInstance: RecordCodec<T> | undefined;

  constructor(options: CsvFormatOptions = {}) {
    const fail = (what: string) => new VigilError(`csv format: ${what}`, { code: "FORMAT_CONFIG_INVALID" });
    const char = (key: string, v: unknown): string => {
      if (typeof v !== "string" || v.length !== 1 || v.charCodeAt(0) > 127 || v === "\n" || v === "\r") throw fail(`${key} must be one ASCII character other than a newline, got ${JSON.stringify(v)}`);
      return v;
    };
    this.delimiter = char("delimiter", options.delimiter ?? ",");
    this.quote = options.quote === false ? false : char("quote", options.quote ?? '"');
    if (this.quote === this.delimiter) throw fail(`quote and delimiter must differ, both are ${JSON.stringify(this.delimiter)}`);
    this.header = options.header ?? true;
    this.cast = options.cast ?? false;
    this.trim = options.trim ?? false;
    this.extension = options.extension ?? ".csv";
    if (typeof this.extension !== "string" || !this.extension.startsWith(".")) throw fail(`extension must start with ".", got ${JSON.stringify(this.extension)}`);
    if (options.columns !== undefined) {
      if (!Array.isArray(options.columns) || options.columns.length === 0) throw fail("columns must be a non-empty list of names or { name, type }");
      const columns = options.columns.map((c: string | CsvColumn, i: number): CsvColumn => {
        const col = typeof c === "string" ? { name: c } : c;
        if (typeof col?.name !== "string") throw fail(`column ${i} has no name`);
        if (col.type !== undefined && !TYPES.has(col.type)) throw fail(`column "${col.name}": type must be one of ${[...TYPES].join(", ")}, got ${JSON.stringify(col.type)}`);
        return { name: col.name, type: col.type ?? (this.cast ? "auto" : "string"), required: col.required ?? false };
      });
      const names = columns.map((c) => c.name);
      const problem = badColumnNames(names);
      if (problem !== undefined) throw fail(problem);
      this.columns = columns;
    } else this.columns = undefined;
  }

  /** @internal The file reader's framing and decoding for this format. */
  codec(): RecordCodec<T> {
    this.codecInstance ??= csvCodec<T>(this);
    return this.codecInstance;
  }

  /** The header row a part file starts with (no newline), when the format has one. */
  headerLine(): string | undefined {
    if (!this.header || this.columns === undefined) return undefined;
    return this.columns.map((c) => this.field(c.name)).join(this.delimiter);
  }

  /**
   * One record as CSV (no newline at the end; quoted fields may contain newlines). Objects need
   * `columns` (missing keys give empty cells); arrays are written as they are. `null` and
   * `undefined` are empty cells, dates ISO strings, other objects JSON.
   */
  encode(value: T): string {
    let cells: readonly unknown[];
    if (Array.isArray(value)) cells = value;
    else if (typeof value === "object" && value !== null) {
      if (this.columns === undefined) throw new VigilError("csv format: records are objects, so the format needs columns to write them", { code: "FORMAT_CONFIG_INVALID" });
      const rec = value as Record<string, unknown>;
      cells = this.columns.map((c) => rec[c.name]);
    } else cells = [value];
    let out = "";
    for (let i = 0; i < cells.length; i++) {
      if (i > 0) out += this.delimiter;
      out += this.field(cellText(cells[i]));
    }
    // a blank line would be skipped by a reader: quote the one empty cell
    if (out === "") return this.field("", true);
    return out;
  }

  /** A cell's text, quoted when a reader could misread it. */
  private field(text: string, force = false): string {
    const q = this.quote;
    const special = force || text.includes(this.delimiter) || text.includes("\n") || text.includes("\r") || (q !== false && text.includes(q)) || /^[ \t]|[ \t]$/.test(text);
    if (!special) return text;
    if (q === false) {
      throw new VigilError(`csv format: the cell ${JSON.stringify(text.slice(0, 40))} needs quoting, but quote is false`, { code: "FORMAT_ENCODE_FAILED" });
    }
    return q + text.split(q).join(q + q) + q;
  }
}

/** A CSV format; `csvFormat()` is comma-separated with a header row and text cells. */
export function csvFormat<T = Record<string, unknown>>(options: CsvFormatOptions = {}): CsvFormat<T> {
  return new CsvFormat<T>(options);
}

/** Why a list of column names cannot key a record, or undefined. */
export function badColumnNames(names: readonly string[]): string | undefined {
  const seen = new Set<string>();
  for (const n of names) {
    if (n === "__proto__") return `column name "__proto__" is not allowed`;
    if (seen.has(n)) return `column name ${JSON.stringify(n)} appears twice`;
    seen.add(n);
  }
  return undefined;
}

function cellText(v: unknown): string {
  if (v === null || v === undefined) return "";
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean" || typeof v === "bigint") return String(v);
  if (v instanceof Date) return v.toISOString();
  return JSON.stringify(v);
}
