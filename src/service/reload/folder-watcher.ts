import { watch, type FSWatcher } from "node:fs";
import { readdir, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import type { Logger } from "../log.js";
import { isRuleFileName } from "../pattern-file/index.js";

/** A pattern file that appeared or changed, or disappeared. */
export interface FolderChange {
  readonly kind: "changed" | "removed";
  readonly file: string;
}

export interface FolderWatcherOptions {
  /** Quiet time after a file-system event before the folder is looked at (ms). */
  readonly debounceMs: number;
  /** Look at the folder this often anyway (ms): `fs.watch` misses events on some file systems. */
  readonly intervalMs: number;
  readonly log: Logger;
  /** Called with what changed since the last look; awaited before the next look. */
  readonly onChanges: (changes: FolderChange[]) => Promise<void>;
}

/**
 * Watches the pattern folder (or the one pattern file) for rule files that change, appear or
 * disappear: `fs.watch` for promptness, a periodic look for what it misses, and a debounce so an
 * editor's save (write a temp file, rename it over the old one) is one change. Only rule files
 * count (`*.json`, `*.ts`, ... but not `package.json`, `*.d.ts`, editors' temp and swap files).
 * A file that disappears is reported only if it is still gone at the next look, so a save that
 * deletes before it renames is not a removal.
 */
export class PatternFolderWatcher {
  private readonly seen = new Map<string, string>();
  private readonly missing = new Set<string>();
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private interval: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  private readonly folder: string;
  private readonly single: string | undefined;

  constructor(
    path: string,
    isFolder: boolean,
    private readonly options: FolderWatcherOptions,
  ) {
    this.folder = isFolder ? path : dirname(path);
    this.single = isFolder ? undefined : basename(path);
  }

  /** Takes the folder's current files as known (no change reported for them), then watches. */
  async start(): Promise<void> {
    for (const [file, print] of await this.list()) this.seen.set(file, print);
    try {
      this.watcher = watch(this.folder, { persistent: false }, () => this.schedule());
      this.watcher.on("error", (err) => this.options.log.warn({ err, folder: this.folder }, "watching the pattern folder failed; looking at it periodically instead"));
    } catch (err) {
      this.options.log.warn({ err, folder: this.folder }, "cannot watch the pattern folder; looking at it periodically instead");
    }
    this.interval = setInterval(() => this.schedule(0), this.options.intervalMs);
    this.interval.unref();
  }

  /** Looks at the folder now (tests; after a write the service made itself). */
  check(): Promise<void> {
    this.schedule(0);
    return this.running ?? Promise.resolve();
  }

  stop(): void {
    this.stopped = true;
    this.watcher?.close();
    if (this.timer !== undefined) clearTimeout(this.timer);
    if (this.interval !== undefined) clearInterval(this.interval);
  }

  /** Remembers a file's state as known (the service wrote or deleted it and applied the change itself). */
  async acknowledge(file: string): Promise<void> {
    const print = await fingerprint(file);
    if (print === undefined) this.seen.delete(file);
    else this.seen.set(file, print);
    this.missing.delete(file);
  }

  private schedule(delay = this.options.debounceMs): void {
    if (this.stopped) return;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.running !== undefined) {
        this.again = true;
        return;
      }
      this.running = this.look().finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.schedule(0);
        }
      });
    }, delay);
  }

  private async look(): Promise<void> {
    if (this.stopped) return;
    let now: Map<string, string>;
    try {
      now = await this.list();
    } catch (err) {
      this.options.log.warn({ err, folder: this.folder }, "cannot list the pattern folder");
      return;
    }
    const changes: FolderChange[] = [];
    for (const [file, print] of now) {
      this.missing.delete(file);
      if (this.seen.get(file) !== print) {
        this.seen.set(file, print);
        changes.push({ kind: "changed", file });
      }
    }
    for (const file of [...this.seen.keys()]) {
      if (now.has(file)) continue;
      if (!this.missing.has(file)) {
        // gone for the first time: maybe an editor between delete and rename; look again soon
        this.missing.add(file);
        this.schedule();
        continue;
      }
      this.missing.delete(file);
      this.seen.delete(file);
      changes.push({ kind: "removed", file });
    }
    if (changes.length > 0 && !this.stopped) {
      try {
        await this.options.onChanges(changes);
      } catch (err) {
        this.options.log.error({ err }, "applying pattern file changes failed");
      }
    }
  }

  private async list(): Promise<Map<string, string>> {
    const names = this.single !== undefined ? [this.single] : (await readdir(this.folder, { withFileTypes: true })).filter((e) => !e.isDirectory()).map((e) => e.name);
    const out = new Map<string, string>();
    for (const name of names) {
      if (!isRuleFileName(name) || name.startsWith(".")) continue;
      const file = join(this.folder, name);
      const print = await fingerprint(file);
      if (print !== undefined) out.set(file, print);
    }
    return out;
  }
}

/** Size and modification time: what changes when a file is written. */
async function fingerprint(file: string): Promise<string | undefined> {
  try {
    const s = await stat(file);
    return s.isFile() ? `${s.size}:${s.mtimeMs}` : undefined;
  } catch {
    return undefined;
  }
}
