import { createHash, randomBytes } from "node:crypto";
import { promises as fs } from "node:fs";
import * as path from "node:path";
import { deserialize, serialize } from "node:v8";
import { JobError } from "../../errors.js";
import type { KeyedStateSnapshot } from "../../state/api.js";
import type { TaskSnapshot } from "../executor/operator-instance.js";
import type { SnapshotKind } from "./barrier.js";
import type { CheckpointStorage, CompletedSnapshot, SnapshotOperator, StoredSnapshot } from "./storage.js";
import { packTimers, unpackTimers } from "./timer-columns.js";

const METADATA = "_metadata";
/**
 * 3: a key group may be stored as the backend packed it (`KeyedStateSnapshot.packed`, marked
 * `packed` in its ref), and an operator subtask's timers are in columns (`timer-columns.ts`);
 * 2: every key-group slice written by `packEntries` (1 used v8.serialize, 10x slower to write).
 * Versions 2 and 3 are read.
 */
const FORMAT_VERSION = 3;
/** Most time (ms) spent packing key groups before `write` yields to the event loop. */
const PACK_SLICE_MS = 4;
const READABLE_VERSIONS: readonly number[] = [2, 3];

/** Where one key group's entries are: a slice of a file, relative to the snapshot's directory. */
interface KeyGroupRef {
  readonly file: string;
  readonly offset: number;
  readonly length: number;
  /** The slice is the backend's packed key group, not `packEntries` output. */
  readonly packed?: true;
}

interface SubtaskMetadata {
  readonly subtaskIndex: number;
  /** The subtask's snapshot without its keyed entries (v8-serialised). */
  readonly file: string;
  /** Keyed state: key group -> slice. Absent key groups are empty. */
  readonly keyGroups?: Record<number, KeyGroupRef>;
}

interface Metadata {
  readonly version: number;
  readonly jobName: string;
  readonly checkpointId: number;
  readonly kind: SnapshotKind;
  readonly timestamp: number;
  readonly operators: ReadonlyArray<Omit<SnapshotOperator, "subtasks"> & { readonly subtasks: readonly SubtaskMetadata[] }>;
}

/**
 * Checkpoints in a local directory (Flink's `FileSystemCheckpointStorage` on a local path):
 *
 *     <dir>/chk-<id>/_metadata          JSON manifest: operators, subtasks, files
 *     <dir>/chk-<id>/<op>-<subtask>.bin  each subtask's snapshot (timers, operator state, splits)
 *     <dir>/shared/*.kg                  keyed state, key group by key group
 *
 * A snapshot is written under `chk-<id>.inprogress-<random>`, every file fsynced, then the
 * directory is renamed to `chk-<id>` and the parent fsynced: a crash leaves either the whole
 * checkpoint or none (`init` removes the leftovers). Keyed state goes to `shared/` so that a later
 * checkpoint can point at a key group's slice instead of writing it again when the backend reports
 * it unchanged (LevelDB's incremental snapshots). A key group the backend packed (the heap's) is
 * written as it came. Savepoints are self-contained directories.
 */
export class LocalCheckpointStorage implements CheckpointStorage {
  /** key group refs of the last checkpoint written, per "operatorId/subtask", for incremental reuse. */
  private previous = new Map<string, Record<number, KeyGroupRef & { abs: string }>>();
  /** Retained checkpoints, oldest first, with the shared files each uses. */
  private readonly retained: Array<{ id: number; dir: string; shared: Set<string> }> = [];
  private initialised = false;

  constructor(readonly directory: string) {}

  async init(): Promise<number> {
    await fs.mkdir(path.join(this.directory, "shared"), { recursive: true });
    let highest = 0;
    this.retained.length = 0;
    for (const name of await fs.readdir(this.directory)) {
      const full = path.join(this.directory, name);
      if (/^chk-\d+\.inprogress-/.test(name)) {
        await fs.rm(full, { recursive: true, force: true });
        continue;
      }
      const m = /^chk-(\d+)$/.exec(name);
      if (m === null) continue;
      let meta: Metadata;
      try {
        meta = JSON.parse(await fs.readFile(path.join(full, METADATA), "utf8")) as Metadata;
      } catch {
        await fs.rm(full, { recursive: true, force: true }); // no manifest: never completed
        continue;
      }
      const id = Number(m[1]);
      highest = Math.max(highest, id);
      this.retained.push({ id, dir: full, shared: sharedFilesOf(meta, full) });
    }
    this.retained.sort((a, b) => a.id - b.id);
    await this.collectGarbage();
    this.initialised = true;
    return highest;
  }

