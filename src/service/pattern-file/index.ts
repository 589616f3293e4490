/** Pattern files: the JSON rule format, its schema, and the loader that turns files into runnable rules. */
export { loadRuleText, loadRuleFile, loadRules, loadRulesOrThrow, type LoadedRule, type LoadResult, type LoadAllResult, type BuildAlertOptions } from "./loader.js";
export { formatIssue, RuleLoadError, type RuleIssue } from "./issue.js";
export { parseDuration, formatDuration } from "./duration.js";
export { parseEventTime } from "./event-time.js";
export { parseFieldPath, readPath, type PathSegment } from "./field-path.js";
export type { ExtractedKey, KeyPart, RuleKey } from "./key.js";
export type { RuleDoc, StageDoc, SingleStageDoc, GroupStageDoc, AlertDoc } from "./rule-doc.js";
export { validateSchema, schemaPath } from "./schema.js";
export type { RuleEvent } from "./build-pattern.js";
