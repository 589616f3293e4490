import { VigilError } from "../../errors.js";
import type { TypeSerializer } from "../../state/api.js";
import type { EventCodec } from "../serde/v1/nfa-state-codec.js";

/**
 * One key's events waiting for the watermark (the CEP operator's `elementQueueState` in
 * FlinkCEP): kept sorted by timestamp, events of equal timestamp in arrival order, so that
 * releasing everything at or before a watermark is taking a prefix. In-order arrival (the
 * common case) appends; an out-of-order event is inserted after the last event with a
 * timestamp not above its own.
 *
 * Plain data, stored as keyed state with `eventBufferSerializer`; the operator writes it back
 * after every change (`ValueState.update`), as the state API asks.
 */
export class EventBuffer<T> {
  constructor(
    /** Event times in ms, non-decreasing. */
    readonly timestamps: number[] = [],
    /** The events, parallel to `timestamps`. */
    readonly events: T[] = [],
  ) {}

  get size(): number {
    return this.timestamps.length;
  }

  /** The earliest timestamp held, or +Infinity when empty. */
  get minTimestamp(): number {
    return this.timestamps.length === 0 ? Number.POSITIVE_INFINITY : this.timestamps[0];
  }

  /** Adds an event, after every held event whose timestamp is not above `timestamp`. */
  add(timestamp: number, event: T): void {
    const ts = this.timestamps;
    const n = ts.length;
    if (n === 0 || ts[n - 1] <= timestamp) {
      ts.push(timestamp);
      this.events.push(event);
      return;
    }
    const at = this.countUpTo(timestamp);
    ts.splice(at, 0, timestamp);
    this.events.splice(at, 0, event);
  }

  /** How many held events have a timestamp at or before `watermark` (they form a prefix). */
  countUpTo(watermark: number): number {
    const ts = this.timestamps;
    let lo = 0;
    let hi = ts.length;
    if (hi === 0 || ts[hi - 1] <= watermark) return hi;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (ts[mid] <= watermark) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Drops the first `n` events (after they were released). */
  removeFirst(n: number): void {
    if (n <= 0) return;
    this.timestamps.splice(0, n);
    this.events.splice(0, n);
  }
}

const VERSION = 1;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Bytes of an `EventBuffer`: version byte, count (u32), the timestamps as float64 (exact, and
 * infinities survive), then the events as JSON through `codec`.
 */
export function eventBufferSerializer<T>(codec: EventCodec<T>): TypeSerializer<EventBuffer<T>> {
  return {
    serialize(buffer) {
      const n = buffer.timestamps.length;
      const json = encoder.encode(JSON.stringify(buffer.events.map((e) => codec.encode(e))));
      const out = new Uint8Array(5 + 8 * n + json.length);
      const view = new DataView(out.buffer);
      out[0] = VERSION;
      view.setUint32(1, n);
      for (let i = 0; i < n; i++) view.setFloat64(5 + 8 * i, buffer.timestamps[i]);
      out.set(json, 5 + 8 * n);
      return out;
    },
    deserialize(bytes) {
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      if (bytes.length < 5 || bytes[0] !== VERSION) {
        throw new VigilError(`CEP event buffer: unknown format version ${bytes[0]}`, { code: "STATE_CORRUPT" });
      }
      const n = view.getUint32(1);
      const timestamps: number[] = new Array(n);
      for (let i = 0; i < n; i++) timestamps[i] = view.getFloat64(5 + 8 * i);
      const raw = JSON.parse(decoder.decode(bytes.subarray(5 + 8 * n))) as unknown[];
      if (!Array.isArray(raw) || raw.length !== n) {
        throw new VigilError("CEP event buffer: event count does not match the timestamps", { code: "STATE_CORRUPT" });
      }
      return new EventBuffer<T>(timestamps, raw.map((e) => codec.decode(e)));
    },
  };
}
