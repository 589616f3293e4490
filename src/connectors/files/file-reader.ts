import { open, type FileHandle } from "node:fs/promises";
import { VigilError } from "../../errors.js";
import type { InputStatus, ReaderOutput, SourceReader, SourceReaderContext } from "../../runtime/index.js";
import type { FileSourceOptions, FileSourceSplit, FileSplit, FileWatchSplit } from "./file-source.js";
import { FileWatcher } from "./file-watcher.js";
import type { FileHeaderState, FrameState, RawRecord, RecordCodec } from "./record-format.js";

/** Malformed records logged one by one per file; later ones are only counted. */
const LOGGED_PER_FILE = 10;

type Logger = SourceReaderContext["log"];

/** A file being read: `buf[pos]` is the byte at file offset `offset`; `readPos` is where the next read starts. */
interface ReadingFile {
  readonly id: string;
  readonly path: string;
  /** The watch bucket, or -1 when bounded. */
  readonly bucket: number;
  offset: number;
  line: number;
  readonly headerState: FileHeaderState;
  buf: Buffer;
  pos: number;
  /** The framing of the record that starts at `pos`. */
  frame: FrameState;
  /** Records framed but not decoded yet (decoded before `pollNext` returns). */
  pending: RawRecord[];
  readPos: number;
  handle: FileHandle | undefined;
  eof: boolean;
  done: boolean;
  /** The read in flight; it never rejects (a failure is kept in the reader's `error`). */
  reading: Promise<void> | undefined;
  malformed: number;
}

/** What a reader is built from. */
export interface ReaderSettings<T> {
  readonly name: string;
  readonly codec: RecordCodec<T>;
  readonly options: FileSourceOptions<T>;
  readonly paths: readonly string[];
  readonly log: Logger;
  readonly countMalformed: () => void;
}

/**
 * Reads the files of one source subtask, one after another, in chunks (never a whole file): the
 * codec frames records in the bytes read (a record cut by a chunk boundary is kept as bytes until
 * its end arrives), and each batch is decoded before `pollNext` returns, so a snapshot always
 * falls between records. Watching, the reader also lists the paths every interval and queues the
 * new files of its buckets.
 */
export class FileSourceReader<T> implements SourceReader<T, FileSourceSplit> {
  private readonly files: ReadingFile[] = [];
  private current = 0;
  private error: unknown;
  private readonly batchSize: number;
  private readonly chunkSize: number;
  private readonly watch: FileWatcher | undefined;
  private readonly where: string;

  constructor(private readonly s: ReaderSettings<T>) {
    this.batchSize = s.options.batchSize ?? 4096;
    this.chunkSize = s.options.chunkSize ?? 1 << 20;
    this.where = `file source "${s.name}"`;
    const m = s.options.monitor;
    this.watch = m === undefined ? undefined : new FileWatcher(m, s.paths, s.codec.extension, this.where, s.log);
  }

  addSplits(splits: FileSourceSplit[]): void {
    for (const split of splits) {
      if (isWatchSplit(split)) {
        if (this.watch === undefined) throw this.invalid(split, "a watch split, but the source has no monitor option; was it restored from a continuous run?");
        for (const f of this.watch.addBucket(split)) this.files.push(this.reading(checkFileSplit(f, this.where), split.bucket));
      } else {
        if (this.watch !== undefined) throw this.invalid(split, "a file split, but the source watches its paths (monitor); was it restored from a bounded run?");
        this.files.push(this.reading(checkFileSplit(split, this.where), -1));
      }
    }
  }

  pollNext(output: ReaderOutput<T>): InputStatus {
    if (this.error !== undefined) throw this.error;
    const w = this.watch;
    w?.poll(output as ReaderOutput<unknown>, (split, bucket) => this.files.push(this.reading(split, bucket)));
    let framed = 0;
    let emitted = false;
    while (framed < this.batchSize) {
      const s = this.files[this.current];
      if (s === undefined) {
        if (w !== undefined) return emitted ? "more" : "waiting";
        return "end";
      }
      if (s.done) {
        this.current++;
        continue;
      }
      const end = this.s.codec.findEnd(s.buf, s.frame);
      if (end >= 0) {
        this.take(s, end, end + 1);
        framed++;
        continue;
      }
      if (s.eof) {
        if (s.pos < s.buf.length) {
          this.take(s, s.buf.length, s.buf.length); // a last record without newline
          framed++;
        } else {
          emitted = this.decode(s, output) || emitted;
          this.finish(s, output);
        }
        continue;
      }
      if (s.reading === undefined) this.read(s);
      emitted = this.decode(s, output) || emitted;
      return emitted || framed > 0 ? "more" : "waiting";
    }
    const s = this.files[this.current];
    if (s !== undefined) {
      this.decode(s, output);
      // read ahead while the runtime processes this batch
      if (!s.eof && s.reading === undefined && s.buf.length - s.pos < this.chunkSize) this.read(s);
    }
    return "more";
  }