  resetIncremental(): void {
    this.previous.clear();
  }

  async write(snapshot: CompletedSnapshot, options: { savepointDir?: string } = {}): Promise<StoredSnapshot> {
    const isSavepoint = snapshot.kind === "savepoint";
    if (!this.initialised && !isSavepoint) await this.init();
    const finalDir = isSavepoint
      ? path.resolve(options.savepointDir ?? path.join(this.directory, "savepoints"), `savepoint-${snapshot.checkpointId}-${randomBytes(4).toString("hex")}`)
      : path.join(this.directory, `chk-${snapshot.checkpointId}`);
    const tmpDir = `${finalDir}.inprogress-${randomBytes(4).toString("hex")}`;
    await fs.mkdir(tmpDir, { recursive: true });
    let bytesWritten = 0;
    let size = 0;
    const shared = new Set<string>();
    const next = new Map<string, Record<number, KeyGroupRef & { abs: string }>>();
    // files are written concurrently: each fs call costs an event-loop turn, which a busy job makes long
    const writes: Array<Promise<void>> = [];
    let sliceEnd = performance.now() + PACK_SLICE_MS;
    try {
      const operators: Metadata["operators"][number][] = [];
      for (const op of snapshot.operators) {
        const tag = fileTag(op.operatorId);
        const subtasks: SubtaskMetadata[] = [];
        for (const task of op.subtasks) {
          const file = `${tag}-${task.subtaskIndex}.bin`;
          let keyGroups: Record<number, KeyGroupRef> | undefined;
          let rest: TaskSnapshot = task;
          if (task.kind === "operator" && task.keyed !== undefined) {
            const refKey = `${op.operatorId}/${task.subtaskIndex}`;
            const absRefs: Record<number, KeyGroupRef & { abs: string }> = {};
            // key groups the backend reports unchanged point at the previous checkpoint's slices
            if (task.keyed.unchanged !== undefined && task.keyed.unchanged.length > 0) {
              const prev = isSavepoint ? undefined : this.previous.get(refKey);
              if (prev === undefined) {
                throw new JobError(`checkpoint ${snapshot.checkpointId}: operator ${op.name} subtask ${task.subtaskIndex} sent an incremental snapshot, but no earlier checkpoint of it is known`, { code: "CHECKPOINT_INCREMENTAL_BASE" });
              }
              for (const kg of task.keyed.unchanged) if (prev[kg] !== undefined) absRefs[kg] = prev[kg];
            }
            const changed = Object.entries(task.keyed.keyGroups).filter(([, entries]) => entries.length > 0);
            const packed = Object.entries(task.keyed.packed ?? {});
            if (changed.length + packed.length > 0) {
              const name = isSavepoint ? `${tag}-${task.subtaskIndex}.kg` : `${tag}-${task.subtaskIndex}-${snapshot.checkpointId}-${randomBytes(4).toString("hex")}.kg`;
              const abs = isSavepoint ? path.join(tmpDir, name) : path.join(this.directory, "shared", name);
              const chunks: Uint8Array[] = [];
              let offset = 0;
              for (const [kg, entries] of changed) {
                // a large state is packed over several turns of the event loop: the job goes on between them
                if (performance.now() >= sliceEnd) {
                  await yieldTurn();
                  sliceEnd = performance.now() + PACK_SLICE_MS;
                }
                const bytes = packEntries(entries);
                chunks.push(bytes);
                absRefs[Number(kg)] = { file: name, offset, length: bytes.length, abs };
                offset += bytes.length;
              }
              // packed key groups are written as the backend made them: no copy, no re-encoding
              for (const [kg, bytes] of packed) {
                chunks.push(bytes);
                absRefs[Number(kg)] = { file: name, offset, length: bytes.length, abs, packed: true };
                offset += bytes.length;
              }
              writes.push(writeDurably(abs, chunks));
              bytesWritten += offset;
            }
            keyGroups = {};
            for (const [kg, ref] of Object.entries(absRefs)) {
              const file = isSavepoint ? ref.file : path.join("..", "shared", path.basename(ref.abs));
              keyGroups[Number(kg)] = ref.packed ? { file, offset: ref.offset, length: ref.length, packed: true } : { file, offset: ref.offset, length: ref.length };
              size += ref.length;
              if (!isSavepoint) shared.add(path.basename(ref.abs));
            }
            next.set(refKey, absRefs);
            rest = { ...task, keyed: { version: task.keyed.version, maxParallelism: task.keyed.maxParallelism, keyGroups: {} } };
          }
          const bytes = serialize(rest.kind === "operator" ? { ...rest, timers: packTimers(rest.timers) } : rest);
          writes.push(writeDurably(path.join(tmpDir, file), [bytes]));
          bytesWritten += bytes.length;
          size += bytes.length;
          subtasks.push(keyGroups === undefined ? { subtaskIndex: task.subtaskIndex, file } : { subtaskIndex: task.subtaskIndex, file, keyGroups });
        }
        operators.push({ operatorId: op.operatorId, name: op.name, kind: op.kind, parallelism: op.parallelism, maxParallelism: op.maxParallelism, subtasks });
      }
      const meta: Metadata = { version: FORMAT_VERSION, jobName: snapshot.jobName, checkpointId: snapshot.checkpointId, kind: snapshot.kind, timestamp: snapshot.timestamp, operators };
      const metaBytes = Buffer.from(JSON.stringify(meta, null, 1));
      await Promise.all(writes);
      await writeDurably(path.join(tmpDir, METADATA), [metaBytes]);
      await fsyncDir(tmpDir);
      await fs.rename(tmpDir, finalDir);
      await fsyncDir(path.dirname(finalDir));
    } catch (e) {
      await Promise.allSettled(writes);
      await fs.rm(tmpDir, { recursive: true, force: true }).catch(() => {});
      throw e;
    }
    if (!isSavepoint) {
      this.previous = next;
      this.retained.push({ id: snapshot.checkpointId, dir: finalDir, shared });
    }
    return { checkpointId: snapshot.checkpointId, kind: snapshot.kind, location: finalDir, bytesWritten, size };
  }

