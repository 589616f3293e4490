/**
 * NATS connectors: core NATS (at-most-once) and JetStream (replayable source with positions in
 * checkpoints; sink de-duplicated by `Nats-Msg-Id`).
 */
export { NatsSource, type NatsSourceOptions, type NatsSplit } from "./nats-source.js";
export { NatsSink, type NatsSinkOptions } from "./nats-sink.js";
export { JetStreamSource, type JetStreamSourceOptions, type JetStreamSplit, type JetStreamStart } from "./jetstream-source.js";
export { JetStreamSink, type JetStreamSinkOptions } from "./jetstream-sink.js";
export { connectNats, redactUrl, type NatsConnectionOptions, type NatsHandle } from "./connection.js";
export { JetStreamPublisher, type PublishAck } from "./jetstream-publisher.js";
