import { StateError } from "../../errors.js";
import type { StateDescriptor, TypeSerializer } from "../api.js";
import { v8Serializer } from "../v8-serializer.js";
import { ByteReader, ByteWriter } from "./bytes.js";
import { keyFromId, keyIdOf, type KeyId } from "./key-id.js";
import type { StoredShape, TtlValue } from "./ttl.js";

/** Header flag: the entry carries last-access timestamps. */
const FLAG_TTL = 0x01;

/**
 * The bytes of one (state, key, namespace) entry, the same in snapshots and in LevelDB, so either
 * backend restores the other's snapshots and LevelDB snapshots move bytes without decoding them:
 *
 * - byte 0: flags (bit 0: timestamps present);
 * - value, reducing, aggregating: [ts: f64] then the serializer's bytes;
 * - list: varint count, then per element [ts: f64] varint length, bytes;
 * - map: varint count, then per entry [ts: f64] varint key length, key bytes, varint value length, value bytes.
 *
 * Timestamps follow the descriptor, not the bytes: entries written without a TTL get `now` when
 * the descriptor has one, and lose theirs when it has none.
 */
export class StateCodec {
  readonly shape: StoredShape;
  private readonly serializer: TypeSerializer<unknown>;
  private readonly keySerializer: TypeSerializer<unknown>;

  private readonly stateName: string;

  constructor(descriptor: StateDescriptor, private readonly withTtl: boolean) {
    this.stateName = descriptor.name;
    this.shape = descriptor.kind === "list" ? "list" : descriptor.kind === "map" ? "map" : "single";
    if (descriptor.kind === "map") {
      this.keySerializer = descriptor.keySerializer ?? v8Serializer;
      this.serializer = descriptor.valueSerializer ?? v8Serializer;
    } else {
      this.keySerializer = v8Serializer;
      this.serializer = descriptor.serializer ?? v8Serializer;
    }
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

  private encodeUnchecked(stored: unknown): Uint8Array {
    const w = new ByteWriter(64);
    const ttl = this.withTtl;
    w.u8(ttl ? FLAG_TTL : 0);
    const ser = this.serializer;
    if (this.shape === "single") {
      if (ttl) {
        w.f64((stored as TtlValue).ts);
        w.bytes(ser.serialize((stored as TtlValue).v));
      } else {
        w.bytes(ser.serialize(stored));
      }
    } else if (this.shape === "list") {
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

  /** The stored value these bytes encode; `now` stamps entries that carry no timestamp. */
  decode(bytes: Uint8Array, now: number): unknown {
    try {
      return this.decodeUnchecked(bytes, now);
    } catch (cause) {
      if (cause instanceof StateError) throw cause;
      throw new StateError(`state "${this.stateName}": cannot deserialise a state entry: ${String(cause)}`, { code: "STATE_SERIALIZATION", cause });
    }
  }

  private decodeUnchecked(bytes: Uint8Array, now: number): unknown {
    const r = new ByteReader(bytes);
    const has = (r.u8() & FLAG_TTL) !== 0;
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
}
