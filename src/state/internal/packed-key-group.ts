import { deserialize, serialize } from "node:v8";
import { StateError } from "../../errors.js";
import type { StoredShape, TtlValue } from "./ttl.js";
import { StateCodec } from "./state-codec.js";
import { keyGroupOfId } from "./key-id.js";
import { fromColumns, toColumns } from "./packed-columns.js";

/**
 * The packed form of a key group (`KeyedStateSnapshot.packed`), written by the heap backend: the
 * whole key group in one `v8.serialize` call instead of one serialisation per entry (measured
 * about 10 times cheaper, and one buffer instead of two per entry). It is the array
 *
 *     [PACKED_FORMAT, name, flags, namespace, items, name, flags, namespace, items, ...]
 *
 * with one (name, flags, namespace, items) run per state and namespace present in the key group.
 * `items` alternates key ids and values: `[id, value, id, value, ...]`, where an id is the key's
 * `KeyId` (the key itself for strings and numbers, else U+0000 and the latin1 of its canonical
 * encoding) and a value is, as `flags` says:
 *
 * - `RUN_BYTES` set: the entry's value bytes, exactly as in `keyGroups` (see `StateCodec`): states
 *   with a custom serialiser, and restored entries passed through as bytes;
 * - otherwise the stored form itself (the default serialisers' case): for a value, reducing or
 *   aggregating state the value, or `{ v, ts }` with `RUN_TTL`; for a list an array of values
 *   (or of `{ v, ts }`); for a map a `Map` from user-key id to value (or to `{ v, ts }`).
 *   `RUN_SHAPE_*` says which. With `RUN_COLUMNS`, `items` is in the column layout of
 *   `packed-columns.ts` instead (numbers, and flat objects of the same keys).
 *
 * The format number is checked on restore: a snapshot packed in a newer format is refused with
 * `STATE_SNAPSHOT_INCOMPATIBLE`, never misread.
 */
export const PACKED_FORMAT = 1;

/** Run flag: values carry last-access timestamps. */
export const RUN_TTL = 0x01;
/** Run flag: values are entry bytes, not stored forms. */
export const RUN_BYTES = 0x02;
/** Run flags: the state's shape (bits 2-3). */
export const RUN_SHAPE_SINGLE = 0x00;
export const RUN_SHAPE_LIST = 0x04;
export const RUN_SHAPE_MAP = 0x08;
const SHAPE_MASK = 0x0c;
/** Run flag, in packed bytes only: `items` is in the column layout. */
const RUN_COLUMNS = 0x10;
const KNOWN_FLAGS = RUN_TTL | RUN_BYTES | SHAPE_MASK | RUN_COLUMNS;

/** The run flags of stored forms of `shape`, with timestamps or not. */
export function storedFlags(shape: StoredShape, ttl: boolean): number {
  return (shape === "list" ? RUN_SHAPE_LIST : shape === "map" ? RUN_SHAPE_MAP : RUN_SHAPE_SINGLE) | (ttl ? RUN_TTL : 0);
}

function shapeOf(flags: number): StoredShape {
  const s = flags & SHAPE_MASK;
  return s === RUN_SHAPE_LIST ? "list" : s === RUN_SHAPE_MAP ? "map" : "single";
}

/** One (state, namespace) run of a key group. */
export interface PackedRun {
  readonly name: string;
  readonly flags: number;
  readonly namespace: string;
  /** `[id, value, id, value, ...]` */
  readonly items: readonly unknown[];
}

/** The packed bytes of a key group's runs; throws `StateError` (naming the state) if a value cannot be serialised. */
export function packKeyGroup(runs: readonly PackedRun[]): Uint8Array {
  const out: unknown[] = [PACKED_FORMAT];
  for (const r of runs) {
    const columns = (r.flags & RUN_BYTES) === 0 ? toColumns(r.items) : undefined;
    if (columns === undefined) out.push(r.name, r.flags, r.namespace, r.items);
    else out.push(r.name, r.flags | RUN_COLUMNS, r.namespace, columns);
  }
  try {
    return serialize(out);
  } catch (cause) {
    // find the state at fault, for the message: the slow path of a failed snapshot only
    for (const r of runs) {
      try {
        serialize(r.items);
      } catch {
        throw new StateError(`state "${r.name}": cannot serialise a state value: ${String(cause)}`, { code: "STATE_SERIALIZATION", cause });
      }
    }
    throw new StateError(`cannot serialise a key group: ${String(cause)}`, { code: "STATE_SERIALIZATION", cause });
  }
}

/**
 * The runs of a packed key group, checked: the format, the shape of every run, and that every key
 * hashes to `keyGroup`. Throws `StateError`: `STATE_SNAPSHOT_INCOMPATIBLE` for another format,
 * `STATE_SNAPSHOT_INVALID` for anything malformed.
 */
