/** Hot reload of rules: the service's rule registry, the job's control stream, the pattern-folder watcher and the remote control stream. */
export { ControlSource, trackEnd, type GroupUpdate } from "./control-source.js";
export {
  ServiceRules,
  groupOf,
  patternIdOf,
  planOf,
  replanReason,
  type RuleVersion,
  type RuleDocument,
  type RuleCounters,
  type RunStats,
  type GroupKey,
  type JobPlan,
} from "./service-rules.js";
export { PatternFolderWatcher, type FolderChange, type FolderWatcherOptions } from "./folder-watcher.js";
export { Reloader, type ReloaderOptions, type JobChange, type ChangeResult } from "./reloader.js";
export { subscribeControl, subscribeNatsControl, applyControlMessage, parseControlMessage, type ControlMessage, type ControlReply, type ControlSubscription } from "./control-stream.js";
export { subscribeKafkaControl, type KafkaControlOptions } from "./kafka-control.js";
