import { Ajv2020, type ErrorObject, type ValidateFunction } from "ajv/dist/2020.js";
import { VigilError } from "../errors.js";

/** What a message carries beside its payload, for deserializers that need it. */
export interface MessageMeta {
  readonly key?: Uint8Array | null;
  readonly headers?: Readonly<Record<string, string>>;
  /** Topic (Kafka) or subject (NATS). */
  readonly channel?: string;
}

/**
 * Turns a message's payload into a record. Throwing means the message is malformed: the source
 * sends it to its dead letters with the error's message as the reason and goes on.
 */
export interface Deserializer<T> {
  readonly name: string;
  deserialize(payload: Uint8Array, meta: MessageMeta): T;
}

/** Turns a record into a message's payload. */
export interface Serializer<T> {
  readonly name: string;
  serialize(value: T): Uint8Array;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });
const encoder = new TextEncoder();

/** Options of {@link Deserializers.json}. */
export interface JsonDeserializerOptions {
  /**
   * A JSON Schema (draft 2020-12) every record must satisfy; a record that does not goes to the
   * dead letters with ajv's first errors as the reason. Compiled once.
   */
  readonly schema?: object;
}

/** The built-in deserializers. */
export const Deserializers = {
  /** UTF-8 JSON, optionally checked against a JSON Schema. */
  json<T = unknown>(options: JsonDeserializerOptions = {}): Deserializer<T> {
    const validate = options.schema === undefined ? undefined : compileSchema(options.schema);
    return {
      name: validate === undefined ? "json" : "json+schema",
      deserialize(payload) {
        const value = JSON.parse(utf8.decode(payload)) as unknown;
        if (validate !== undefined && !validate(value)) throw new Error(`schema: ${describeErrors(validate.errors)}`);
        return value as T;
      },
    };
  },
  /** The payload as UTF-8 text (invalid UTF-8 is malformed). */
  string(): Deserializer<string> {
    return { name: "string", deserialize: (payload) => utf8.decode(payload) };
  },
  /** The payload's bytes, copied (the client may reuse its buffer). */
  bytes(): Deserializer<Uint8Array> {
    return { name: "bytes", deserialize: (payload) => Uint8Array.prototype.slice.call(payload) };
  },
  /** A user function; what it throws makes the message a dead letter. */
  of<T>(name: string, fn: (payload: Uint8Array, meta: MessageMeta) => T): Deserializer<T> {
    return { name, deserialize: fn };
  },
} as const;

/** The built-in serializers. */
export const Serializers = {
  json<T = unknown>(): Serializer<T> {
    return { name: "json", serialize: (value) => encoder.encode(JSON.stringify(value)) };
  },
  string(): Serializer<string> {
    return { name: "string", serialize: (value) => encoder.encode(value) };
  },
  bytes(): Serializer<Uint8Array> {
    return { name: "bytes", serialize: (value) => value };
  },
  of<T>(name: string, fn: (value: T) => Uint8Array): Serializer<T> {
    return { name, serialize: fn };
  },
} as const;

/** A deserializer given by name ("json", "string", "bytes") or as an object. */
export function resolveDeserializer<T>(d: Deserializer<T> | "json" | "string" | "bytes" | undefined, where: string): Deserializer<T> {
  if (d === undefined || d === "json") return Deserializers.json<T>();
  if (d === "string") return Deserializers.string() as unknown as Deserializer<T>;
  if (d === "bytes") return Deserializers.bytes() as unknown as Deserializer<T>;
  if (typeof d === "object" && typeof d.deserialize === "function") return d;
  throw new VigilError(`${where}: deserializer must be "json", "string", "bytes" or a Deserializer, got ${String(d)}`, { code: "CONNECTOR_CONFIG_INVALID" });
}

function compileSchema(schema: object): ValidateFunction {
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  try {
    return ajv.compile(schema);
  } catch (e) {
    throw new VigilError(`json deserializer: the schema does not compile: ${e instanceof Error ? e.message : String(e)}`, {
      code: "CONNECTOR_CONFIG_INVALID",
      cause: e,
    });
  }
}

/** ajv's errors as one line: `/amount must be number; must have required property 'card'`. */
function describeErrors(errors: ErrorObject[] | null | undefined): string {
  if (!errors || errors.length === 0) return "invalid";
  return errors
    .slice(0, 3)
    .map((e) => `${e.instancePath || "/"} ${e.message ?? "is invalid"}`)
    .join("; ");
}
