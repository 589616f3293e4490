/** Vigil's connectors: sources and sinks for external systems, built on the runtime's public face. */
export type { DeadLetter, DeadLetterHandler } from "./dead-letter.js";
export { rawText } from "./dead-letter.js";
export { Deserializers, Serializers, resolveDeserializer, type Deserializer, type Serializer, type MessageMeta, type JsonDeserializerOptions } from "./format.js";
export * from "./files/index.js";
