import { open, readdir, stat, type FileHandle } from "node:fs/promises";
import { join, resolve } from "node:path";
import { VigilError } from "../../errors.js";
import type { DeadLetter } from "../dead-letter.js";
import type { InputStatus, ReaderOutput, Source, SourceReader, SourceReaderContext, SourceSplit } from "../../runtime/index.js";

/** One file to read, with the position of its next unread line. Plain data: checkpoints store it. */
export interface FileSplit extends SourceSplit {
  readonly path: string;
  /** Byte offset of the next unread line. */
  readonly offset: number;
  /** Lines before `offset` (blank and malformed ones included): the next line is number `line + 1`. */
  readonly line: number;
}

/** How lines become records. JSON lines are built in; CSV will be another format. */
export interface LineFormat<T> {
  readonly name: string;
  /** Files of a directory with this extension (dot included) are read. */
  readonly extension: string;
  /** Parses one line (terminator removed). Throws on a malformed line: the message becomes the dead letter's reason. */
  parse(line: string): T;
}

/** One JSON value per line. */
export const jsonLinesFormat: LineFormat<unknown> = { name: "jsonl", extension: ".jsonl", parse: (line) => JSON.parse(line) };

/** Options of a {@link FileSource}. */
export interface FileSourceOptions<T> {
  /** Files, or directories whose files with the format's extension are read (hidden files skipped). */
  readonly paths: string | readonly string[];
  /** Default "jsonl". */
  readonly format?: "jsonl" | LineFormat<T>;
  /**
   * A field of each record holding its timestamp (ms since the epoch, or a date string `Date.parse`
   * reads). A record without a usable timestamp goes to the dead letters.
   */
  readonly timestampField?: string;
  /** Names the source in dead letters and errors (default "files"). */
  readonly name?: string;
  /** Receives malformed lines. With worker threads it runs in the worker that read the line. */
  readonly deadLetters?: (d: DeadLetter) => void;
  /** Lines per `pollNext`, at most (default 4096). */
  readonly batchSize?: number;
  /** Bytes per read (default 1 MiB). */
  readonly chunkSize?: number;
}

/** Malformed lines logged one by one per file; later ones are only counted. */
const LOGGED_PER_FILE = 10;

/**
 * A bounded, replayable source of line-oriented files, as Flink's `FileSource` with a line format:
 * one split per file, sorted by path and assigned round-robin to the subtasks; a reader reads its
 * files one after another in chunks. A split's position is the byte offset after the last line
 * emitted, so a restore resumes with the next line: no line lost, none repeated. Malformed lines
 * (and, with `timestampField`, records without a timestamp) go to `deadLetters`, are counted and
 * logged at warn; they never fail the job. Blank lines are skipped; CRLF and a UTF-8 BOM are accepted.
 */
export class FileSource<T = unknown> implements Source<T, FileSplit> {
  readonly boundedness = "bounded" as const;
  private readonly paths: readonly string[];
  private readonly format: LineFormat<T>;
  private readonly options: FileSourceOptions<T>;
  private readonly name: string;
  private malformed = 0;

  constructor(options: FileSourceOptions<T>) {
    const name = options.name ?? "files";
    const fail = (what: string) => new VigilError(`file source "${name}": ${what}`, { code: "SOURCE_CONFIG_INVALID" });
    const paths = typeof options.paths === "string" ? [options.paths] : options.paths;
    if (!Array.isArray(paths) || paths.length === 0 || paths.some((p) => typeof p !== "string" || p === "")) throw fail("paths must name at least one file or directory");
    for (const key of ["batchSize", "chunkSize"] as const) {
      const v = options[key];
      if (v !== undefined && !(Number.isInteger(v) && v > 0)) throw fail(`${key} must be a positive integer, got ${v}`);
    }
    const format = options.format ?? "jsonl";
    if (format !== "jsonl" && typeof format?.parse !== "function") throw fail(`format must be "jsonl" or a LineFormat, got ${String(format)}`);
    this.paths = paths;
    this.format = format === "jsonl" ? (jsonLinesFormat as LineFormat<T>) : format;
    this.options = options;
    this.name = name;
  }

  /** Malformed lines seen by the readers in this process. */
  get deadLetterCount(): number {
    return this.malformed;
  }

