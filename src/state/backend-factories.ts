import { join } from "node:path";
import { StateError } from "../errors.js";
import type { StateBackendFactory } from "./api.js";
import { HeapKeyedStateBackend, type HeapBackendOptions } from "./heap/heap-keyed-state-backend.js";
import type { LevelDbCacheOptions } from "./leveldb/leveldb-keyed-state-backend.js";

/**
 * Keyed state on the JS heap: the fastest, bounded by memory, snapshotted whole (copy-on-write:
 * the content is fixed at the call, the serialisation runs in slices afterwards). The default
 * backend.
 */
export function heapBackend(options: HeapBackendOptions = {}): StateBackendFactory {
  const slice = options.snapshotSliceEntries;
  if (slice !== undefined && !(Number.isInteger(slice) && slice >= 1)) {
    throw new StateError(`heapBackend: snapshotSliceEntries must be a positive integer, got ${String(slice)}`, { code: "STATE_INVALID_ARGUMENT" });
  }
  return {
    name: "heap",
    create: async (o) => new HeapKeyedStateBackend(o, options),
  };
}

/** Options of `levelDbBackend`. */
export interface LevelDbBackendOptions extends LevelDbCacheOptions {
  /** Directory under which each operator subtask gets its own store, `<directory>/<operatorId>-<subtaskIndex>`. */
  directory: string;
}

/**
 * Keyed state in LevelDB (classic-level), one store per operator subtask at
 * `<directory>/<operatorId>-<subtaskIndex>` (see `storeName`; wiped when created: it is working storage, snapshots
 * are the durable copy), behind a bounded write-back cache. For state larger than memory. The
 * native module is loaded on the first `create`.
 */
export function levelDbBackend(options: LevelDbBackendOptions): StateBackendFactory {
  if (typeof options?.directory !== "string" || options.directory.length === 0) {
    throw new StateError("levelDbBackend: directory must be a non-empty path", { code: "STATE_INVALID_ARGUMENT" });
  }
  const { directory, ...cache } = options;
  return {
    name: "leveldb",
    async create(o) {
      if (typeof o.operatorId !== "string") {
        throw new StateError(`levelDbBackend: operatorId must be a string, got ${typeof o.operatorId}`, { code: "STATE_INVALID_ARGUMENT" });
      }
      if (!Number.isInteger(o.subtaskIndex) || o.subtaskIndex < 0) {
        throw new StateError(`levelDbBackend: subtaskIndex must be a non-negative integer, got ${o.subtaskIndex}`, { code: "STATE_INVALID_ARGUMENT" });
      }
      const { LevelDbKeyedStateBackend } = await import("./leveldb/leveldb-keyed-state-backend.js");
      return LevelDbKeyedStateBackend.open({ ...cache, ...o, path: join(directory, storeName(o.operatorId, o.subtaskIndex)) });
    },
  };
}

/**
 * The directory name of a subtask's store: `<operatorId>-<subtaskIndex>`, with every byte of the
 * operator id other than ASCII letters, digits, `.`, `_` and `-` percent-encoded (so a uid such as
 * `rules/velocity v2` stays one directory, `rules%2Fvelocity%20v2-0`). Distinct ids give distinct
 * names, and the `-<index>` suffix keeps the name from being `.` or `..`.
 */
export function storeName(operatorId: string, subtaskIndex: number): string {
  let out = "";
  for (const b of Buffer.from(operatorId, "utf8")) {
    const safe = (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || b === 0x2e || b === 0x5f || b === 0x2d;
    out += safe ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return `${out}-${subtaskIndex}`;
}
