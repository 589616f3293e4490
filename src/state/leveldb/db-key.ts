import { StateError } from "../../errors.js";
import type { KeyGroupRange } from "../api.js";

/**
 * LevelDB keys of state entries: `[key group: u16 BE][state id: u16 BE][varint key length]
 * [canonical key bytes][namespace UTF-8]`. The key group comes first, so the entries of a range of
 * key groups are one contiguous range of LevelDB keys (snapshot, move, clear in one scan); within
 * a key group they sort by state, then key, then namespace.
 */
export function dbKey(keyGroup: number, stateId: number, keyBytes: Uint8Array, namespace: string): Buffer {
  const keyLen = keyBytes.length;
  const lenBytes = keyLen < 0x80 ? 1 : keyLen < 0x4000 ? 2 : keyLen < 0x200000 ? 3 : 4;
  if (keyLen >= 0x10000000) throw new StateError("state key too long for LevelDB (256 MiB)", { code: "STATE_KEY_ENCODING" });
  const nsLen = namespace.length === 0 ? 0 : Buffer.byteLength(namespace, "utf8");
  const out = Buffer.allocUnsafe(4 + lenBytes + keyLen + nsLen);
  out[0] = keyGroup >>> 8;
  out[1] = keyGroup & 0xff;
  out[2] = stateId >>> 8;
  out[3] = stateId & 0xff;
  let p = 4;
  let v = keyLen;
  while (v >= 0x80) {
    out[p++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  out[p++] = v;
  out.set(keyBytes, p);
  p += keyLen;
  if (nsLen > 0) out.write(namespace, p, "utf8");
  return out;
}

/** A LevelDB key taken apart; `keyBytes` is a copy. */
export interface ParsedDbKey {
  keyGroup: number;
  stateId: number;
  keyBytes: Uint8Array;
  namespace: string;
}

/** The parts of a LevelDB key written by `dbKey`; throws `StateError` (`STATE_CORRUPT`) on a malformed one. */
export function parseDbKey(key: Uint8Array): ParsedDbKey {
  if (key.length < 5) throw new StateError("corrupt LevelDB state key (too short)", { code: "STATE_CORRUPT" });
  const keyGroup = (key[0] << 8) | key[1];
  const stateId = (key[2] << 8) | key[3];
  let p = 4;
  let keyLen = 0;
  let shift = 0;
  for (;;) {
    const b = key[p++];
    keyLen |= (b & 0x7f) << shift;
    if (b < 0x80) break;
    shift += 7;
    if (shift > 21 || p >= key.length) throw new StateError("corrupt LevelDB state key (length)", { code: "STATE_CORRUPT" });
  }
  if (p + keyLen > key.length) throw new StateError("corrupt LevelDB state key (truncated)", { code: "STATE_CORRUPT" });
  const keyBytes = key.slice(p, p + keyLen);
  const namespace = p + keyLen === key.length ? "" : Buffer.from(key.buffer, key.byteOffset + p + keyLen, key.length - p - keyLen).toString("utf8");
  return { keyGroup, stateId, keyBytes, namespace };
}

/** The key group of a LevelDB key written by `dbKey` (its first two bytes). */
export function keyGroupOfDbKey(key: Uint8Array): number {
  return (key[0] << 8) | key[1];
}

/** LevelDB bounds `{ gte, lt }` covering exactly the key groups of `range`. */
export function keyGroupBounds(range: KeyGroupRange): { gte: Buffer; lt: Buffer } {
  const end = range.end + 1;
  return { gte: Buffer.from([range.start >>> 8, range.start & 0xff]), lt: Buffer.from([end >>> 8, end & 0xff]) };
}
