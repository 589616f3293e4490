import { VigilError } from "../../errors.js";
import { Serializers, type Serializer } from "../format.js";
import type { OutgoingRecord } from "./sink-producers.js";

/** A serializer given by name ("json", "string", "bytes") or as an object. */
export function resolveSerializer<T>(s: Serializer<T> | "json" | "string" | "bytes" | undefined, where: string): Serializer<T> {
  if (s === "json") return Serializers.json<T>();
  if (s === "string") return Serializers.string() as unknown as Serializer<T>;
  if (s === "bytes") return Serializers.bytes() as unknown as Serializer<T>;
  if (typeof s === "object" && s !== null && typeof s.serialize === "function") return s;
  throw new VigilError(`${where}: serializer must be "json", "string", "bytes" or a Serializer, got ${String(s)}`, { code: "SINK_CONFIG_INVALID" });
}

/** How a record becomes a Kafka message: its topic, key, headers and payload. */
export interface RecordShape<T> {
  readonly topic: string | ((value: T) => string);
  readonly key?: (value: T) => string | Uint8Array | null;
  readonly headers?: (value: T) => Readonly<Record<string, string>>;
  readonly serializer: Serializer<T>;
}

/**
 * Turns records into kafkajs messages, synchronously (in `write`), so that a record that cannot be
 * sent fails at once and names itself, instead of failing a whole batch later.
 */
export class KafkaRecordBuilder<T> {
  constructor(
    private readonly where: string,
    private readonly shape: RecordShape<T>,
  ) {}

  /** `timestamp` (ms) becomes the message's timestamp when the record has one; else the broker's clock sets it. */
  build(value: T, timestamp: number): OutgoingRecord {
    const { topic: topicOf, key: keyOf, headers: headersOf, serializer } = this.shape;
    const topic = typeof topicOf === "string" ? topicOf : this.call("topic", () => topicOf(value));
    if (typeof topic !== "string" || topic === "") {
      throw new VigilError(`${this.where}: the topic function returned ${describe(topic)}, not a topic name`, { code: "SINK_ENCODE_FAILED" });
    }
    const payload = this.call(`serializer "${serializer.name}"`, () => serializer.serialize(value));
    if (!(payload instanceof Uint8Array)) {
      throw new VigilError(`${this.where}: serializer "${serializer.name}" returned ${describe(payload)}, not a Uint8Array`, { code: "SINK_ENCODE_FAILED" });
    }
    const key = keyOf === undefined ? undefined : this.call("key", () => keyOf(value));
    if (key !== undefined && key !== null && typeof key !== "string" && !(key instanceof Uint8Array)) {
      throw new VigilError(`${this.where}: the key function returned ${describe(key)}; keys are strings, Uint8Arrays or null`, { code: "SINK_ENCODE_FAILED" });
    }
    const headers = headersOf === undefined ? undefined : this.call("headers", () => headersOf(value));
    if (headers !== undefined) {
      for (const name in headers) {
        if (typeof headers[name] !== "string") {
          throw new VigilError(`${this.where}: header "${name}" is ${describe(headers[name])}; header values are strings`, { code: "SINK_ENCODE_FAILED" });
        }
      }
    }
    return {
      topic,
      message: {
        key: key instanceof Uint8Array ? toBuffer(key) : key,
        value: toBuffer(payload),
        ...(headers === undefined ? {} : { headers: { ...headers } }),
        ...(Number.isFinite(timestamp) && timestamp >= 0 ? { timestamp: String(Math.trunc(timestamp)) } : {}),
      },
    };
  }

  private call<R>(what: string, fn: () => R): R {
    try {
      return fn();
    } catch (e) {
      throw new VigilError(`${this.where}: ${what} threw for a record: ${e instanceof Error ? e.message : String(e)}`, { code: "SINK_ENCODE_FAILED", cause: e });
    }
  }
}

/** A Buffer over the same memory (kafkajs wants Buffers; no copy). */
function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function describe(v: unknown): string {
  if (v === null) return "null";
  if (typeof v === "string") return `"${v}"`;
  return typeof v === "object" ? (v.constructor?.name ?? "an object") : `${typeof v} ${String(v)}`;
}
