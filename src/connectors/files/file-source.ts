import { VigilError } from "../../errors.js";
import type { DeadLetter } from "../dead-letter.js";
import type { Boundedness, Source, SourceReader, SourceReaderContext, SourceSplit } from "../../runtime/index.js";
import { CsvFormat } from "./csv-format.js";
import { checkWatchedPaths, listFiles } from "./file-discovery.js";
import { FileSourceReader } from "./file-reader.js";
import { jsonLinesFormat, lineCodec, type LineFormat, type RecordCodec } from "./record-format.js";

/**
 * One file to read, with the position of its next unread record. Plain data: checkpoints store it.
 */
export interface FileSplit extends SourceSplit {
  readonly path: string;
  /** Byte offset of the next unread record (just after the last record emitted). */
  readonly offset: number;
  /** Lines before `offset` (blank and malformed ones included): the next record starts on line `line + 1`. */
  readonly line: number;
  /** CSV: the file's header row, once read (so that a restore in the middle of the file knows the columns). */
  readonly header?: readonly string[];
  /** CSV: why the header row did not parse, once read. */
  readonly headerError?: string;
}

/**
 * A bucket of a watched directory (continuous mode): the files whose path hashes to `bucket` (of
 * `buckets`), those read to the end and those discovered but not finished, with their positions.
 * The subtask that holds the split discovers and reads the bucket's new files.
 */
export interface FileWatchSplit extends SourceSplit {
  readonly kind: "watch";
  readonly bucket: number;
  readonly buckets: number;
  /** Files of this bucket read to the end: never read again. */
  readonly done: readonly string[];
  /** Files of this bucket discovered and not finished, in reading order. */
  readonly files: readonly FileSplit[];
}

/** The splits of a {@link FileSource}: files when bounded, buckets when watching. */
export type FileSourceSplit = FileSplit | FileWatchSplit;

/** Continuous mode: how a {@link FileSource} watches its paths for new files. */
export interface FileMonitorOptions {
  /** How often each subtask lists the paths (ms), as Flink's `monitorContinuously(interval)`. */
  readonly intervalMs: number;
  /**
   * Files are spread over this many buckets by a hash of their path; buckets are the splits, so a
   * restored job can use at most this parallelism. Fixed when the job first starts (a restore
   * keeps the checkpoint's). Default: the parallelism, at least 32.
   */
  readonly buckets?: number;
  /**
   * Read a new file only once two listings in a row saw the same size and modification time, for
   * writers that cannot rename a finished file into place (it delays every file by an interval).
   */
  readonly awaitStable?: boolean;
}

/** Options of a {@link FileSource}. */
export interface FileSourceOptions<T> {
  /**
   * Files, directories (their files with the format's extension; hidden files skipped; not
   * recursive) or glob patterns (fast-glob syntax, e.g. `data/2026-0?/orders-*.csv`, relative to the
   * working directory; hidden files skipped). A bounded read fails when a path is missing or a glob
   * matches nothing; a watching one waits for them.
   */
  readonly paths: string | readonly string[];
  /** `"jsonl"` (default), `"csv"` (`csvFormat()`'s defaults), a `csvFormat({...})`, or a {@link LineFormat}. */
  readonly format?: "jsonl" | "csv" | LineFormat<T> | CsvFormat<T>;
  /**
   * A field of each record holding its timestamp (ms since the epoch, or a date string `Date.parse`
   * reads). A record without a usable timestamp goes to the dead letters.
   */
  readonly timestampField?: string;
  /** Names the source in dead letters and errors (default "files"). */
  readonly name?: string;
  /** Receives malformed records. With worker threads it runs in the worker that read the record. */
  readonly deadLetters?: (d: DeadLetter) => void;
  /** Records per `pollNext`, at most (default 4096). */
  readonly batchSize?: number;
  /** Bytes per read (default 1 MiB). */
  readonly chunkSize?: number;
  /** Watch the paths for new files (continuous mode) instead of reading what is there (bounded). */
  readonly monitor?: FileMonitorOptions;
}

