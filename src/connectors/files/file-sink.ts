import { mkdir, open, readdir, rename, stat, unlink, type FileHandle } from "node:fs/promises";
import { join } from "node:path";
import { VigilError } from "../../errors.js";
import type { SinkWriter, SinkWriterContext } from "../../runtime/index.js";
import { TwoPhaseCommitSink } from "../../runtime/index.js";
import { CsvFormat } from "./csv-format.js";

/** Options of a {@link FileSink}. */
export interface FileSinkOptions<T> {
  /** The directory the part files go to (created if missing). One job per directory. */
  readonly directory: string;
  /**
   * `"jsonl"` (default: one record per line, `.jsonl` parts), `"csv"` (`csvFormat()`), or a
   * `csvFormat({...})` (`.csv` parts, each starting with the header row when the format has columns).
   */
  readonly format?: "jsonl" | "csv" | CsvFormat<T>;
  /** JSON lines: one record as one line, without a newline (default `JSON.stringify`). */
  readonly encode?: (value: T) => string;
  /** Names the sink in errors and logs (default "file-sink"). */
  readonly name?: string;
  /** Without checkpointing: commit the open part files at a flush once they are this old (ms); default 60 000. */
  readonly commitIntervalMs?: number;
  /**
   * Roll to a new part file before one would grow past this many bytes (a part holds at least one
   * record, so a larger record makes a part of its own). Default: no limit.
   */
  readonly rollSizeBytes?: number;
  /** Roll to a new part file when a record comes and the open part is this old (ms). Default: no limit. */
  readonly rollIntervalMs?: number;
}

/**
 * A file sink transaction: the part files written between two checkpoints, under hidden
 * in-progress names. Plain data, as checkpoints store it; `attempt` is already made safe for
 * file names.
 */
export interface FileTransaction {
  readonly subtask: number;
  readonly attempt: string;
  readonly seq: number;
  /** The first in-progress part's path; rolled parts add `-<k>` before `.inprogress`. */
  readonly path: string;
  /** How many part files the transaction has rolled over (absent: one). Final once the transaction is sealed. */
  readonly parts?: number;
}

/** A part file of an open transaction. */
interface OpenPart {
  readonly path: string;
  /** Encoded records not written yet. */
  lines: string[];
  handle: FileHandle | undefined;
  bytes: number;
  records: number;
  readonly openedAt: number;
  /** Rolled: nothing more goes into it; closed once written. */
  rolled: boolean;
  closed: boolean;
}

/**
 * An exactly-once sink of part files, JSON lines or CSV, after Flink's `FileSink` on the
 * two-phase-commit protocol. Each transaction (the records between two checkpoint barriers) is
 * written to `.part-<subtask>-<attempt>-<seq>.inprogress`, rolling over to
 * `.part-<subtask>-<attempt>-<seq>-<k>.inprogress` (k = 1, 2, ...) on `rollSizeBytes` or
 * `rollIntervalMs`; at the barrier its parts are flushed, fsynced and closed (pre-commit); when the
 * checkpoint completes each is renamed to `part-<subtask>-<checkpointId>-<attempt>-<seq>[-<k>].<ext>`
 * (commit; atomic, then the directory is fsynced), so readers see only committed parts.
 * Transactions without records make no file.
 *
 * A restore renames the parts the checkpoint holds as pending (a part already renamed is left as
 * it is), deletes the in-progress parts of its open transaction, and deletes in-progress parts of
 * the subtasks it takes over that earlier runs left behind (they hold records the sources replay);
 * a fresh start (or a restart before any checkpoint completed) deletes every earlier run's.
 * Without checkpointing parts are committed at the end of the input and every `commitIntervalMs`,
 * numbered by `seq` instead of the checkpoint: at-least-once.
 */
export class FileSink<T> extends TwoPhaseCommitSink<T, FileTransaction> {
  private readonly directory: string;
  private readonly encodeLine: (value: T) => string;
  private readonly headerLine: string | undefined;
  private readonly extension: string;
  private readonly rollSizeBytes: number;
  private readonly rollIntervalMs: number;
  /** Keyed by the transaction object, which is shared by the subtasks' writers. */
  private readonly parts = new WeakMap<FileTransaction, OpenPart[]>();