  async load(location: string): Promise<CompletedSnapshot> {
    const dir = path.resolve(location);
    let meta: Metadata;
    try {
      meta = JSON.parse(await fs.readFile(path.join(dir, METADATA), "utf8")) as Metadata;
    } catch (e) {
      throw new JobError(`cannot restore from ${dir}: no readable ${METADATA} there (${(e as Error).message}); give a checkpoint (chk-<id>) or savepoint directory`, { code: "CHECKPOINT_NOT_FOUND", cause: e });
    }
    if (!READABLE_VERSIONS.includes(meta.version)) {
      throw new JobError(`cannot restore from ${dir}: snapshot format version ${meta.version}, this Vigil reads ${READABLE_VERSIONS.join(" and ")}`, { code: "CHECKPOINT_VERSION" });
    }
    const files = new Map<string, Buffer>();
    const read = async (rel: string) => {
      let b = files.get(rel);
      if (b === undefined) {
        b = await fs.readFile(path.join(dir, rel));
        files.set(rel, b);
      }
      return b;
    };
    const operators: SnapshotOperator[] = [];
    for (const op of meta.operators) {
      const subtasks: TaskSnapshot[] = [];
      for (const st of op.subtasks) {
        let task = deserialize(await read(st.file)) as TaskSnapshot;
        if (task.kind === "operator" && meta.version >= 3) task = { ...task, timers: unpackTimers(task.timers, dir) };
        if (task.kind === "operator" && task.keyed !== undefined && st.keyGroups !== undefined) {
          const keyGroups: KeyedStateSnapshot["keyGroups"] = {};
          const packed: Record<number, Uint8Array> = {};
          for (const [kg, ref] of Object.entries(st.keyGroups)) {
            const b = (await read(ref.file)).subarray(ref.offset, ref.offset + ref.length);
            if (ref.packed === true) packed[Number(kg)] = b;
            else keyGroups[Number(kg)] = unpackEntries(b);
          }
          const keyed: KeyedStateSnapshot = Object.keys(packed).length > 0
            ? { version: 1, maxParallelism: task.keyed.maxParallelism, keyGroups, packed }
            : { version: 1, maxParallelism: task.keyed.maxParallelism, keyGroups };
          subtasks.push({ ...task, keyed });
        } else subtasks.push(task);
      }
      operators.push({ ...op, subtasks });
    }
    return { jobName: meta.jobName, checkpointId: meta.checkpointId, kind: meta.kind, timestamp: meta.timestamp, operators };
  }

  async latest(): Promise<string | undefined> {
    return findLatestCheckpoint(this.directory);
  }

  async prune(retain: number): Promise<void> {
    while (this.retained.length > Math.max(1, retain)) {
      const old = this.retained.shift()!;
      await fs.rm(old.dir, { recursive: true, force: true });
    }
    await this.collectGarbage();
  }

