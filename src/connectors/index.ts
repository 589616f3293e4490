/** Vigil's connectors: sources and sinks for external systems, built on the runtime's public face. */
export type { DeadLetter, DeadLetterHandler } from "./dead-letter.js";
export { rawText } from "./dead-letter.js";
export { Deserializers, Serializers, resolveDeserializer, type Deserializer, type Serializer, type MessageMeta, type JsonDeserializerOptions } from "./format.js";
export * from "./files/index.js";
export { KafkaSource, type KafkaSourceOptions, type KafkaStartFrom, type KafkaSplit, type KafkaPartitionSplit, type KafkaDiscoverySplit, type KafkaGroupSplit } from "./kafka/source.js";
export { KafkaSink, type KafkaSinkOptions, type KafkaDeliveryGuarantee, type KafkaCompression } from "./kafka/sink.js";
export type { KafkaTransaction, KafkaSinkState } from "./kafka/sink-transactional.js";
export type { TransactionalProducers, TransactionalProducer, ProducerIdentity, OutgoingRecord, ResumeOutcome } from "./kafka/sink-producers.js";
export { createKafkaClient, resolveBrokers, type KafkaConnectionOptions } from "./kafka/client.js";
export * from "./webhook/index.js";
export * from "./postgres/index.js";
export * from "./nats/index.js";