  async createSplits(): Promise<FileSplit[]> {
    const files = new Set<string>();
    for (const p of this.paths) {
      const path = resolve(p);
      let isDirectory: boolean;
      try {
        isDirectory = (await stat(path)).isDirectory();
      } catch (e) {
        throw new VigilError(`file source "${this.name}": cannot read ${p}: ${(e as Error).message}`, { code: "SOURCE_NOT_FOUND", cause: e });
      }
      if (!isDirectory) {
        files.add(path);
        continue;
      }
      for (const entry of await readdir(path, { withFileTypes: true })) {
        if (entry.isFile() && !entry.name.startsWith(".") && entry.name.endsWith(this.format.extension)) files.add(join(path, entry.name));
      }
    }
    return [...files].sort().map((path) => ({ splitId: path, path, offset: 0, line: 0 }));
  }

  createReader(ctx: SourceReaderContext): SourceReader<T, FileSplit> {
    return new FileSourceReader(this.name, this.format, this.options, ctx.log, () => this.malformed++);
  }
}

/** A split being read: `buf[pos]` is the byte at file offset `offset`; `readPos` is where the next read starts. */
interface ReadingSplit {
  readonly id: string;
  readonly path: string;
  offset: number;
  line: number;
  buf: Buffer;
  pos: number;
  /** Where to look for the next newline (the bytes from `pos` to here have none). */
  scan: number;
  readPos: number;
  handle: FileHandle | undefined;
  eof: boolean;
  done: boolean;
  /** The read in flight; it never rejects (a failure is kept in `error`). */
  reading: Promise<void> | undefined;
  malformed: number;
}

type Logger = SourceReaderContext["log"];

class FileSourceReader<T> implements SourceReader<T, FileSplit> {
  private readonly splits: ReadingSplit[] = [];
  private current = 0;
  private error: unknown;
  private readonly batchSize: number;
  private readonly chunkSize: number;

  constructor(
    private readonly name: string,
    private readonly format: LineFormat<T>,
    private readonly options: FileSourceOptions<T>,
    private readonly log: Logger,
    private readonly countMalformed: () => void,
  ) {
    this.batchSize = options.batchSize ?? 4096;
    this.chunkSize = options.chunkSize ?? 1 << 20;
  }

  addSplits(splits: FileSplit[]): void {
    for (const s of splits) {
      if (typeof s.path !== "string" || !Number.isSafeInteger(s.offset) || s.offset < 0 || !Number.isSafeInteger(s.line) || s.line < 0) {
        throw new VigilError(`file source "${this.name}": split ${JSON.stringify(s)} is not a file split ({ path, offset, line })`, { code: "SOURCE_SPLIT_INVALID" });
      }
      this.splits.push({
        id: s.splitId,
        path: s.path,
        offset: s.offset,
        line: s.line,
        buf: Buffer.alloc(0),
        pos: 0,
        scan: 0,
        readPos: s.offset,
        handle: undefined,
        eof: false,
        done: false,
        reading: undefined,
        malformed: 0,
      });
    }
  }

  pollNext(output: ReaderOutput<T>): InputStatus {
    if (this.error !== undefined) throw this.error;
    let lines = 0;
    while (lines < this.batchSize) {
      const s = this.splits[this.current];
      if (s === undefined) return "end";
      if (s.done) {
        this.current++;
        continue;
      }
      const nl = s.buf.indexOf(10, s.scan);
      if (nl >= 0) {
        this.emitLine(s, nl, output);
        lines++;
        continue;
      }
      s.scan = s.buf.length;
      if (s.eof) {
        if (s.pos < s.buf.length) {
          this.emitLine(s, s.buf.length, output); // a last line without newline
          lines++;
        } else this.finish(s, output);
        continue;
      }
      if (s.reading === undefined) this.read(s);
      return lines > 0 ? "more" : "waiting";
    }
    // read ahead while the runtime processes this batch
    const s = this.splits[this.current];
    if (s !== undefined && !s.eof && s.reading === undefined && s.buf.length - s.pos < this.chunkSize) this.read(s);
    return "more";
  }

  available(): Promise<void> {
    return this.splits[this.current]?.reading ?? Promise.resolve();
  }

  snapshotState(): FileSplit[] {
    return this.splits.map((s) => ({ splitId: s.id, path: s.path, offset: s.offset, line: s.line }));
  }

