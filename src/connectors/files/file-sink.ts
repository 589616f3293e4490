import { mkdir, open, readFile, readdir, rename, stat, unlink, type FileHandle } from "node:fs/promises";
import { join } from "node:path";
import { VigilError } from "../../errors.js";
import type { SinkWriter, SinkWriterContext } from "../../runtime/index.js";
import { TwoPhaseCommitSink } from "../../runtime/index.js";

/** Options of a {@link FileSink}. */
export interface FileSinkOptions<T> {
  /** The directory the part files go to (created if missing). One job per directory. */
  readonly directory: string;
  /** One record as one line, without a newline (default `JSON.stringify`). */
  readonly encode?: (value: T) => string;
  /** Names the sink in errors and logs (default "file-sink"). */
  readonly name?: string;
  /** Without checkpointing: commit a part file at a flush once it is this old (ms); default 60 000. */
  readonly commitIntervalMs?: number;
}

/**
 * A file sink transaction: one part file, written under a hidden in-progress name. Plain data, as
 * checkpoints store it; `attempt` is already made safe for file names.
 */
export interface FileTransaction {
  readonly subtask: number;
  readonly attempt: string;
  readonly seq: number;
  /** The in-progress file's path. */
  readonly path: string;
}

/** What a transaction holds in memory while it is open. */
interface OpenPart {
  lines: string[];
  handle: FileHandle | undefined;
}

const PART = /^part-(\d+)-(\d+)-([A-Za-z0-9_]+)-(\d+)\.jsonl$/;

/**
 * An exactly-once sink of JSON lines (or any one-line encoding), after Flink's `FileSink` on the
 * two-phase-commit protocol. Each transaction is a part file written as
 * `.part-<subtask>-<attempt>-<seq>.inprogress`; at a checkpoint barrier it is flushed, fsynced and
 * closed (pre-commit); when the checkpoint completes it is renamed to
 * `part-<subtask>-<checkpointId>-<attempt>-<seq>.jsonl` (commit; atomic, then the directory is
 * fsynced), and readers see only committed parts. Transactions without records make no file.
 *
 * A restore renames the parts the checkpoint holds as pending (a part already renamed is left as
 * it is), deletes the in-progress part of its open transaction, and deletes in-progress parts of
 * the subtasks it takes over that earlier runs left behind (they hold records the sources replay).
 * Without checkpointing parts are committed at the end of the input and every `commitIntervalMs`,
 * numbered by `seq` instead of the checkpoint: at-least-once.
 */
export class FileSink<T> extends TwoPhaseCommitSink<T, FileTransaction> {
  private readonly directory: string;
  private readonly encode: (value: T) => string;
  /** Keyed by the transaction object, which is shared by the subtasks' writers. */
  private readonly parts = new WeakMap<FileTransaction, OpenPart>();

  constructor(options: FileSinkOptions<T>) {
    super({ name: options.name ?? "file-sink", commitIntervalMs: options.commitIntervalMs });
    if (typeof options.directory !== "string" || options.directory === "") {
      throw new VigilError(`sink "${this.name}": directory must be a non-empty path`, { code: "SINK_CONFIG_INVALID" });
    }
    this.directory = options.directory;
    this.encode = options.encode ?? JSON.stringify;
  }

  override async createWriter(ctx: SinkWriterContext): Promise<SinkWriter<T>> {
    await mkdir(this.directory, { recursive: true });
    const writer = await super.createWriter(ctx);
    if (ctx.restoredState.length > 0) await this.deleteLeftovers(ctx);
    return writer;
  }

  protected beginTransaction(ctx: SinkWriterContext, seq: number): FileTransaction {
    const attempt = safeAttempt(ctx.attempt);
    const path = join(this.directory, `.part-${ctx.subtaskIndex}-${attempt}-${seq}.inprogress`);
    return { subtask: ctx.subtaskIndex, attempt, seq, path };
  }

  protected invoke(txn: FileTransaction, value: T): void {
    let line: unknown;
    try {
      line = this.encode(value);
    } catch (e) {
      throw new VigilError(`sink "${this.name}": cannot encode a record: ${e instanceof Error ? e.message : String(e)}`, { code: "SINK_ENCODE_FAILED", cause: e });
    }
    if (typeof line !== "string" || line.includes("\n")) {
      const got = typeof line === "string" ? "text with a newline" : String(line);
      throw new VigilError(`sink "${this.name}": encode must return one line of text, got ${got}`, { code: "SINK_ENCODE_FAILED" });
    }
    let part = this.parts.get(txn);
    if (part === undefined) {
      part = { lines: [], handle: undefined };
      this.parts.set(txn, part);
    }
    part.lines.push(line);
  }

