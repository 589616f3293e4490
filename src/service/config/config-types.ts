/** A source of events, as the config names it (`sources.<name>`). Durations are resolved to ms. */
export type SourceConfig =
  | { readonly type: "file"; readonly paths: readonly string[]; readonly watch: boolean; readonly watchIntervalMs: number; readonly outOfOrdernessMs: number; readonly idlenessMs: number }
  | { readonly type: "kafka"; readonly topics: readonly string[]; readonly groupId?: string; readonly offsetReset?: "earliest" | "latest"; readonly outOfOrdernessMs: number; readonly idlenessMs: number }
  | { readonly type: "jetstream"; readonly stream: string; readonly consumer?: string; readonly filterSubjects?: readonly string[]; readonly outOfOrdernessMs: number; readonly idlenessMs: number };

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
}