/**
 * A replayable source of files, after Flink's `FileSource`: JSON lines, CSV or a line format of
 * your own, from files, directories and globs.
 *
 * Bounded (default): one split per file, sorted by path and assigned round-robin to the subtasks;
 * a reader reads its files one after another in chunks. Continuous (`monitor`): every subtask lists
 * the paths every `intervalMs` and reads the new files of the buckets it holds (a file's bucket is
 * a hash of its path), so each file is read by exactly one subtask, once.
 *
 * A file's position is the byte offset after the last record emitted, so a restore resumes with
 * the next record: none lost, none repeated. Malformed records (and, with `timestampField`,
 * records without a timestamp) go to `deadLetters`, are counted and logged at warn; they never
 * fail the job. Blank lines are skipped; CRLF and a UTF-8 BOM are accepted.
 */
export class FileSource<T = unknown> implements Source<T, FileSourceSplit> {
  readonly boundedness: Boundedness;
  private readonly paths: readonly string[];
  private readonly codec: RecordCodec<T>;
  private readonly options: FileSourceOptions<T>;
  private readonly name: string;
  private malformed = 0;

  constructor(options: FileSourceOptions<T>) {
    const name = options.name ?? "files";
    const fail = (what: string) => new VigilError(`file source "${name}": ${what}`, { code: "SOURCE_CONFIG_INVALID" });
    const paths = typeof options.paths === "string" ? [options.paths] : options.paths;
    if (!Array.isArray(paths) || paths.length === 0 || paths.some((p) => typeof p !== "string" || p === "")) {
      throw fail("paths must name at least one file, directory or glob");
    }
    for (const key of ["batchSize", "chunkSize"] as const) {
      const v = options[key];
      if (v !== undefined && !(Number.isInteger(v) && v > 0)) throw fail(`${key} must be a positive integer, got ${v}`);
    }
    const m = options.monitor;
    if (m !== undefined) {
      if (typeof m !== "object" || m === null || !(Number.isFinite(m.intervalMs) && m.intervalMs > 0)) throw fail(`monitor.intervalMs must be a positive number of ms, got ${m?.intervalMs}`);
      if (m.buckets !== undefined && !(Number.isInteger(m.buckets) && m.buckets > 0 && m.buckets <= 65_536)) throw fail(`monitor.buckets must be an integer from 1 to 65536, got ${m.buckets}`);
    }
    this.codec = codecOf(options.format, fail);
    this.boundedness = m === undefined ? "bounded" : "continuous";
    this.paths = paths;
    this.options = options;
    this.name = name;
  }

  /** Malformed records seen by the readers in this process. */
  get deadLetterCount(): number {
    return this.malformed;
  }

  /** Bounded: a split per file, sorted by path. Watching: a split per bucket (files come later). */
  async createSplits(ctx: { parallelism: number } = { parallelism: 1 }): Promise<FileSourceSplit[]> {
    const where = `file source "${this.name}"`;
    const m = this.options.monitor;
    if (m !== undefined) {
      await checkWatchedPaths(this.paths, where);
      const buckets = m.buckets ?? Math.max(ctx.parallelism, 32);
      const width = String(buckets - 1).length;
      return Array.from({ length: buckets }, (_, bucket) => ({ splitId: `watch-${String(bucket).padStart(width, "0")}`, kind: "watch", bucket, buckets, done: [], files: [] }));
    }
    const files = await listFiles(this.paths, this.codec.extension, true, where);
    return files.map((path) => ({ splitId: path, path, offset: 0, line: 0 }));
  }

  createReader(ctx: SourceReaderContext): SourceReader<T, FileSourceSplit> {
    return new FileSourceReader<T>({
      name: this.name,
      codec: this.codec,
      options: this.options,
      paths: this.paths,
      log: ctx.log,
      countMalformed: () => this.malformed++,
    });
  }
}

function codecOf<T>(format: FileSourceOptions<T>["format"], fail: (what: string) => VigilError): RecordCodec<T> {
  if (format === undefined || format === "jsonl") return lineCodec(jsonLinesFormat as LineFormat<T>);
  if (format === "csv") return new CsvFormat<T>().codec();
  if (format instanceof CsvFormat) return format.codec();
  if (typeof format === "object" && format !== null && typeof (format as LineFormat<T>).parse === "function") {
    const f = format as LineFormat<T>;
    if (typeof f.extension !== "string" || typeof f.name !== "string") throw fail("a LineFormat needs a name and an extension");
    return lineCodec(f);
  }
  throw fail(`format must be "jsonl", "csv", a csvFormat(...) or a LineFormat, got ${String(format)}`);
}

export { jsonLinesFormat, type LineFormat };
