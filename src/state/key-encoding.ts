import { deserialize, serialize } from "node:v8";
import { StateError } from "../errors.js";
import type { StateKey } from "./api.js";
import { ByteReader, ByteWriter } from "./internal/bytes.js";

/**
 * Type tags of the canonical key encoding. The first byte of every encoded key (and of every
 * element of an encoded array or object) is one of these.
 */
export const KeyTag = {
  string: 0x01,
  number: 0x02,
  boolean: 0x03,
  null: 0x04,
  bigint: 0x05,
  array: 0x06,
  object: 0x07,
  /** Anything else (`undefined`, `Date`, `Map`, typed arrays, ...): `v8.serialize` bytes. */
  v8: 0x7f,
} as const;

/**
 * The canonical bytes of a key: a type tag, then the payload. Strings are UTF-8 (a lone surrogate
 * becomes U+FFFD), numbers float64 big-endian (`-0` as `0`, every NaN as one NaN), booleans one
 * byte, bigints their decimal digits, arrays a count then length-prefixed elements, plain objects
 * (anything whose `Object.prototype.toString` is `[object Object]`) a count then their own
 * enumerable properties sorted by name, and other values `v8.serialize` bytes.
 *
 * Equal keys (by this encoding) are the same key everywhere: in key groups, snapshots and
 * LevelDB. The encoding does not depend on the process, the thread or property order, so
 * `{ a: 1, b: 2 }` and `{ b: 2, a: 1 }` are one key. Throws `StateError` for unserialisable values
 * (functions, symbols).
 */
export function encodeKey(key: StateKey): Uint8Array {
  if (typeof key === "string") {
    const out = new Uint8Array(1 + Buffer.byteLength(key, "utf8"));
    out[0] = KeyTag.string;
    Buffer.from(out.buffer, out.byteOffset + 1, out.length - 1).write(key, "utf8");
    return out;
  }
  if (typeof key === "number") {
    const out = new Uint8Array(9);
    out[0] = KeyTag.number;
    new DataView(out.buffer).setFloat64(1, canonicalNumber(key));
    return out;
  }
  const w = new ByteWriter(32);
  writeKeyValue(w, key);
  return w.finish();
}

/** The key whose canonical bytes these are (the inverse of `encodeKey`, up to canonical form). */
export function decodeKey(bytes: Uint8Array): StateKey {
  const r = new ByteReader(bytes);
  const key = readKeyValue(r, bytes.length);
  if (r.offset !== bytes.length) throw new StateError(`invalid key encoding: ${bytes.length - r.offset} trailing bytes`, { code: "STATE_KEY_ENCODING" });
  return key as StateKey;
}

/** `-0` as `0`, every NaN as the one canonical NaN: what a `Map` considers equal, hashes equal. */
export function canonicalNumber(n: number): number {
  if (n === 0) return 0;
  return n === n ? n : NaN;
}

function writeKeyValue(w: ByteWriter, v: unknown): void {
  switch (typeof v) {
    case "string":
      w.u8(KeyTag.string);
      w.utf8(v);
      return;
    case "number":
      w.u8(KeyTag.number);
      w.f64(canonicalNumber(v));
      return;
    case "boolean":
      w.u8(KeyTag.boolean);
      w.u8(v ? 1 : 0);
      return;
    case "bigint":
      w.u8(KeyTag.bigint);
      w.utf8(v.toString());
      return;
    case "object":
      if (v === null) {
        w.u8(KeyTag.null);
        return;
      }
      if (Array.isArray(v)) {
        w.u8(KeyTag.array);
        w.varint(v.length);
        for (const e of v) writeNested(w, e);
        return;
      }
      if (Object.prototype.toString.call(v) === "[object Object]") {
        const names = Object.keys(v).sort();
        w.u8(KeyTag.object);
        w.varint(names.length);
        for (const name of names) {
          w.lengthPrefixedUtf8(name);
          writeNested(w, (v as Record<string, unknown>)[name]);
        }
        return;
      }
      break;
    case "function":
    case "symbol":
      throw new StateError(`a ${typeof v} cannot be (part of) a state key`, { code: "STATE_KEY_ENCODING" });
  }
  w.u8(KeyTag.v8);
  try {
    w.bytes(serialize(v));
  } catch (cause) {
    throw new StateError(`value cannot be (part of) a state key: ${String(cause)}`, { code: "STATE_KEY_ENCODING", cause });
  }
}

/** An element of an array or object: its encoding, prefixed with its length. */
function writeNested(w: ByteWriter, v: unknown): void {
  const lengthAt = w.reserveVarint32();
  const start = w.length;
  writeKeyValue(w, v);
  w.patchVarint32(lengthAt, w.length - start);
}

function readKeyValue(r: ByteReader, end: number): unknown {
  const tag = r.u8();
  switch (tag) {
    case KeyTag.string:
      return r.utf8(end - r.offset);
    case KeyTag.number:
      return r.f64();
    case KeyTag.boolean:
      return r.u8() === 1;
    case KeyTag.null:
      return null;
    case KeyTag.bigint:
      return BigInt(r.utf8(end - r.offset));
    case KeyTag.array: {
      const n = r.varint();
      const out: unknown[] = new Array(n);
      for (let i = 0; i < n; i++) out[i] = readNested(r);
      return out;
    }
    case KeyTag.object: {
      const n = r.varint();
      const out: Record<string, unknown> = {};
      for (let i = 0; i < n; i++) {
        const name = r.utf8(r.varint());
        // defineProperty: a "__proto__" key stays a property, never the prototype
        Object.defineProperty(out, name, { value: readNested(r), enumerable: true, writable: true, configurable: true });
      }
      return out;
    }
    case KeyTag.v8:
      return deserialize(r.bytes(end - r.offset));
    default:
      throw new StateError(`invalid key encoding: unknown tag 0x${tag.toString(16)}`, { code: "STATE_KEY_ENCODING" });
  }
}

function readNested(r: ByteReader): unknown {
  const length = r.varint();
  const end = r.offset + length;
  const v = readKeyValue(r, end);
  if (r.offset !== end) throw new StateError("invalid key encoding: element length mismatch", { code: "STATE_KEY_ENCODING" });
  return v;
}