  constructor(options: FileSinkOptions<T>) {
    super({ name: options.name ?? "file-sink", commitIntervalMs: options.commitIntervalMs });
    const fail = (what: string) => new VigilError(`sink "${this.name}": ${what}`, { code: "SINK_CONFIG_INVALID" });
    if (typeof options.directory !== "string" || options.directory === "") throw fail("directory must be a non-empty path");
    for (const key of ["rollSizeBytes", "rollIntervalMs"] as const) {
      const v = options[key];
      if (v !== undefined && !(typeof v === "number" && v > 0)) throw fail(`${key} must be positive, got ${v}`);
    }
    this.directory = options.directory;
    this.rollSizeBytes = options.rollSizeBytes ?? Infinity;
    this.rollIntervalMs = options.rollIntervalMs ?? Infinity;
    const format = options.format ?? "jsonl";
    if (format === "jsonl") {
      const encode = options.encode ?? JSON.stringify;
      this.encodeLine = (value) => this.checkedLine(encode, value);
      this.headerLine = undefined;
      this.extension = ".jsonl";
    } else {
      const csv = format === "csv" ? new CsvFormat<T>() : format;
      if (!(csv instanceof CsvFormat)) throw fail(`format must be "jsonl", "csv" or a csvFormat(...), got ${String(format)}`);
      if (options.encode !== undefined) throw fail("encode is for JSON lines; a CSV format encodes its records itself");
      this.encodeLine = (value) => {
        try {
          return csv.encode(value);
        } catch (e) {
          throw new VigilError(`sink "${this.name}": cannot encode a record as CSV: ${e instanceof Error ? e.message : String(e)}`, { code: "SINK_ENCODE_FAILED", cause: e });
        }
      };
      this.headerLine = csv.headerLine();
      this.extension = csv.extension;
    }
  }

  override async createWriter(ctx: SinkWriterContext): Promise<SinkWriter<T>> {
    await mkdir(this.directory, { recursive: true });
    const writer = await super.createWriter(ctx);
    // A fresh start (also a restart before any checkpoint completed) replays everything, so every
    // earlier run's in-progress part is garbage; subtask 0 removes them all, once.
    if (ctx.restoredState.length > 0 || ctx.subtaskIndex === 0) await this.deleteLeftovers(ctx);
    return writer;
  }

  protected beginTransaction(ctx: SinkWriterContext, seq: number): FileTransaction {
    const attempt = safeAttempt(ctx.attempt);
    const path = join(this.directory, `.part-${ctx.subtaskIndex}-${attempt}-${seq}.inprogress`);
    return { subtask: ctx.subtaskIndex, attempt, seq, path, parts: 1 };
  }

  protected invoke(txn: FileTransaction, value: T): void {
    const line = this.encodeLine(value);
    let parts = this.parts.get(txn);
    if (parts === undefined) {
      parts = [this.newPart(txn, 0)];
      this.parts.set(txn, parts);
    }
    let part = parts[parts.length - 1];
    const size = this.rollSizeBytes === Infinity ? 0 : Buffer.byteLength(line) + 1;
    if (part.records > 0 && (part.bytes + size > this.rollSizeBytes || (this.rollIntervalMs !== Infinity && performance.now() - part.openedAt >= this.rollIntervalMs))) {
      part.rolled = true;
      part = this.newPart(txn, parts.length);
      parts.push(part);
      // sealed transactions are never mutated; the open one's count only grows (a restore aborts it)
      (txn as { parts: number }).parts = parts.length;
    }
    part.lines.push(line);
    part.bytes += size;
    part.records++;
  }

  protected override async flushTransaction(txn: FileTransaction): Promise<void> {
    const parts = this.parts.get(txn);
    if (parts === undefined) return;
    for (const part of parts) {
      if (part.closed) continue;
      if (part.lines.length > 0) {
        const data = part.lines.join("\n") + "\n";
        part.lines = [];
        part.handle ??= await this.create(part.path);
        await part.handle.writeFile(data);
      }
      if (part.rolled) await this.close(part);
    }
  }

  protected async preCommit(txn: FileTransaction): Promise<void> {
    await this.flushTransaction(txn);
    const parts = this.parts.get(txn);
    if (parts === undefined) return;
    for (const part of parts) await this.close(part);
    this.parts.delete(txn);
    await syncDirectory(this.directory);
  }

  protected async commit(txn: FileTransaction, checkpointId: number | undefined): Promise<void> {
    let renamed = false;
    for (let k = 0; k < (txn.parts ?? 1); k++) {
      const from = inProgressPath(txn, k);
      const target = join(this.directory, `part-${txn.subtask}-${checkpointId ?? txn.seq}-${txn.attempt}-${txn.seq}${k === 0 ? "" : `-${k}`}${this.extension}`);
      const [fromExists, toExists] = await Promise.all([exists(from), exists(target)]);
      if (!fromExists) {
        if (toExists) continue; // committed before a restart
        throw new VigilError(
          `sink "${this.name}": cannot commit ${from}: neither it nor ${target} exists (deleted by hand, or a second job writes to ${this.directory}?)`,
          { code: "SINK_COMMIT_FAILED" },
        );
      }
      if (toExists) {
        throw new VigilError(`sink "${this.name}": ${target} exists already; does another run with the same attempt id write to ${this.directory}?`, {
          code: "SINK_COMMIT_FAILED",
        });
      }
      await rename(from, target);
      renamed = true;
    }
    if (renamed) await syncDirectory(this.directory);
  }

