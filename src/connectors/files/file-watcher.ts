import { stat } from "node:fs/promises";
import { VigilError } from "../../errors.js";
import type { ReaderOutput, SourceReaderContext } from "../../runtime/index.js";
import { bucketOf, listFiles } from "./file-discovery.js";
import type { FileMonitorOptions, FileSplit, FileWatchSplit } from "./file-source.js";

/** A bucket this subtask holds: its split id and the files of it read to the end. */
interface Bucket {
  readonly splitId: string;
  readonly done: Set<string>;
}

/**
 * One subtask's share of a watched directory (continuous mode), after Flink's continuous file
 * enumerator but without a coordinator: every subtask lists the paths itself every `intervalMs`
 * (polling; `fs.watch` misses events on network and container file systems) and keeps the new
 * files whose bucket (a hash of the path) it holds. Buckets are the source's splits, so the
 * runtime gives each to exactly one subtask, also after a restore at another parallelism; a
 * bucket's split holds the files read to the end, which are never read again.
 */
export class FileWatcher {
  private buckets = 0;
  private readonly owned = new Map<number, Bucket>();
  /** Files discovered and not finished (the reader has them). */
  private readonly queued = new Set<string>();
  /** awaitStable: "size:mtime" of new files at the last listing. */
  private unstable = new Map<string, string>();
  private announced = false;
  private nextListAt = 0;
  private listing: Promise<void> | undefined;
  private wake: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly monitor: FileMonitorOptions,
    private readonly paths: readonly string[],
    private readonly extension: string,
    private readonly where: string,
    private readonly log: SourceReaderContext["log"],
  ) {}

  /** Takes a bucket split; returns its unfinished files (with positions) for the reader, sorted by path. */
  addBucket(split: FileWatchSplit): FileSplit[] {
    const ok =
      Number.isInteger(split.bucket) &&
      Number.isInteger(split.buckets) &&
      split.bucket >= 0 &&
      split.bucket < split.buckets &&
      Array.isArray(split.done) &&
      Array.isArray(split.files) &&
      (this.buckets === 0 || this.buckets === split.buckets);
    if (!ok) {
      throw new VigilError(`${this.where}: split ${JSON.stringify(split).slice(0, 300)} is not a watch split ({ bucket, buckets, done, files }) of this source`, {
        code: "SOURCE_SPLIT_INVALID",
      });
    }
    this.buckets = split.buckets;
    this.owned.set(split.bucket, { splitId: split.splitId, done: new Set(split.done) });
    for (const f of split.files) this.queued.add(f.path);
    return [...split.files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  /**
   * Called at every poll. The bucket splits carry no records (files do, under their own split
   * ids), so they are reported finished at once and never hold the watermark back. Starts a
   * listing when one is due; `enqueue` receives the new files of this subtask's buckets.
   */
  poll(output: ReaderOutput<unknown>, enqueue: (split: FileSplit, bucket: number) => void): void {
    if (!this.announced) {
      this.announced = true;
      for (const b of this.owned.values()) output.splitFinished(b.splitId);
    }
    if (this.listing !== undefined || this.closed || this.owned.size === 0 || performance.now() < this.nextListAt) return;
    this.listing = this.discover(enqueue)
      .catch((e: unknown) => {
        // a directory briefly unreadable: try again at the next interval
        this.log.warn({ err: e, paths: this.paths }, "listing watched paths failed; retrying at the next interval");
      })
      .finally(() => {
        this.listing = undefined;
        this.nextListAt = performance.now() + this.monitor.intervalMs;
      });
  }

  /** Resolves when the running listing ends, or when the next one is due. */
  available(): Promise<void> {
    if (this.listing !== undefined) return this.listing;
    // no bucket (more subtasks than buckets): nothing will ever come; barriers still wake the task
    if (this.owned.size === 0) return new Promise<void>(() => {});
    this.wake ??= new Promise<void>((resolve) => {
      this.timer = setTimeout(
        () => {
          this.timer = undefined;
          this.wake = undefined;
          resolve();
        },
        Math.max(0, this.nextListAt - performance.now()),
      );
    });
    return this.wake;
  }

  /** A file was read to the end: it joins its bucket's done set. */
  finished(path: string, bucket: number): void {
    this.owned.get(bucket)?.done.add(path);
    this.queued.delete(path);
  }

  /** The bucket splits, with `filesOf(bucket)`: the positions of the bucket's unfinished files. */
  snapshot(filesOf: (bucket: number) => FileSplit[]): FileWatchSplit[] {
    const out: FileWatchSplit[] = [];
    for (const [bucket, b] of this.owned) {
      out.push({ splitId: b.splitId, kind: "watch", bucket, buckets: this.buckets, done: [...b.done], files: filesOf(bucket) });
    }
    return out;
  }

  close(): void {
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
  }

  /** Lists the paths and enqueues the new files of this subtask's buckets, sorted by path. */
  private async discover(enqueue: (split: FileSplit, bucket: number) => void): Promise<void> {
    const listed = await listFiles(this.paths, this.extension, false, this.where);
    let fresh = listed.filter((p) => {
      if (this.queued.has(p)) return false;
      const b = this.owned.get(bucketOf(p, this.buckets));
      return b !== undefined && !b.done.has(p);
    });
    if (this.monitor.awaitStable === true) fresh = await this.stableOnly(fresh);
    if (this.closed || fresh.length === 0) return;
    for (const path of fresh) {
      this.queued.add(path);
      enqueue({ splitId: path, path, offset: 0, line: 0 }, bucketOf(path, this.buckets));
    }
    this.log.debug({ files: fresh }, "new files discovered");
  }

  /** The files whose size and modification time did not change since the last listing. */
  private async stableOnly(paths: string[]): Promise<string[]> {
    const stable: string[] = [];
    const changed = new Map<string, string>();
    for (const p of paths) {
      let sig: string;
      try {
        const st = await stat(p);
        sig = `${st.size}:${st.mtimeMs}`;
      } catch {
        continue; // gone already
      }
      if (this.unstable.get(p) === sig) stable.push(p);
      else changed.set(p, sig);
    }
    this.unstable = changed;
    return stable;
  }
}
