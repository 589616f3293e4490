import { StateError } from "../errors.js";
import type { KeyGroupRange, StateKey } from "./api.js";
import { canonicalNumber, encodeKey, KeyTag } from "./key-encoding.js";

/** Key groups when a job does not say: Flink's default for small jobs. */
export const DEFAULT_MAX_PARALLELISM = 128;

/** The largest `maxParallelism` allowed (Flink's `UPPER_BOUND_MAX_PARALLELISM`, 2^15). */
export const UPPER_BOUND_MAX_PARALLELISM = 1 << 15;

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

const f64 = new Float64Array(1);
const f64Bytes = new Uint8Array(f64.buffer);
/** Byte order of `f64Bytes`, so that numbers hash big-endian on every platform. */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * The key group of a key: `fmix32(fnv1a32(encodeKey(key))) mod maxParallelism`, that is
 * MurmurHash3's finaliser over 32-bit FNV-1a of the canonical key bytes (see `encodeKey`). Stable
 * across processes, threads and platforms. Strings and numbers are hashed without allocating.
 */
export function keyGroupFor(key: StateKey, maxParallelism: number): number {
  return hashKey(key) % maxParallelism;
}

/** The 32-bit hash of a key that `keyGroupFor` reduces (unsigned). */
export function hashKey(key: StateKey): number {
  if (typeof key === "string") return fmix32(fnvString(key));
  if (typeof key === "number") return fmix32(fnvNumber(key));
  return hashEncodedKey(encodeKey(key));
}

/** The hash of already-encoded key bytes; equals `hashKey(decodeKey(bytes))`. */
export function hashEncodedKey(bytes: Uint8Array): number {
  let h = FNV_OFFSET;
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i], FNV_PRIME);
  return fmix32(h);
}

/** The key group of already-encoded key bytes. */
export function keyGroupForEncoded(bytes: Uint8Array, maxParallelism: number): number {
  return hashEncodedKey(bytes) % maxParallelism;
}

/**
 * The key groups a subtask owns, as Flink's `KeyGroupRangeAssignment.computeKeyGroupRangeForOperatorIndex`:
 * `[ceil(i * max / p), floor(((i + 1) * max - 1) / p)]`. Ranges of the subtasks of one operator
 * are contiguous, disjoint and cover `[0, maxParallelism - 1]`.
 */
export function keyGroupRangeForSubtask(maxParallelism: number, parallelism: number, subtaskIndex: number): KeyGroupRange {
  checkParallelism(maxParallelism, parallelism);
  if (!Number.isInteger(subtaskIndex) || subtaskIndex < 0 || subtaskIndex >= parallelism) {
    throw new StateError(`subtask index must be an integer in [0, ${parallelism - 1}], got ${subtaskIndex}`, { code: "STATE_INVALID_ARGUMENT" });
  }
  const start = Math.floor((subtaskIndex * maxParallelism + parallelism - 1) / parallelism);
  const end = Math.floor(((subtaskIndex + 1) * maxParallelism - 1) / parallelism);
  return { start, end };
}

/** The subtask that owns a key group, as Flink's `computeOperatorIndexForKeyGroup`: `floor(kg * p / max)`. */
export function subtaskForKeyGroup(maxParallelism: number, parallelism: number, keyGroup: number): number {
  checkParallelism(maxParallelism, parallelism);
  checkKeyGroup(keyGroup, maxParallelism);
  return Math.floor((keyGroup * parallelism) / maxParallelism);
}

/** Throws `StateError` unless `maxParallelism` is an integer in [1, 2^15]. */
export function checkMaxParallelism(maxParallelism: number): void {
  if (!Number.isInteger(maxParallelism) || maxParallelism < 1 || maxParallelism > UPPER_BOUND_MAX_PARALLELISM) {
    throw new StateError(`maxParallelism must be an integer in [1, ${UPPER_BOUND_MAX_PARALLELISM}], got ${maxParallelism}`, { code: "STATE_INVALID_ARGUMENT" });
  }
}