export function unpackKeyGroup(bytes: Uint8Array, keyGroup: number, maxParallelism: number): PackedRun[] {
  const invalid = (why: string, cause?: unknown) =>
    new StateError(`packed key group ${keyGroup} of a snapshot is invalid: ${why}`, { code: "STATE_SNAPSHOT_INVALID", cause });
  if (!(bytes instanceof Uint8Array)) throw invalid("not bytes");
  let data: unknown;
  try {
    data = deserialize(bytes);
  } catch (cause) {
    throw invalid(`unreadable (${String(cause)})`, cause);
  }
  if (!Array.isArray(data) || typeof data[0] !== "number" || (data.length - 1) % 4 !== 0) throw invalid("not a packed key group");
  if (data[0] !== PACKED_FORMAT) {
    throw new StateError(`key group ${keyGroup} of the snapshot is packed in format ${data[0]}; this version of Vigil reads format ${PACKED_FORMAT} (restore it with the version that wrote it)`, {
      code: "STATE_SNAPSHOT_INCOMPATIBLE",
    });
  }
  const runs: PackedRun[] = [];
  for (let i = 1; i < data.length; i += 4) {
    const [name, packedFlags, namespace] = [data[i], data[i + 1], data[i + 2]];
    let items: unknown = data[i + 3];
    if (typeof name !== "string" || typeof namespace !== "string") throw invalid("a run without a state name or namespace");
    if (typeof packedFlags !== "number" || (packedFlags & ~KNOWN_FLAGS) !== 0 || (packedFlags & SHAPE_MASK) === SHAPE_MASK || (packedFlags & (RUN_BYTES | RUN_COLUMNS)) === (RUN_BYTES | RUN_COLUMNS)) {
      throw invalid(`state "${name}": unknown flags ${String(packedFlags)}`);
    }
    if ((packedFlags & RUN_COLUMNS) !== 0) {
      try {
        items = fromColumns(items);
      } catch (e) {
        throw invalid(`state "${name}": ${(e as Error).message}`);
      }
    }
    const flags = packedFlags & ~RUN_COLUMNS;
    if (!Array.isArray(items) || items.length % 2 !== 0) throw invalid(`state "${name}": items are not id-value pairs`);
    for (let k = 0; k < items.length; k += 2) {
      const id = items[k];
      const v = items[k + 1];
      if (typeof id !== "number" && typeof id !== "string") throw invalid(`state "${name}": a key id of type ${typeof id}`);
      if (v === undefined || ((flags & RUN_BYTES) !== 0 && !(v instanceof Uint8Array))) throw invalid(`state "${name}": a missing or malformed value`);
      if ((flags & (RUN_BYTES | SHAPE_MASK | RUN_TTL)) === RUN_TTL && typeof (v as TtlValue | null)?.ts !== "number") {
        throw invalid(`state "${name}": a value without its timestamp`);
      }
      if (keyGroupOfId(id, maxParallelism) !== keyGroup) {
        throw new StateError(`snapshot entry of state "${name}" is recorded in key group ${keyGroup}, but its key hashes elsewhere`, { code: "STATE_SNAPSHOT_INVALID" });
      }
    }
    runs.push({ name, flags, namespace, items });
  }
  return runs;
}

/**
 * A codec that writes the entry bytes of stored forms with these run flags (no `RUN_BYTES`): the
 * bytes a state with default serialisers, of that shape and TTL, would have written itself.
 */
export function codecForRun(name: string, flags: number): StateCodec {
  const shape = shapeOf(flags);
  const kind = shape === "single" ? "value" : shape;
  return new StateCodec({ kind, name }, (flags & RUN_TTL) !== 0);
}

/**
 * A value of a run as `codec`'s state stores it: bytes are decoded; a stored form is adopted as it
 * is (re-timed if the TTL changed) when the state has default serialisers and the same shape,
 * and otherwise goes through its entry bytes, exactly as a snapshot listed entry by entry would.
 */
export function decodeRunValue(codec: StateCodec, flags: number, value: unknown, now: number): unknown {
  if ((flags & RUN_BYTES) !== 0) return codec.decode(value as Uint8Array, now);
  if (codec.defaultSerializers && shapeOf(flags) === codec.shape) return codec.adoptStored(value, (flags & RUN_TTL) !== 0, now);
  return codec.decode(codecForRun(codec.stateName, flags).encode(value), now);
}

/** Entry bytes of a run's value: its bytes, or those `codec` (see `codecForRun`) writes for its stored form. */
export function runValueBytes(codec: StateCodec | undefined, flags: number, value: unknown): Uint8Array {
  return (flags & RUN_BYTES) !== 0 ? (value as Uint8Array) : codec!.encode(value);
}