  protected async abort(txn: FileTransaction): Promise<void> {
    const parts = this.parts.get(txn);
    this.parts.delete(txn);
    for (const part of parts ?? []) await part.handle?.close();
    const count = Math.max(txn.parts ?? 1, parts?.length ?? 0);
    await Promise.all(Array.from({ length: count }, (_, k) => unlink(inProgressPath(txn, k)).catch(ignoreMissing)));
  }

  private newPart(txn: FileTransaction, k: number): OpenPart {
    const part: OpenPart = { path: inProgressPath(txn, k), lines: [], handle: undefined, bytes: 0, records: 0, openedAt: performance.now(), rolled: false, closed: false };
    if (this.headerLine !== undefined) {
      part.lines.push(this.headerLine);
      if (this.rollSizeBytes !== Infinity) part.bytes = Buffer.byteLength(this.headerLine) + 1;
    }
    return part;
  }

  private async create(path: string): Promise<FileHandle> {
    try {
      return await open(path, "wx");
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      throw new VigilError(`sink "${this.name}": ${path} exists already; does another job write to ${this.directory}, or did the attempt id repeat?`, {
        code: "SINK_WRITE_FAILED",
        cause: e,
      });
    }
  }

  /** Makes a written part durable and releases its handle. */
  private async close(part: OpenPart): Promise<void> {
    if (part.closed) return;
    part.closed = true;
    const handle = part.handle;
    part.handle = undefined;
    if (handle === undefined) return;
    await handle.sync();
    await handle.close();
  }

  private checkedLine(encode: (value: T) => string, value: T): string {
    let line: unknown;
    try {
      line = encode(value);
    } catch (e) {
      throw new VigilError(`sink "${this.name}": cannot encode a record: ${e instanceof Error ? e.message : String(e)}`, { code: "SINK_ENCODE_FAILED", cause: e });
    }
    if (typeof line !== "string" || line.includes("\n")) {
      const got = typeof line === "string" ? "text with a newline" : String(line);
      throw new VigilError(`sink "${this.name}": encode must return one line of text, got ${got}`, { code: "SINK_ENCODE_FAILED" });
    }
    return line;
  }

  /**
   * Deletes in-progress parts from runs other than this one: on a restore, those of the old
   * subtasks this writer takes over; on a fresh start, all of them.
   */
  private async deleteLeftovers(ctx: SinkWriterContext): Promise<void> {
    let subtasks: Set<number> | undefined;
    if (ctx.restoredState.length > 0) {
      subtasks = new Set();
      for (const s of ctx.restoredState as Array<{ current?: FileTransaction } | undefined>) {
        if (typeof s?.current?.subtask === "number") subtasks.add(s.current.subtask);
      }
    }
    const attempt = safeAttempt(ctx.attempt);
    const names = await readdir(this.directory);
    const stale = names.filter((n) => {
      const m = /^\.part-(\d+)-([A-Za-z0-9_]+)-\d+(?:-\d+)?\.inprogress$/.exec(n);
      return m !== null && (subtasks === undefined || subtasks.has(Number(m[1]))) && m[2] !== attempt;
    });
    await Promise.all(stale.map((n) => unlink(join(this.directory, n)).catch(ignoreMissing)));
    if (stale.length > 0) ctx.log.info({ sink: this.name, deleted: stale }, "deleted in-progress parts of earlier runs");
  }
}

/** Part `k` of a transaction: the first keeps the transaction's path, rolled ones add `-<k>`. */
function inProgressPath(txn: FileTransaction, k: number): string {
  return k === 0 ? txn.path : txn.path.replace(/\.inprogress$/, `-${k}.inprogress`);
}

/** The attempt id as it appears in file names: letters, digits and `_` (so names split on `-`). */
function safeAttempt(attempt: string): string {
  return attempt.replace(/[^A-Za-z0-9_]/g, "_") || "_";
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (e) {
    ignoreMissing(e);
    return false;
  }
}

function ignoreMissing(e: unknown): void {
  if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
}

/** Makes created, renamed and deleted entries durable (a no-op where directories cannot be opened, as on Windows). */
async function syncDirectory(directory: string): Promise<void> {
  if (process.platform === "win32") return;
  const handle = await open(directory, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