/** Throws `StateError` unless `range` is a non-empty range of key groups of `maxParallelism`. */
export function checkKeyGroupRange(range: KeyGroupRange, maxParallelism: number): void {
  const ok = Number.isInteger(range?.start) && Number.isInteger(range?.end) && range.start >= 0 && range.start <= range.end && range.end < maxParallelism;
  if (!ok) {
    throw new StateError(`key group range must satisfy 0 <= start <= end < ${maxParallelism}, got ${JSON.stringify(range)}`, { code: "STATE_INVALID_ARGUMENT" });
  }
}

/** Whether `range` contains `keyGroup`. */
export function rangeContains(range: KeyGroupRange, keyGroup: number): boolean {
  return keyGroup >= range.start && keyGroup <= range.end;
}

function checkParallelism(maxParallelism: number, parallelism: number): void {
  checkMaxParallelism(maxParallelism);
  if (!Number.isInteger(parallelism) || parallelism < 1 || parallelism > maxParallelism) {
    throw new StateError(`parallelism must be an integer in [1, maxParallelism = ${maxParallelism}], got ${parallelism}`, { code: "STATE_INVALID_ARGUMENT" });
  }
}

function checkKeyGroup(keyGroup: number, maxParallelism: number): void {
  if (!Number.isInteger(keyGroup) || keyGroup < 0 || keyGroup >= maxParallelism) {
    throw new StateError(`key group must be an integer in [0, ${maxParallelism - 1}], got ${keyGroup}`, { code: "STATE_INVALID_ARGUMENT" });
  }
}

/** MurmurHash3's 32-bit finaliser (Appleby), as unsigned. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** FNV-1a over the tag and the UTF-8 bytes of `s`, encoded on the fly (lone surrogates as U+FFFD). */
function fnvString(s: string): number {
  let h = Math.imul(FNV_OFFSET ^ KeyTag.string, FNV_PRIME);
  const n = s.length;
  for (let i = 0; i < n; i++) {
    let c = s.charCodeAt(i);
    if (c < 0x80) {
      h = Math.imul(h ^ c, FNV_PRIME);
      continue;
    }
    if (c < 0x800) {
      h = Math.imul(h ^ (0xc0 | (c >> 6)), FNV_PRIME);
      h = Math.imul(h ^ (0x80 | (c & 0x3f)), FNV_PRIME);
      continue;
    }
    if (c >= 0xd800 && c <= 0xdfff) {
      const next = i + 1 < n ? s.charCodeAt(i + 1) : 0;
      if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00);
        i++;
        h = Math.imul(h ^ (0xf0 | (c >> 18)), FNV_PRIME);
        h = Math.imul(h ^ (0x80 | ((c >> 12) & 0x3f)), FNV_PRIME);
        h = Math.imul(h ^ (0x80 | ((c >> 6) & 0x3f)), FNV_PRIME);
        h = Math.imul(h ^ (0x80 | (c & 0x3f)), FNV_PRIME);
        continue;
      }
      c = 0xfffd;
    }
    h = Math.imul(h ^ (0xe0 | (c >> 12)), FNV_PRIME);
    h = Math.imul(h ^ (0x80 | ((c >> 6) & 0x3f)), FNV_PRIME);
    h = Math.imul(h ^ (0x80 | (c & 0x3f)), FNV_PRIME);
  }
  return h;
}

/** FNV-1a over the tag and the big-endian float64 bytes of `n`. */
function fnvNumber(n: number): number {
  f64[0] = canonicalNumber(n);
  let h = Math.imul(FNV_OFFSET ^ KeyTag.number, FNV_PRIME);
  if (LITTLE_ENDIAN) {
    for (let i = 7; i >= 0; i--) h = Math.imul(h ^ f64Bytes[i], FNV_PRIME);
  } else {
    for (let i = 0; i < 8; i++) h = Math.imul(h ^ f64Bytes[i], FNV_PRIME);
  }
  return h;
}
