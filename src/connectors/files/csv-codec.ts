import { parse, type Options as CsvParseOptions } from "csv-parse/sync";
import type { CsvColumn, CsvColumnType, CsvFormat } from "./csv-format.js";
import { badColumnNames } from "./csv-format.js";
import type { DecodeOutput, FileHeaderState, FrameState, RawRecord, RecordCodec } from "./record-format.js";

const NL = 10;
const SPACE = 32;
const TAB = 9;

/**
 * The reader's CSV codec. Records are framed here, because a quoted field may contain newlines
 * and a checkpoint position must fall between records: a record ends at a newline outside quotes
 * (a quote opens a quoted field only at the start of a field, after optional blanks, as in
 * csv-parse; a doubled quote inside stays inside). Each batch of framed records is then parsed
 * by csv-parse in one call, or record by record when the batch has a malformed one, so that a bad
 * record becomes one dead letter and the rest go on.
 */
export function csvCodec<T>(format: CsvFormat<T>): RecordCodec<T> {
  const delim = format.delimiter.charCodeAt(0);
  const quote = format.quote === false ? -1 : format.quote.charCodeAt(0);
  const options: CsvParseOptions = {
    delimiter: format.delimiter,
    record_delimiter: "\n",
    relax_column_count: true,
    trim: format.trim,
    ...(format.quote === false ? { quote: false } : { quote: format.quote, escape: format.quote }),
  };
  const given = format.columns;

  /** Each text's fields, or the reason it does not parse. */
  function parseRows(texts: readonly string[]): Array<string[] | string> {
    if (texts.length > 1) {
      try {
        const rows = parse(texts.join("\n"), options);
        if (rows.length === texts.length) return rows;
      } catch {
        // one of them is malformed: find which, below
      }
    }
    return texts.map((t) => {
      try {
        const rows = parse(t, options);
        return rows.length === 1 ? rows[0] : `the record parses as ${rows.length} records`;
      } catch (e) {
        return e instanceof Error ? e.message : String(e);
      }
    });
  }

  return {
    name: "csv",
    extension: format.extension,

    findEnd(buf, f) {
      let i = f.scan;
      let quoted = f.quoted;
      let fieldStart = f.fieldStart;
      let newlines = f.newlines;
      const n = buf.length;
      let end = -1;
      while (i < n) {
        const c = buf[i];
        if (quoted) {
          if (c === quote) {
            if (i + 1 >= n) break; // a doubled quote or the closing one: the next byte decides
            if (buf[i + 1] === quote) i += 2;
            else {
              quoted = false;
              i++;
            }
            continue;
          }
          if (c === NL) newlines++;
          i++;
          continue;
        }
        if (c === NL) {
          end = i;
          break;
        }
        if (c === delim) fieldStart = true;
        else if (c === quote && fieldStart) {
          quoted = true;
          fieldStart = false;
        } else if (c !== SPACE && c !== TAB) fieldStart = false;
        i++;
      }
      f.scan = i;
      f.quoted = quoted;
      f.fieldStart = fieldStart;
      f.newlines = newlines;
      return end;
    },

    decode(records, file, out) {
      let from = 0;
      if (format.header && file.header === undefined && file.headerError === undefined && records.length > 0) {
        const h = records[0];
        from = 1;
        const [row] = parseRows([h.text]);
        const problem = typeof row === "string" ? row : given === undefined ? badColumnNames(row) : undefined;
        if (problem !== undefined) {
          file.headerError = `line ${h.line}: ${problem}`;
          out.reject(h, `csv: the header row is malformed: ${problem}`);
        } else file.header = row as string[];
      }
      if (from >= records.length) return;
      const rest = from === 0 ? records : records.slice(from);
      if (file.headerError !== undefined) {
        for (const r of rest) out.reject(r, `csv: the file's header row is malformed (${file.headerError}), so its records cannot be read`);
        return;
      }
      const columns = given ?? (file.header === undefined ? undefined : file.header.map((name) => ({ name, type: format.cast ? "auto" : "string" }) as CsvColumn));
      const rows = parseRows(rest.map((r) => r.text));
      for (let i = 0; i < rest.length; i++) {
        const row = rows[i];
        if (typeof row === "string") out.reject(rest[i], `csv: ${row}`);
        else convert(row, rest[i], columns, format.cast, out);
      }
    },
  };
}

