import { deserialize, serialize } from "node:v8";
import { StateError } from "../../errors.js";
import type { StateDescriptor, TypeSerializer } from "../api.js";
import { v8Serializer } from "../v8-serializer.js";
import { ByteReader, ByteWriter } from "./bytes.js";
import { keyFromId, keyIdOf, type KeyId } from "./key-id.js";
import type { StoredShape, TtlValue } from "./ttl.js";

/** Header flag: the entry carries last-access timestamps. */
const FLAG_TTL = 0x01;
/** Header flag: a list or map as one `v8.serialize` of its stored form (default serialisers). */
const FLAG_WHOLE = 0x02;

/**
 * The bytes of one (state, key, namespace) entry, the same in snapshots and in LevelDB, so either
 * backend restores the other's snapshots and LevelDB snapshots move bytes without decoding them:
 *
 * - byte 0: flags (bit 0: timestamps present; bit 1: whole-value layout);
 * - value, reducing, aggregating: [ts: f64 BE] then the serializer's bytes;
 * - list, map with the default serialisers (bit 1): `v8.serialize` of the stored form, one call
 *   for the whole list or map (17x faster than one per element): an array of values, or of
 *   `{ v, ts }`; a `Map` from user-key id (see `keyIdOf`: the key itself for strings and numbers,
 *   else U+0000 and the latin1 of its canonical encoding) to values, or to `{ v, ts }`;
 * - list with a custom serializer: varint count, then per element [ts: f64] varint length, bytes;
 * - map with a custom serializer: varint count, then per entry [ts: f64] varint key length, key
 *   bytes, varint value length, value bytes.
 *
 * Timestamps follow the descriptor, not the bytes: entries written without a TTL get `now` when
 * the descriptor has one, and lose theirs when it has none.
 */
export class StateCodec {
  readonly shape: StoredShape;
  private readonly serializer: TypeSerializer<unknown>;
  private readonly keySerializer: TypeSerializer<unknown>;
  private readonly whole: boolean;
  readonly stateName: string;
  /** No custom serialiser: stored forms are plain data that `v8.serialize` writes as they are. */
  readonly defaultSerializers: boolean;

  constructor(descriptor: StateDescriptor, readonly withTtl: boolean) {
    this.stateName = descriptor.name;
    this.shape = descriptor.kind === "list" ? "list" : descriptor.kind === "map" ? "map" : "single";
    if (descriptor.kind === "map") {
      this.keySerializer = descriptor.keySerializer ?? v8Serializer;
      this.serializer = descriptor.valueSerializer ?? v8Serializer;
    } else {
      this.keySerializer = v8Serializer;
      this.serializer = descriptor.serializer ?? v8Serializer;
    }
    this.defaultSerializers = this.serializer === v8Serializer && this.keySerializer === v8Serializer;
    this.whole = this.shape !== "single" && this.defaultSerializers;
  }

  /**
   * A stored form written with the default serialisers (`v8.serialize` of it as it is), with
   * timestamps if `has`, as this state stores it: wrapped or unwrapped as its TTL wants, stamped
   * `now` when it gains one. Never changes `stored` (a pending snapshot may still hold it).
   */
  adoptStored(stored: unknown, has: boolean, now: number): unknown {
    if (this.shape === "single") {
      if (has === this.withTtl) return stored;
      return has ? (stored as TtlValue).v : { v: stored, ts: now };
    }
    this.checkWholeShape(stored);
    if (has === this.withTtl) return stored;
    const convert = has ? (e: unknown) => (e as TtlValue).v : (v: unknown) => ({ v, ts: now });
    if (Array.isArray(stored)) return stored.map(convert);
    const out = new Map<KeyId, unknown>();
    for (const [id, e] of stored as Map<KeyId, unknown>) out.set(id, convert(e));
    return out;
  }

  /** The bytes of a stored value (see the class comment); throws `StateError` if a value cannot be serialised. */
  encode(stored: unknown): Uint8Array {
    try {
      return this.encodeUnchecked(stored);
    } catch (cause) {
      if (cause instanceof StateError) throw cause;
      throw new StateError(`state "${this.stateName}": cannot serialise a state value: ${String(cause)}`, { code: "STATE_SERIALIZATION", cause });
    }
  }

