/** A source of events, as the config names it (`sources.<name>`). Durations are resolved to ms. */
export type SourceConfig =
  | { readonly type: "file"; readonly paths: readonly string[]; readonly watch: boolean; readonly watchIntervalMs: number; readonly outOfOrdernessMs: number; readonly idlenessMs: number }
  | { readonly type: "kafka"; readonly topics: readonly string[]; readonly groupId?: string; readonly offsetReset?: "earliest" | "latest"; readonly outOfOrdernessMs: number; readonly idlenessMs: number }
  | { readonly type: "jetstream"; readonly stream: string; readonly consumer?: string; readonly filterSubjects?: readonly string[]; readonly startFrom?: "all" | "new" | { readonly time: number }; readonly outOfOrdernessMs: number; readonly idlenessMs: number };

/** One output of a named sink. */
export type SinkConfig =
  | { readonly type: "console" }
  | { readonly type: "file"; readonly path: string; readonly directory?: undefined }
  | { readonly type: "file"; readonly directory: string; readonly path?: undefined }
  | { readonly type: "kafka"; readonly topic: string; readonly guarantee?: "at-least-once" | "exactly-once" }
  | { readonly type: "jetstream"; readonly subject: string; readonly stream?: string }
  | { readonly type: "webhook"; readonly url: string; readonly hmac?: boolean; readonly batchSize?: number }
  | { readonly type: "postgres"; readonly table: string };

/**
 * The service's configuration after validation, defaults and environment overrides, with every
 * path absolute (relative ones resolved against the config file's folder).
 */
export interface VigilConfig {
  /** The config file it came from (absolute), or `"(defaults)"`. */
  readonly file: string;
  readonly patterns: string;
  readonly sources: Readonly<Record<string, SourceConfig>>;
  /** Sink name to its outputs (a name may fan out to several). */
  readonly sinks: Readonly<Record<string, readonly SinkConfig[]>>;
  readonly state: { readonly backend: "leveldb" | "heap"; readonly directory: string };
  readonly checkpoints: { readonly intervalMs: number; readonly directory: string; readonly retained: number };
  readonly shutdown: "checkpoint" | "savepoint";
  readonly api: ApiConfig;
  /** Hot reload of the pattern folder (`reload` in the config). */
  readonly reload: ReloadConfig;
  /** A control stream of rule changes for fleets (`control` in the config); absent: none. */
  readonly control: ControlConfig | undefined;
  /** Where malformed events go, with their reason (`deadLetters` in the config); absent: only logged and counted. */
  readonly deadLetters: DeadLettersConfig | undefined;
}

/** The dead-letter output: one JSON document per refused record (the connectors' `DeadLetter` shape). */
export type DeadLettersConfig =
  | { readonly type: "file"; readonly path: string }
  | { readonly type: "nats"; readonly subject: string; readonly servers?: string | readonly string[] };

/** Watching the pattern folder while the service runs (docs/hot-reload.md). */
export interface ReloadConfig {
  readonly watch: boolean;
  /** Quiet time after a change before the folder is looked at (ms). */
  readonly debounceMs: number;
  /** The folder is also looked at this often, for changes `fs.watch` misses (ms). */
  readonly intervalMs: number;
}

/** Rule changes as messages (`{"op":"put","document":{...}}`, `{"op":"delete","id":"..."}`) on a core NATS subject or a Kafka topic. */
export type ControlConfig = NatsControlConfig | KafkaControlConfig;

/** The control stream on a core NATS subject: changes published while a service is down are not seen. */
export interface NatsControlConfig {
  readonly type: "nats";
  /** Server URLs; default `NATS_URL`, else nats://127.0.0.1:4222. */
  readonly servers?: string | readonly string[];
  readonly subject: string;
}

/**
 * The control stream on a Kafka topic: every service reads all its partitions from the earliest
 * offset at each start, without a consumer group (docs/hot-reload.md).
 */
export interface KafkaControlConfig {
  readonly type: "kafka";
  readonly topic: string;
  /** "host:port" of the brokers; default `KAFKA_BROKERS`. Credentials only from `KAFKA_SASL_*`. */
  readonly brokers?: readonly string[];
}

/** The REST API of the running service (`api` in the config). */
export interface ApiConfig {
  readonly enabled: boolean;
  readonly host: string;
  /** 0: any free port. */
  readonly port: number;
  /**
   * True when the port is the default (not set in the file nor by `VIGIL_API_PORT`): if it is
   * taken (another service, a test), any free port is used instead of failing.
   */
  readonly portFallback: boolean;
  /** The environment variable that holds the bearer token (the token never goes in the config). */
  readonly tokenEnv: string;
}