  available(): Promise<void> {
    const s = this.files[this.current];
    if (s?.reading !== undefined) return s.reading;
    if (this.watch === undefined || (s !== undefined && !s.done)) return Promise.resolve();
    return this.watch.available();
  }

  snapshotState(): FileSourceSplit[] {
    if (this.watch === undefined) return this.files.map((s) => this.splitOf(s));
    return this.watch.snapshot((bucket) => this.files.filter((s) => s.bucket === bucket && !s.done).map((s) => this.splitOf(s)));
  }

  async close(): Promise<void> {
    this.watch?.close();
    for (const s of this.files) {
      await s.reading;
      await s.handle?.close();
      s.handle = undefined;
    }
  }

  private splitOf(s: ReadingFile): FileSplit {
    const split: FileSplit = { splitId: s.id, path: s.path, offset: s.offset, line: s.line };
    const h = s.headerState;
    if (h.header === undefined && h.headerError === undefined) return split;
    return { ...split, ...(h.header !== undefined ? { header: [...h.header] } : {}), ...(h.headerError !== undefined ? { headerError: h.headerError } : {}) };
  }

  private reading(split: FileSplit, bucket: number): ReadingFile {
    const headerState: FileHeaderState = {};
    if (split.header !== undefined) headerState.header = split.header;
    if (split.headerError !== undefined) headerState.headerError = split.headerError;
    return {
      id: split.splitId,
      path: split.path,
      bucket,
      offset: split.offset,
      line: split.line,
      headerState,
      buf: Buffer.alloc(0),
      pos: 0,
      frame: newFrame(0),
      pending: [],
      readPos: split.offset,
      handle: undefined,
      eof: false,
      done: false,
      reading: undefined,
      malformed: 0,
    };
  }

  private invalid(split: unknown, why: string): VigilError {
    return new VigilError(`${this.where}: split ${JSON.stringify(split).slice(0, 300)} is ${why}`, { code: "SOURCE_SPLIT_INVALID" });
  }

