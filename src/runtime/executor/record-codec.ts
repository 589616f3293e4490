/**
 * Encodes batches of a stream's records into bytes for crossing worker threads, instead of the
 * structured clone `postMessage` does by default (about 1 µs per small object, the largest cost of
 * a keyed exchange between threads). The encoded buffer is transferred, not copied. Declare one
 * with `stream.withRecordCodec(codec)`, as a Flink user picks an efficient serializer.
 */
export interface RecordCodec<T> {
  encode(values: readonly T[]): ArrayBuffer;
  decode(buffer: ArrayBuffer): T[];
}

/**
 * A codec for flat records whose listed fields are all numbers: 8 bytes per field, no names.
 * Decoded records are plain objects with exactly these fields.
 */
export function numericRecordCodec<T>(fields: ReadonlyArray<keyof T & string>): RecordCodec<T> {
  const n = fields.length;
  if (n === 0) throw new TypeError("numericRecordCodec: list at least one field");
  const listed = [...fields];
  return {
    [NUMERIC_FIELDS]: listed,
    encode(values) {
      const a = new Float64Array(values.length * n);
      let o = 0;
      for (const v of values) {
        const r = v as Record<string, number>;
        for (let i = 0; i < n; i++) a[o++] = r[fields[i]];
      }
      return a.buffer;
    },
    decode(buffer) {
      const a = new Float64Array(buffer);
      const out = new Array<T>(a.length / n);
      for (let k = 0, o = 0; o < a.length; k++) {
        out[k] = numericRecordAt(listed, a, o) as T;
        o += n;
      }
      return out;
    },
  } as RecordCodec<T>;
}

/**
 * On a numeric codec, its fields: the worker exchange then writes such records straight into its
 * op buffer and builds them again as they are dispatched, instead of holding a batch of objects on
 * both sides (which lived long enough to be promoted: most of the exchange's GC).
 */
export const NUMERIC_FIELDS: unique symbol = Symbol("vigil.numericFields");

/** The fields of a codec made by `numericRecordCodec`, or undefined. */
export function numericFieldsOf(codec: RecordCodec<unknown>): readonly string[] | undefined {
  return (codec as { [NUMERIC_FIELDS]?: readonly string[] })[NUMERIC_FIELDS];
}

/**
 * The record at `o`: fields assigned in one order, so every record gets the same hidden class;
 * whole numbers come back as small integers, as they were sent, not as boxed doubles (which made
 * every state lookup and arithmetic on a decoded record slower than on a local one).
 */
export function numericRecordAt(fields: readonly string[], a: Float64Array, o: number): Record<string, number> {
  const r: Record<string, number> = {};
  for (let i = 0; i < fields.length; i++) {
    const x = a[o + i];
    r[fields[i]] = (x | 0) === x && (x !== 0 || 1 / x > 0) ? x | 0 : x; // (-0 stays -0)
  }
  return r;
}
