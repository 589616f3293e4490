/**
 * How a file reader cuts bytes into records and decodes them. Internal: users pick a format with
 * `"jsonl"`, `"csv"`, a {@link LineFormat} or `csvFormat(...)`; each becomes a {@link RecordCodec}.
 */

/** How lines become records: one record per line. JSON lines are built in. */
export interface LineFormat<T> {
  readonly name: string;
  /** Files of a directory with this extension (dot included) are read. */
  readonly extension: string;
  /**
   * Parses one line (terminator removed); `at` is where it is in its file (1-based line, byte
   * offset), for formats that keep a record's position. Throws on a malformed line: the message
   * becomes the dead letter's reason.
   */
  parse(line: string, at?: { readonly line: number; readonly offset: number }): T;
}

/** One JSON value per line. */
export const jsonLinesFormat: LineFormat<unknown> = { name: "jsonl", extension: ".jsonl", parse: (line) => JSON.parse(line) };

/** A record cut from a file: its text (terminator removed) and where it starts. */
export interface RawRecord {
  readonly text: string;
  /** Byte offset of the record's first byte. */
  readonly offset: number;
  /** 1-based number of the line the record starts on. */
  readonly line: number;
}

/**
 * What a format learned of a file that later records need (CSV: its header row). Kept in the
 * split, so that a restore in the middle of the file knows it.
 */
export interface FileHeaderState {
  header?: readonly string[];
  /** The header row did not parse: why (every later record of the file is a dead letter). */
  headerError?: string;
}

/**
 * Where a record's framing stopped: bytes before `scan` (from the record's start) contain no end
 * of record. `quoted` and `fieldStart` are the CSV scanner's state at `scan`; `newlines` counts
 * the newlines inside quoted fields so far (they are part of the record).
 */
export interface FrameState {
  scan: number;
  quoted: boolean;
  fieldStart: boolean;
  newlines: number;
}

/** Receives what a codec decoded, in file order. */
export interface DecodeOutput<T> {
  emit(value: T, raw: RawRecord): void;
  reject(raw: RawRecord, reason: string): void;
}

/** A format as the reader uses it. One instance serves every split of a source; per-file state is passed in. */
export interface RecordCodec<T> {
  readonly name: string;
  readonly extension: string;
  /**
   * The index in `buf` of the newline that ends the record being framed, scanning from
   * `frame.scan`; -1 when `buf` holds no end yet (then `frame` says where to go on). At the end of
   * the file the caller takes the rest as the last record.
   */
  findEnd(buf: Buffer, frame: FrameState): number;
  /** Decodes records of one file, in order (blank ones already dropped). */
  decode(records: readonly RawRecord[], file: FileHeaderState, out: DecodeOutput<T>): void;
}

/** A {@link LineFormat} as a codec: a record is a line. */
export function lineCodec<T>(format: LineFormat<T>): RecordCodec<T> {
  return {
    name: format.name,
    extension: format.extension,
    findEnd(buf, frame) {
      const nl = buf.indexOf(10, frame.scan);
      if (nl < 0) frame.scan = buf.length;
      return nl;
    },
    decode(records, _file, out) {
      for (const r of records) {
        let value: T;
        try {
          value = format.parse(r.text, r);
        } catch (e) {
          out.reject(r, `${format.name}: ${e instanceof Error ? e.message : String(e)}`);
          continue;
        }
        out.emit(value, r);
      }
    },
  };
}