  /** The stored value these bytes encode; `now` stamps entries that carry no timestamp when the state has a TTL. */
  decode(bytes: Uint8Array, now: number): unknown {
    try {
      return this.decodeUnchecked(bytes, now);
    } catch (cause) {
      if (cause instanceof StateError) throw cause;
      throw new StateError(`state "${this.stateName}": cannot deserialise a state entry: ${String(cause)}`, { code: "STATE_SERIALIZATION", cause });
    }
  }

  private encodeUnchecked(stored: unknown): Uint8Array {
    const ttl = this.withTtl;
    const flags = ttl ? FLAG_TTL : 0;
    if (this.shape === "single" || this.whole) {
      const body = this.whole ? serialize(stored) : this.serializer.serialize(ttl ? (stored as TtlValue).v : stored);
      const head = this.whole || !ttl ? 1 : 9;
      const out = new Uint8Array(head + body.length);
      out[0] = flags | (this.whole ? FLAG_WHOLE : 0);
      if (head === 9) new DataView(out.buffer).setFloat64(1, (stored as TtlValue).ts);
      out.set(body, head);
      return out;
    }
    const w = new ByteWriter(256);
    w.u8(flags);
    const ser = this.serializer;
    if (this.shape === "list") {
      const list = stored as unknown[];
      w.varint(list.length);
      for (const e of list) {
        if (ttl) w.f64((e as TtlValue).ts);
        w.lengthPrefixed(ser.serialize(ttl ? (e as TtlValue).v : e));
      }
    } else {
      const map = stored as Map<KeyId, unknown>;
      w.varint(map.size);
      for (const [id, e] of map) {
        if (ttl) w.f64((e as TtlValue).ts);
        w.lengthPrefixed(this.keySerializer.serialize(keyFromId(id)));
        w.lengthPrefixed(ser.serialize(ttl ? (e as TtlValue).v : e));
      }
    }
    return w.finish();
  }

  private decodeUnchecked(bytes: Uint8Array, now: number): unknown {
    const r = new ByteReader(bytes);
    const flags = r.u8();
    const has = (flags & FLAG_TTL) !== 0;
    if ((flags & FLAG_WHOLE) !== 0) return this.retime(deserialize(r.bytes(r.remaining)), has, now);
    const want = this.withTtl;
    const ser = this.serializer;
    const wrap = (v: unknown, ts: number): unknown => (want ? { v, ts: has ? ts : now } : v);
    if (this.shape === "single") {
      const ts = has ? r.f64() : now;
      return wrap(ser.deserialize(r.bytes(r.remaining)), ts);
    }
    if (this.shape === "list") {
      const n = r.varint();
      const list: unknown[] = new Array(n);
      for (let i = 0; i < n; i++) {
        const ts = has ? r.f64() : now;
        list[i] = wrap(ser.deserialize(r.lengthPrefixed()), ts);
      }
      return list;
    }
    const n = r.varint();
    const map = new Map<KeyId, unknown>();
    for (let i = 0; i < n; i++) {
      const ts = has ? r.f64() : now;
      const key = this.keySerializer.deserialize(r.lengthPrefixed());
      map.set(keyIdOf(key), wrap(ser.deserialize(r.lengthPrefixed()), ts));
    }
    return map;
  }

  /** A whole-layout list or map, its elements wrapped or unwrapped as the descriptor's TTL wants. */
  private retime(stored: unknown, has: boolean, now: number): unknown {
    this.checkWholeShape(stored);
    if (has === this.withTtl) return stored;
    const convert = has ? (e: unknown) => (e as TtlValue).v : (v: unknown) => ({ v, ts: now });
    if (Array.isArray(stored)) return stored.map(convert);
    const map = stored as Map<KeyId, unknown>;
    for (const [id, e] of map) map.set(id, convert(e));
    return map;
  }

  private checkWholeShape(stored: unknown): void {
    if (this.shape === "list" ? !Array.isArray(stored) : !(stored instanceof Map)) {
      throw new StateError(`state "${this.stateName}": stored entry is not ${this.shape === "list" ? "a list" : "a map"} (was the state's kind changed?)`, {
        code: "STATE_SERIALIZATION",
      });
    }
  }
}
