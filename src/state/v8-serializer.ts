import { deserialize, serialize } from "node:v8";
import type { TypeSerializer } from "./api.js";

/**
 * The default `TypeSerializer`: Node's structured-clone format (`v8.serialize`). Handles plain
 * data, `Map`, `Set`, `Date`, typed arrays, bigints and cycles; class instances come back as
 * plain objects, and functions and symbols cannot be serialised.
 */
export const v8Serializer: TypeSerializer<any> = {
  serialize: (value: unknown): Uint8Array => serialize(value),
  deserialize: (bytes: Uint8Array): any => deserialize(bytes),
};
