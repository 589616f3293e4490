import fg from "fast-glob";
import { readdir, stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import { VigilError } from "../../errors.js";

/**
 * The files `paths` name, absolute and sorted by path (UTF-16 code units, the same on every
 * machine), each once. An entry is a glob pattern (fast-glob syntax, relative to the working
 * directory; hidden files and directories match only when the pattern names them), a directory
 * (its files with `extension`, hidden ones skipped; not recursive) or a file.
 *
 * `strict` (a bounded read): a missing path or a glob matching no file fails with
 * `SOURCE_NOT_FOUND`. Otherwise (watching) they contribute nothing: the files may come later.
 */
export async function listFiles(paths: readonly string[], extension: string, strict: boolean, where: string): Promise<string[]> {
  const files = new Set<string>();
  for (const p of paths) {
    if (isGlob(p) && !(await existsLiterally(p))) {
      let matches: string[];
      try {
        matches = await fg(p, { onlyFiles: true, absolute: true, dot: false, unique: true });
      } catch (e) {
        throw new VigilError(`${where}: cannot list the glob ${JSON.stringify(p)}: ${(e as Error).message}`, { code: "SOURCE_READ_FAILED", retriable: true, cause: e });
      }
      if (matches.length === 0 && strict) {
        throw new VigilError(`${where}: the glob ${JSON.stringify(p)} matches no file (relative to ${process.cwd()})`, { code: "SOURCE_NOT_FOUND" });
      }
      for (const m of matches) files.add(resolve(m));
      continue;
    }
    const path = resolve(p);
    let isDirectory: boolean;
    try {
      isDirectory = (await stat(path)).isDirectory();
    } catch (e) {
      if (!strict && (e as NodeJS.ErrnoException).code === "ENOENT") continue;
      throw new VigilError(`${where}: cannot read ${p}: ${(e as Error).message}`, { code: "SOURCE_NOT_FOUND", cause: e });
    }
    if (!isDirectory) {
      files.add(path);
      continue;
    }
    for (const entry of await readdir(path, { withFileTypes: true })) {
      if (entry.isFile() && !entry.name.startsWith(".") && entry.name.endsWith(extension)) files.add(join(path, entry.name));
    }
  }
  return [...files].sort();
}

/** A path with glob characters in its name (`data[1].jsonl`) that exists is taken as a path. */
async function existsLiterally(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}

/** Whether a `paths` entry is a glob pattern rather than a path. */
export function isGlob(p: string): boolean {
  return fg.isDynamicPattern(p);
}

/** Checks, before a watching job starts, that every entry that is not a glob exists (a typo would otherwise wait forever). */
export async function checkWatchedPaths(paths: readonly string[], where: string): Promise<void> {
  for (const p of paths) {
    if (isGlob(p)) continue;
    try {
      await stat(p);
    } catch (e) {
      throw new VigilError(`${where}: cannot watch ${p}: ${(e as Error).message}`, { code: "SOURCE_NOT_FOUND", cause: e });
    }
  }
}

/**
 * The bucket of a file when watching: FNV-1a (32 bit) of its absolute path, modulo `buckets`. The
 * same on every subtask and after a restore, so each file belongs to exactly one bucket.
 */
export function bucketOf(path: string, buckets: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < path.length; i++) {
    h ^= path.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % buckets;
}
