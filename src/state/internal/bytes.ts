import { StateError } from "../../errors.js";

const decoder = new TextDecoder("utf-8");

/** A growable byte buffer for the state layer's encodings (keys, stored values, LevelDB keys). */
export class ByteWriter {
  private buf: Uint8Array;
  private view: DataView;
  private pos = 0;

  constructor(initialCapacity = 64) {
    this.buf = new Uint8Array(initialCapacity);
    this.view = new DataView(this.buf.buffer);
  }

  /** Bytes written so far. */
  get length(): number {
    return this.pos;
  }

  u8(v: number): void {
    this.ensure(1);
    this.buf[this.pos++] = v;
  }

  /** Big-endian unsigned 16-bit. */
  u16(v: number): void {
    this.ensure(2);
    this.buf[this.pos++] = v >>> 8;
    this.buf[this.pos++] = v & 0xff;
  }

  /** Big-endian float64. */
  f64(v: number): void {
    this.ensure(8);
    this.view.setFloat64(this.pos, v);
    this.pos += 8;
  }

  /** Unsigned LEB128, up to 2^53. */
  varint(v: number): void {
    this.ensure(8);
    while (v >= 0x80) {
      this.buf[this.pos++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.buf[this.pos++] = v;
  }

  /** Reserves a fixed five-byte varint slot, to be filled by `patchVarint32`. */
  reserveVarint32(): number {
    this.ensure(5);
    const at = this.pos;
    this.pos += 5;
    return at;
  }

  /** Fills a slot from `reserveVarint32` (padded LEB128: always five bytes). */
  patchVarint32(at: number, v: number): void {
    for (let i = 0; i < 4; i++) {
      this.buf[at + i] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    this.buf[at + 4] = v & 0x7f;
  }

  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  /** A varint length, then the bytes. */
  lengthPrefixed(b: Uint8Array): void {
    this.varint(b.length);
    this.bytes(b);
  }

  /** UTF-8 bytes, not prefixed. */
  utf8(s: string): void {
    this.ensure(s.length * 3);
    this.pos += Buffer.from(this.buf.buffer, this.buf.byteOffset).write(s, this.pos, "utf8");
  }

  /** A varint byte length, then UTF-8 bytes. */
  lengthPrefixedUtf8(s: string): void {
    const at = this.reserveVarint32();
    const start = this.pos;
    this.utf8(s);
    this.patchVarint32(at, this.pos - start);
  }

  /** The bytes written, as a fresh exact-size array. */
  finish(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.pos + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }
}

/** Reads what a `ByteWriter` wrote; throws `StateError` on truncated input. */
export class ByteReader {
  offset = 0;
  private readonly view: DataView;

  constructor(private readonly buf: Uint8Array) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  get remaining(): number {
    return this.buf.length - this.offset;
  }

  u8(): number {
    this.need(1);
    return this.buf[this.offset++];
  }

  u16(): number {
    this.need(2);
    const v = (this.buf[this.offset] << 8) | this.buf[this.offset + 1];
    this.offset += 2;
    return v;
  }

  f64(): number {
    this.need(8);
    const v = this.view.getFloat64(this.offset);
    this.offset += 8;
    return v;
  }

  varint(): number {
    let result = 0;
    let scale = 1;
    for (;;) {
      const b = this.u8();
      result += (b & 0x7f) * scale;
      if (b < 0x80) return result;
      scale *= 0x80;
      if (scale > 2 ** 56) throw new StateError("invalid encoding: varint too long", { code: "STATE_ENCODING" });
    }
  }

  /** The next `n` bytes, as a view (no copy). */
  bytes(n: number): Uint8Array {
    this.need(n);
    const out = this.buf.subarray(this.offset, this.offset + n);
    this.offset += n;
    return out;
  }

  lengthPrefixed(): Uint8Array {
    return this.bytes(this.varint());
  }

  utf8(n: number): string {
    return decoder.decode(this.bytes(n));
  }

  private need(n: number): void {
    if (n < 0 || this.offset + n > this.buf.length) {
      throw new StateError(`invalid encoding: truncated (need ${n} bytes at ${this.offset} of ${this.buf.length})`, { code: "STATE_ENCODING" });
    }
  }
}