  protected override async flushTransaction(txn: FileTransaction): Promise<void> {
    const part = this.parts.get(txn);
    if (part === undefined || part.lines.length === 0) return;
    const data = part.lines.join("\n") + "\n";
    part.lines = [];
    part.handle ??= await open(txn.path, "wx").catch((e: unknown) => {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      throw new VigilError(`sink "${this.name}": ${txn.path} exists already; does another job write to ${this.directory}, or did the attempt id repeat?`, {
        code: "SINK_WRITE_FAILED",
        cause: e,
      });
    });
    await part.handle.writeFile(data);
  }

  protected async preCommit(txn: FileTransaction): Promise<void> {
    await this.flushTransaction(txn);
    const part = this.parts.get(txn);
    if (part?.handle === undefined) return;
    await part.handle.sync();
    await part.handle.close();
    this.parts.delete(txn);
    await syncDirectory(this.directory);
  }

  protected async commit(txn: FileTransaction, checkpointId: number | undefined): Promise<void> {
    const target = join(this.directory, `part-${txn.subtask}-${checkpointId ?? txn.seq}-${txn.attempt}-${txn.seq}.jsonl`);
    const [from, to] = await Promise.all([exists(txn.path), exists(target)]);
    if (!from) {
      if (to) return; // committed before a restart
      throw new VigilError(
        `sink "${this.name}": cannot commit ${txn.path}: neither it nor ${target} exists (deleted by hand, or a second job writes to ${this.directory}?)`,
        { code: "SINK_COMMIT_FAILED" },
      );
    }
    if (to) {
      throw new VigilError(`sink "${this.name}": ${target} exists already; does another run with the same attempt id write to ${this.directory}?`, {
        code: "SINK_COMMIT_FAILED",
      });
    }
    await rename(txn.path, target);
    await syncDirectory(this.directory);
  }

  protected async abort(txn: FileTransaction): Promise<void> {
    const part = this.parts.get(txn);
    this.parts.delete(txn);
    await part?.handle?.close();
    await unlink(txn.path).catch(ignoreMissing);
  }

  /** In-progress parts of the old subtasks this writer takes over, from runs other than this one. */
  private async deleteLeftovers(ctx: SinkWriterContext): Promise<void> {
    const subtasks = new Set<number>();
    for (const s of ctx.restoredState as Array<{ current?: FileTransaction } | undefined>) {
      if (typeof s?.current?.subtask === "number") subtasks.add(s.current.subtask);
    }
    const attempt = safeAttempt(ctx.attempt);
    const names = await readdir(this.directory);
    const stale = names.filter((n) => {
      const m = /^\.part-(\d+)-([A-Za-z0-9_]+)-\d+\.inprogress$/.exec(n);
      return m !== null && subtasks.has(Number(m[1])) && m[2] !== attempt;
    });
    await Promise.all(stale.map((n) => unlink(join(this.directory, n)).catch(ignoreMissing)));
    if (stale.length > 0) ctx.log.info({ sink: this.name, deleted: stale }, "deleted in-progress parts of earlier runs");
  }
}

/**
 * The committed part files of a {@link FileSink} directory, in a deterministic order: by subtask,
 * then checkpoint (or, without checkpoints, transaction number), then attempt and transaction.
 */
export async function committedParts(directory: string): Promise<string[]> {
  const parts: Array<{ name: string; key: [number, number, string, number] }> = [];
  for (const name of await readdir(directory)) {
    const m = PART.exec(name);
    if (m !== null) parts.push({ name, key: [Number(m[1]), Number(m[2]), m[3], Number(m[4])] });
  }
  parts.sort((a, b) => a.key[0] - b.key[0] || a.key[1] - b.key[1] || (a.key[2] < b.key[2] ? -1 : a.key[2] > b.key[2] ? 1 : 0) || a.key[3] - b.key[3]);
  return parts.map((p) => join(directory, p.name));
}

/** Every record of the committed part files, in {@link committedParts} order, decoded (default `JSON.parse`). */
export async function readCommitted<T = unknown>(directory: string, decode: (line: string) => T = JSON.parse): Promise<T[]> {
  const out: T[] = [];
  for (const file of await committedParts(directory)) {
    const text = await readFile(file, "utf8");
    for (const line of text.split("\n")) if (line !== "") out.push(decode(line));
  }
  return out;
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
