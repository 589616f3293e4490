/** `vigil run`: the service job built from the config and the pattern files. */
export { startService, savepointDirectory, RulesInvalidError, type RunningService, type ServiceResult, type StartServiceOptions } from "./run-service.js";
export { buildServiceJob, checkRulesAgainstConfig, versionOf, type RunStats, type BuildJobOptions, type ServiceJob } from "./build-job.js";
export { ConsoleAlertSink, AppendFileAlertSink, buildSink } from "./alert-sinks.js";
export { buildSource } from "./service-sources.js";
export { EventIdentities } from "./event-identity.js";
export { runCommand, type RunCommandOptions } from "./run-command.js";
export type { ServiceControl, ServiceStatus, RuleInfo, PutRuleResult, RuleStatistics, ServiceObserver } from "./control.js";