  /** Frames the record from `pos` to `end` (its newline or the end of the file); `next` is where the following one starts. */
  private take(s: ReadingFile, end: number, next: number): void {
    const start = s.pos;
    const offset = s.offset;
    const lineNo = s.line + 1;
    s.offset += next - start;
    s.line += 1 + s.frame.newlines;
    s.pos = next;
    resetFrame(s.frame, next);
    let stop = end;
    if (stop > start && s.buf[stop - 1] === 13) stop--;
    if (stop === start) return;
    let text = s.buf.toString("utf8", start, stop);
    if (offset === 0 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    if (text.charCodeAt(0) <= 32 && /^\s*$/.test(text)) return;
    s.pending.push({ text, offset, line: lineNo });
  }

  /** Decodes and emits the framed records of `s`; true when it emitted any. */
  private decode(s: ReadingFile, output: ReaderOutput<T>): boolean {
    if (s.pending.length === 0) return false;
    const records = s.pending;
    s.pending = [];
    let emitted = false;
    const field = this.s.options.timestampField;
    this.s.codec.decode(records, s.headerState, {
      emit: (value, raw) => {
        if (field === undefined) {
          output.collect(value, s.id);
          emitted = true;
          return;
        }
        const ts = timestampOf(value, field);
        if (ts === undefined) this.deadLetter(s, raw, `field "${field}" is missing or is neither a number of ms nor a date string`);
        else {
          output.collect(value, s.id, ts);
          emitted = true;
        }
      },
      reject: (raw, reason) => this.deadLetter(s, raw, reason),
    });
    return emitted;
  }

  private deadLetter(s: ReadingFile, r: RawRecord, reason: string): void {
    s.malformed++;
    this.s.countMalformed();
    const raw = r.text;
    if (s.malformed <= LOGGED_PER_FILE) {
      this.s.log.warn({ file: s.path, line: r.line, offset: r.offset, reason, raw: raw.length > 200 ? `${raw.slice(0, 200)}...` : raw }, "malformed record sent to dead letters");
    }
    this.s.options.deadLetters?.({ source: this.s.name, file: s.path, line: r.line, offset: r.offset, reason, raw });
  }

  private finish(s: ReadingFile, output: ReaderOutput<T>): void {
    s.done = true;
    s.buf = Buffer.alloc(0);
    s.pos = 0;
    resetFrame(s.frame, 0);
    const handle = s.handle;
    s.handle = undefined;
    handle?.close().catch((e: unknown) => this.s.log.warn({ file: s.path, err: e }, "closing a read file failed"));
    if (s.malformed > LOGGED_PER_FILE) this.s.log.warn({ file: s.path, malformed: s.malformed }, "file read; malformed records went to dead letters");
    output.splitFinished(s.id);
    if (this.watch !== undefined) {
      // watching: a finished file joins its bucket's done set and leaves the queue
      this.watch.finished(s.path, s.bucket);
      this.files.splice(this.current, 1);
    }
  }

  private read(s: ReadingFile): void {
    s.reading = this.readChunk(s).then(
      () => {
        s.reading = undefined;
      },
      (e: unknown) => {
        s.reading = undefined;
        if (this.watch !== undefined && (e as NodeJS.ErrnoException).code === "ENOENT") {
          // watching: a file removed before it was opened is given up, not retried forever
          this.s.log.warn({ file: s.path, offset: s.offset }, "watched file disappeared before it was read to the end; skipped");
          s.eof = true;
          return;
        }
        this.error ??=
          e instanceof VigilError ? e : new VigilError(`${this.where}: cannot read ${s.path}: ${(e as Error).message}`, { code: "SOURCE_READ_FAILED", cause: e });
      },
    );
  }

  private async readChunk(s: ReadingFile): Promise<void> {
    if (s.handle === undefined) {
      s.handle = await open(s.path, "r");
      const size = (await s.handle.stat()).size;
      if (s.readPos > size) {
        throw new VigilError(`${this.where}: ${s.path} has ${size} bytes, fewer than its checkpointed position ${s.readPos}; it changed since the checkpoint`, {
          code: "SOURCE_SPLIT_INVALID",
        });
      }
    }
    const chunk = Buffer.allocUnsafe(this.chunkSize);
    const { bytesRead } = await s.handle.read(chunk, 0, this.chunkSize, s.readPos);
    if (bytesRead === 0) {
      s.eof = true;
      return;
    }
    const data = chunk.subarray(0, bytesRead);
    // keep the partial record in bytes: a UTF-8 character split across chunks is decoded whole later
    s.buf = s.pos < s.buf.length ? Buffer.concat([s.buf.subarray(s.pos), data]) : data;
    s.frame.scan -= s.pos;
    s.pos = 0;
    s.readPos += bytesRead;
  }
}

function newFrame(scan: number): FrameState {
  return { scan, quoted: false, fieldStart: true, newlines: 0 };
}

/** Starts framing a new record at `scan` (in place: this runs once per record). */
function resetFrame(f: FrameState, scan: number): void {
  f.scan = scan;
  f.quoted = false;
  f.fieldStart = true;
  f.newlines = 0;
}

function isWatchSplit(s: FileSourceSplit): s is FileWatchSplit {
  return (s as FileWatchSplit).kind === "watch";
}

function checkFileSplit(s: FileSplit, where: string): FileSplit {
  const ok =
    typeof s?.path === "string" &&
    Number.isSafeInteger(s.offset) &&
    s.offset >= 0 &&
    Number.isSafeInteger(s.line) &&
    s.line >= 0 &&
    (s.header === undefined || (Array.isArray(s.header) && s.header.every((h) => typeof h === "string")));
  if (!ok) throw new VigilError(`${where}: split ${JSON.stringify(s)} is not a file split ({ path, offset, line })`, { code: "SOURCE_SPLIT_INVALID" });
  return s;
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