  /** Deletes shared files no retained checkpoint (and not the incremental base) uses. */
  private async collectGarbage(): Promise<void> {
    const used = new Set<string>();
    for (const r of this.retained) for (const f of r.shared) used.add(f);
    for (const refs of this.previous.values()) for (const r of Object.values(refs)) used.add(path.basename(r.abs));
    const sharedDir = path.join(this.directory, "shared");
    let names: string[] = [];
    try {
      names = await fs.readdir(sharedDir);
    } catch {
      return;
    }
    await Promise.all(names.filter((n) => !used.has(n)).map((n) => fs.rm(path.join(sharedDir, n), { force: true })));
  }
}

/** The newest complete checkpoint (`chk-<id>` with a manifest) under `directory`, if any. */
export async function findLatestCheckpoint(directory: string): Promise<string | undefined> {
  let names: string[];
  try {
    names = await fs.readdir(directory);
  } catch {
    return undefined;
  }
  const ids = names
    .map((n) => /^chk-(\d+)$/.exec(n))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]))
    .sort((a, b) => b - a);
  for (const id of ids) {
    const dir = path.join(directory, `chk-${id}`);
    try {
      await fs.access(path.join(dir, METADATA));
      return dir;
    } catch {
      // half-written: look further back
    }
  }
  return undefined;
}

function sharedFilesOf(meta: Metadata, dir: string): Set<string> {
  const out = new Set<string>();
  for (const op of meta.operators) {
    for (const st of op.subtasks) {
      for (const ref of Object.values(st.keyGroups ?? {})) {
        if (path.resolve(dir, ref.file).startsWith(path.resolve(dir, "..", "shared"))) out.add(path.basename(ref.file));
      }
    }
  }
  return out;
}

function fileTag(operatorId: string): string {
  const safe = operatorId.replace(/[^A-Za-z0-9_-]/g, "_").slice(0, 40);
  return `${safe}-${createHash("sha1").update(operatorId).digest("hex").slice(0, 8)}`;
}

async function writeDurably(file: string, chunks: readonly Uint8Array[]): Promise<void> {
  const h = await fs.open(file, "w");
  try {
    // one call: each awaited write costs a turn of the event loop, long while the job is busy
    if (chunks.length === 1) await h.write(chunks[0]);
    else await h.writev(chunks as Uint8Array[]);
    await h.sync();
  } finally {
    await h.close();
  }
}

function yieldTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

async function fsyncDir(dir: string): Promise<void> {
  const h = await fs.open(dir, "r");
  try {
    await h.sync();
  } finally {
    await h.close();
  }
}

type Entry = KeyedStateSnapshot["keyGroups"][number][number];
const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

/**
 * A key group's entries as bytes: per entry, four length-prefixed fields (u32 big-endian):
 * state name, key bytes, namespace, value bytes. Plain copies, no per-field serialiser.
 */
function packEntries(entries: readonly Entry[]): Buffer {
  const names = new Map<string, Uint8Array>();
  const text = (s: string) => {
    let b = names.get(s);
    if (b === undefined) names.set(s, (b = utf8.encode(s)));
    return b;
  };
  let size = 0;
  for (const [name, key, ns, value] of entries) size += 16 + text(name).length + key.length + text(ns).length + value.length;
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  const put = (b: Uint8Array) => {
    out.writeUInt32BE(b.length, at);
    out.set(b, at + 4);
    at += 4 + b.length;
  };
  for (const [name, key, ns, value] of entries) {
    put(text(name));
    put(key);
    put(text(ns));
    put(value);
  }
  return out;
}

function unpackEntries(b: Buffer): Entry[] {
  const out: Entry[] = [];
  const names = new Map<string, string>();
  let at = 0;
  const take = () => {
    const n = b.readUInt32BE(at);
    const v = b.subarray(at + 4, at + 4 + n);
    at += 4 + n;
    return v;
  };
  const text = (v: Uint8Array) => {
    const k = v.length < 64 ? Buffer.from(v.buffer, v.byteOffset, v.length).toString("latin1") : undefined;
    if (k === undefined) return fromUtf8.decode(v);
    let s = names.get(k);
    if (s === undefined) names.set(k, (s = fromUtf8.decode(v)));
    return s;
  };
  while (at < b.length) {
    const name = text(take());
    const key = new Uint8Array(take());
    const ns = text(take());
    const value = new Uint8Array(take());
    out.push([name, key, ns, value]);
  }
  return out;
}