/** Turns a row's fields into the record: an object by column, or an array. */
function convert<T>(row: string[], raw: RawRecord, columns: readonly CsvColumn[] | undefined, cast: boolean, out: DecodeOutput<T>): void {
  if (columns === undefined) {
    if (!cast) {
      out.emit(row as T, raw);
      return;
    }
    const values: unknown[] = new Array(row.length);
    for (let i = 0; i < row.length; i++) values[i] = castCell(row[i], "auto");
    out.emit(values as T, raw);
    return;
  }
  if (row.length !== columns.length) {
    out.reject(raw, `csv: the record has ${row.length} field${row.length === 1 ? "" : "s"}, expected ${columns.length} (${columns.map((c) => c.name).join(", ")})`);
    return;
  }
  const record: Record<string, unknown> = {};
  for (let i = 0; i < row.length; i++) {
    const c = columns[i];
    const cell = row[i];
    if (cell === "" && c.required === true) {
      out.reject(raw, `csv: column "${c.name}" is empty, and it is required`);
      return;
    }
    const v = castCell(cell, c.type ?? "string");
    if (v === INVALID) {
      out.reject(raw, `csv: column "${c.name}": ${JSON.stringify(cell.length > 40 ? cell.slice(0, 40) + "..." : cell)} is not ${ARTICLE[c.type ?? "string"]}`);
      return;
    }
    record[c.name] = v;
  }
  out.emit(record as T, raw);
}

const INVALID = Symbol("invalid");
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
/** A decimal without leading zeros, for "auto": `007` and `+1` stay text. */
const PLAIN_NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;
const INTEGER = /^[+-]?\d+$/;
const ARTICLE: Record<CsvColumnType, string> = {
  string: "text",
  number: "a number",
  integer: "a safe integer",
  boolean: "true or false",
  timestamp: "a number of ms or a date",
  auto: "a value",
};

function castCell(cell: string, type: CsvColumnType): unknown {
  if (type === "string") return cell;
  if (cell === "") return null;
  switch (type) {
    case "number":
      return DECIMAL.test(cell) ? Number(cell) : INVALID;
    case "integer": {
      const n = INTEGER.test(cell) ? Number(cell) : NaN;
      return Number.isSafeInteger(n) ? n : INVALID;
    }
    case "boolean": {
      const l = cell.toLowerCase();
      return l === "true" ? true : l === "false" ? false : INVALID;
    }
    case "timestamp": {
      const t = DECIMAL.test(cell) ? Number(cell) : Date.parse(cell);
      return Number.isFinite(t) ? t : INVALID;
    }
    case "auto": {
      if (PLAIN_NUMBER.test(cell)) {
        const n = Number(cell);
        if (Number.isFinite(n)) return n;
      }
      if (cell === "true") return true;
      if (cell === "false") return false;
      return cell;
    }
  }
}

/** Frames and decodes a whole CSV file in memory (for reading committed sink output). */
export function decodeCsvBuffer<T>(codec: RecordCodec<T>, buf: Buffer, file: FileHeaderState, out: DecodeOutput<T>): void {
  const records: RawRecord[] = [];
  let pos = buf.length >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf ? 3 : 0;
  let line = 1;
  while (pos < buf.length) {
    const frame: FrameState = { scan: pos, quoted: false, fieldStart: true, newlines: 0 };
    const nl = codec.findEnd(buf, frame);
    const end = nl < 0 ? buf.length : nl;
    let stop = end;
    if (stop > pos && buf[stop - 1] === 13) stop--;
    const text = buf.toString("utf8", pos, stop);
    if (!/^\s*$/.test(text)) records.push({ text, offset: pos, line });
    line += 1 + frame.newlines;
    pos = end + 1;
  }
  codec.decode(records, file, out);
}
