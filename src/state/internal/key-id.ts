import type { StateKey } from "../api.js";
import { canonicalNumber, decodeKey, encodeKey, KeyTag } from "../key-encoding.js";
import { keyGroupFor, keyGroupForEncoded } from "../key-group.js";

/**
 * How the backends identify a key (or a map state's user key) in a JS `Map`: a string or number
 * key is itself (no work on the hot path); anything else, and a string starting with U+0000, is
 * U+0000 followed by its canonical encoding as latin1. The mapping is a bijection on canonical
 * keys, so `keyFromId(keyIdOf(k))` equals `k` up to canonical form.
 */
export type KeyId = string | number;

const ESCAPE = "\u0000";

/** The id of a key. */
export function keyIdOf(key: unknown): KeyId {
  if (typeof key === "string") return key.length === 0 || key.charCodeAt(0) !== 0 ? key : escaped(encodeKey(key));
  if (typeof key === "number") return key;
  return escaped(encodeKey(key as StateKey));
}

/** The key an id stands for. */
export function keyFromId(id: KeyId): StateKey {
  if (typeof id === "number" || id.length === 0 || id.charCodeAt(0) !== 0) return id;
  return decodeKey(Buffer.from(id.slice(1), "latin1"));
}

/** The canonical bytes of the key an id stands for. */
export function encodedKeyOfId(id: KeyId): Uint8Array {
  if (typeof id === "number" || id.length === 0 || id.charCodeAt(0) !== 0) return encodeKey(id);
  return new Uint8Array(Buffer.from(id.slice(1), "latin1"));
}

/** The id of the key whose canonical bytes these are (without decoding objects). */
export function keyIdOfEncoded(bytes: Uint8Array): KeyId {
  if (bytes.length > 0 && bytes[0] === KeyTag.number && bytes.length === 9) {
    const n = new DataView(bytes.buffer, bytes.byteOffset, 9).getFloat64(1);
    return canonicalNumber(n);
  }
  if (bytes.length > 0 && bytes[0] === KeyTag.string && (bytes.length === 1 || bytes[1] !== 0)) {
    return Buffer.from(bytes.buffer, bytes.byteOffset + 1, bytes.length - 1).toString("utf8");
  }
  return escaped(bytes);
}

/** The key group of the key an id stands for (strings and numbers hashed without allocating). */
export function keyGroupOfId(id: KeyId, maxParallelism: number): number {
  if (typeof id === "number" || id.length === 0 || id.charCodeAt(0) !== 0) return keyGroupFor(id, maxParallelism);
  return keyGroupForEncoded(encodedKeyOfId(id), maxParallelism);
}

function escaped(bytes: Uint8Array): string {
  return ESCAPE + Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString("latin1");
}
