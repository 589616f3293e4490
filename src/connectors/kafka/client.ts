import { Kafka, logLevel, type KafkaConfig, type LogEntry, type SASLOptions } from "kafkajs";
import { VigilError } from "../../errors.js";
import { runtimeLogger, type Logger } from "../../runtime/logger.js";

/**
 * How to reach a Kafka cluster. Credentials never go in here as literals from config files: SASL
 * user and password come from the environment (`KAFKA_SASL_USERNAME`, `KAFKA_SASL_PASSWORD`,
 * `KAFKA_SASL_MECHANISM`), and are never logged.
 */
export interface KafkaConnectionOptions {
  /** "host:port" of one or more brokers; default `KAFKA_BROKERS` split on commas. */
  readonly brokers?: readonly string[];
  /** Default "vigil". */
  readonly clientId?: string;
  /** TLS: `true`, or node:tls options. Default: true when `KAFKA_SSL=true`. */
  readonly ssl?: KafkaConfig["ssl"];
  /** SASL; default from the environment variables above when `KAFKA_SASL_USERNAME` is set. */
  readonly sasl?: SASLOptions;
  readonly connectionTimeoutMs?: number;
  readonly requestTimeoutMs?: number;
  /** kafkajs's own retries of a request (default: kafkajs's, 5 with backoff). */
  readonly retries?: number;
}

/** The brokers to use: the option, else `KAFKA_BROKERS`; throws a clear error when neither is set. */
export function resolveBrokers(options: KafkaConnectionOptions, where: string): string[] {
  const list = options.brokers ?? (process.env.KAFKA_BROKERS ?? "").split(",");
  const brokers = list.map((b) => b.trim()).filter((b) => b.length > 0);
  if (brokers.length === 0) {
    throw new VigilError(`${where}: no Kafka brokers: pass brokers: ["host:port"] or set KAFKA_BROKERS`, { code: "CONNECTOR_CONFIG_INVALID" });
  }
  for (const b of brokers) {
    if (!/^[^\s:]+:\d+$/.test(b)) throw new VigilError(`${where}: broker "${b}" is not host:port`, { code: "CONNECTOR_CONFIG_INVALID" });
  }
  return brokers;
}

function saslFromEnv(): SASLOptions | undefined {
  const username = process.env.KAFKA_SASL_USERNAME;
  if (username === undefined || username === "") return undefined;
  const password = process.env.KAFKA_SASL_PASSWORD ?? "";
  const mechanism = (process.env.KAFKA_SASL_MECHANISM ?? "plain").toLowerCase();
  if (mechanism !== "plain" && mechanism !== "scram-sha-256" && mechanism !== "scram-sha-512") {
    throw new VigilError(`KAFKA_SASL_MECHANISM must be plain, scram-sha-256 or scram-sha-512, got "${mechanism}"`, { code: "CONNECTOR_CONFIG_INVALID" });
  }
  return { mechanism, username, password } as SASLOptions;
}

/** kafkajs's log lines into pino, at their own level, without kafkajs's payloads of credentials. */
function logCreator(log: Logger) {
  return () =>
    ({ level, log: entry }: LogEntry) => {
      const { message, ...rest } = entry;
      const fields = { kafka: rest.logger ?? "kafkajs", broker: rest.broker, groupId: rest.groupId, error: rest.error };
      if (level === logLevel.ERROR) log.error(fields, message);
      else if (level === logLevel.WARN) log.warn(fields, message);
      else if (level === logLevel.INFO) log.debug(fields, message);
      else log.trace(fields, message);
    };
}

/** A kafkajs client for these options, logging through pino. */
export function createKafkaClient(options: KafkaConnectionOptions, where: string, log: Logger = runtimeLogger()): Kafka {
  const ssl = options.ssl ?? (process.env.KAFKA_SSL === "true" ? true : undefined);
  const sasl = options.sasl ?? saslFromEnv();
  return new Kafka({
    brokers: resolveBrokers(options, where),
    clientId: options.clientId ?? "vigil",
    ...(ssl === undefined ? {} : { ssl }),
    ...(sasl === undefined ? {} : { sasl }),
    ...(options.connectionTimeoutMs === undefined ? {} : { connectionTimeout: options.connectionTimeoutMs }),
    ...(options.requestTimeoutMs === undefined ? {} : { requestTimeout: options.requestTimeoutMs }),
    ...(options.retries === undefined ? {} : { retry: { retries: options.retries } }),
    logLevel: logLevel.INFO,
    logCreator: logCreator(log),
  });
}
