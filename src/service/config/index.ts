/** The service config (`vigil.config.json`): its schema, loading, defaults and environment overrides. */
export { loadConfig, resolveConfig, formatConfigIssue, ConfigError, CONFIG_ENV, DEFAULT_OUT_OF_ORDERNESS_MS, DEFAULT_IDLENESS_MS, DEFAULT_API_HOST, DEFAULT_API_PORT, DEFAULT_API_TOKEN_ENV } from "./load-config.js";
export { validateConfigSchema, configSchemaPath, type ConfigIssue } from "./config-schema.js";
export type { VigilConfig, SourceConfig, SinkConfig, ApiConfig, ReloadConfig, ControlConfig, NatsControlConfig, KafkaControlConfig, DeadLettersConfig } from "./config-types.js";
