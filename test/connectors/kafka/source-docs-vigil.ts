/**
 * "vigil" for the docs examples: the package's entry point, plus the Kafka source until
 * src/connectors/index.ts exports it (an explicit export wins over the `export *` then).
 */
export * from "../../../src/index.js";
export { KafkaSource } from "../../../src/connectors/kafka/source.js";
