/** Pattern files: the JSON rule format and its schema, module (`*.ts`) rule files, and the loader that turns files into runnable rules. */
export { loadRuleText, loadRuleFile, loadRules, loadRulesOrThrow, isRuleFileName, type LoadAllResult } from "./loader.js";
export type { LoadedRule, LoadResult, BuildAlertOptions } from "./loaded-rule.js";
export { loadRuleModule, loadRuleExport, isModuleFile, MODULE_EXTENSIONS } from "./module-file.js";
export { definePatternFile, type PatternFileModule } from "./pattern-file-module.js";
export { formatIssue, RuleLoadError, type RuleIssue } from "./issue.js";
export { parseDuration, formatDuration } from "./duration.js";
export { parseEventTime } from "./event-time.js";
export { parseFieldPath, readPath, type PathSegment } from "./field-path.js";
export type { ExtractedKey, KeyPart, RuleKey } from "./key.js";
export type { RuleDoc, RuleHeaderDoc, StageDoc, SingleStageDoc, GroupStageDoc, AlertDoc } from "./rule-doc.js";
export { validateSchema, schemaPath, type SchemaVariant } from "./schema.js";
export type { RuleEvent } from "./build-pattern.js";
