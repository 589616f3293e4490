/**
 * The service layer's public face: pattern files (loader, schema, condition language), alerts,
 * batch matching, the service config, `vigil run` and the CLI.
 */
export * from "./pattern-file/index.js";
export { compileExpression, compileCondition, parseExpression, checkExpression, ExprError, FUNCTIONS, type CheckScope, type Evaluator, type EvalContext, type Expr } from "./expr/index.js";
export { buildAlert, alertId, canonicalJson, compareAlerts, SEVERITIES, type Alert, type AlertTemplate, type AlertInput, type Severity } from "./alert.js";
export { runRules, type SourceEvent, type DeadLetter, type RuleRunStats, type RunResult } from "./match-runner.js";
export { readJsonLines, type JsonLine } from "./events-file.js";
export { createLogger, jobLogger, ruleLogger, pendingJobLogger, resolveLogFormat, parseLogFormat, LOG_FORMATS, LOG_LEVELS, type Logger, type LogFormat } from "./log.js";
export * from "./metrics/index.js";
export { startApiServer, buildApiServer, apiStateFile, type ApiServer, type ApiServerOptions, type ApiMetrics, type StartApiOptions } from "./api/index.js";
export * from "./config/index.js";
export { startService, runCommand, savepointDirectory, RulesInvalidError, ConsoleAlertSink, AppendFileAlertSink, type RunningService, type ServiceResult, type StartServiceOptions, type RunStats, type ServiceControl, type ServiceObserver, type RuleInfo, type RuleStatistics, type PutRuleResult, type ServiceStatus } from "./run/index.js";
export { main, type CliIo } from "./cli.js";