  async close(): Promise<void> {
    for (const s of this.splits) {
      await s.reading;
      await s.handle?.close();
      s.handle = undefined;
    }
  }

  /** Consumes the line from `pos` to `end` (a newline or the end of the file) and emits its record. */
  private emitLine(s: ReadingSplit, end: number, output: ReaderOutput<T>): void {
    const start = s.pos;
    const offset = s.offset;
    const next = end < s.buf.length ? end + 1 : end;
    s.offset += next - start;
    s.pos = next;
    s.scan = next;
    const lineNo = ++s.line;
    let stop = end;
    if (stop > start && s.buf[stop - 1] === 13) stop--;
    if (stop === start) return;
    let text = s.buf.toString("utf8", start, stop);
    if (offset === 0 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    if (text.charCodeAt(0) <= 32 && /^\s*$/.test(text)) return;
    let value: T;
    try {
      value = this.format.parse(text);
    } catch (e) {
      this.deadLetter(s, lineNo, offset, text, `${this.format.name}: ${e instanceof Error ? e.message : String(e)}`);
      return;
    }
    const field = this.options.timestampField;
    if (field === undefined) {
      output.collect(value, s.id);
      return;
    }
    const ts = timestampOf(value, field);
    if (ts === undefined) this.deadLetter(s, lineNo, offset, text, `field "${field}" is missing or is neither a number of ms nor a date string`);
    else output.collect(value, s.id, ts);
  }

  private deadLetter(s: ReadingSplit, line: number, offset: number, raw: string, reason: string): void {
    s.malformed++;
    this.countMalformed();
    if (s.malformed <= LOGGED_PER_FILE) {
      this.log.warn({ file: s.path, line, offset, reason, raw: raw.length > 200 ? `${raw.slice(0, 200)}...` : raw }, "malformed line sent to dead letters");
    }
    this.options.deadLetters?.({ source: this.name, file: s.path, line, offset, reason, raw });
  }

  private finish(s: ReadingSplit, output: ReaderOutput<T>): void {
    s.done = true;
    s.buf = Buffer.alloc(0);
    s.pos = s.scan = 0;
    const handle = s.handle;
    s.handle = undefined;
    handle?.close().catch((e: unknown) => this.log.warn({ file: s.path, err: e }, "closing a read file failed"));
    if (s.malformed > LOGGED_PER_FILE) this.log.warn({ file: s.path, malformed: s.malformed }, "file read; malformed lines went to dead letters");
    output.splitFinished(s.id);
  }

  private read(s: ReadingSplit): void {
    s.reading = this.readChunk(s).then(
      () => {
        s.reading = undefined;
      },
      (e: unknown) => {
        s.reading = undefined;
        this.error ??=
          e instanceof VigilError
            ? e
            : new VigilError(`file source "${this.name}": cannot read ${s.path}: ${(e as Error).message}`, { code: "SOURCE_READ_FAILED", cause: e });
      },
    );
  }

  private async readChunk(s: ReadingSplit): Promise<void> {
    if (s.handle === undefined) {
      s.handle = await open(s.path, "r");
      const size = (await s.handle.stat()).size;
      if (s.readPos > size) {
        throw new VigilError(
          `file source "${this.name}": ${s.path} has ${size} bytes, fewer than its checkpointed position ${s.readPos}; it changed since the checkpoint`,
          { code: "SOURCE_SPLIT_INVALID" },
        );
      }
    }
    const chunk = Buffer.allocUnsafe(this.chunkSize);
    const { bytesRead } = await s.handle.read(chunk, 0, this.chunkSize, s.readPos);
    if (bytesRead === 0) {
      s.eof = true;
      return;
    }
    const data = chunk.subarray(0, bytesRead);
    // keep the partial line in bytes: a UTF-8 character split across chunks is decoded whole later
    s.buf = s.pos < s.buf.length ? Buffer.concat([s.buf.subarray(s.pos), data]) : data;
    s.scan -= s.pos;
    s.pos = 0;
    s.readPos += bytesRead;
  }
}

function timestampOf(value: unknown, field: string): number | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const v = (value as Record<string, unknown>)[field];
  if (typeof v === "number") return Number.isFinite(v) ? v : undefined;
  if (typeof v === "string") {
    const t = Date.parse(v);
    return Number.isNaN(t) ? undefined : t;
  }
  return undefined;
}
