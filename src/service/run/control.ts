import type { JobStatus, StoredSnapshot } from "../../runtime/index.js";
import type { Alert } from "../alert.js";

/**
 * What a running service offers to its operators: the REST API (`src/service/api`), the
 * `vigil savepoint|stop|status` commands behind it, and tests. `startService` implements it; the
 * API is written against this interface only, so it can be tested with a fake.
 */
export interface ServiceControl {
  /** The job's id (also on every log line about the job). */
  readonly jobId: string;
  status(): ServiceStatus;
  /** Every rule the service runs now, including old versions still finishing their partial matches. */
  rules(): RuleInfo[];
  /** One rule by id (its newest version), with the document it was loaded from. */
  getRule(id: string): (RuleInfo & { readonly document: unknown }) | undefined;
  /**
   * Validates a pattern document (the pattern-file JSON shape) and, if valid, deploys it as rule
   * `id` (the document's `id` must equal it): written into the pattern folder and swapped in as a
   * changed file is. Invalid: nothing changes and every problem is returned, one line each.
   */
  putRule(id: string, document: unknown): Promise<PutRuleResult>;
  /** Stops rule `id` and drops its state (as removing its file does); false if there is no such rule. */
  deleteRule(id: string): Promise<boolean>;
  /** Per-rule counters since the service started. */
  ruleStats(): RuleStatistics[];
  /** Completed checkpoints and savepoints of this run, oldest first. */
  checkpoints(): readonly StoredSnapshot[];
  triggerCheckpoint(): Promise<StoredSnapshot>;
  /** A savepoint under the configured savepoint folder (or `directory`); resolves to its path. */
  triggerSavepoint(directory?: string): Promise<string>;
  /** Graceful stop as on SIGTERM (the configured savepoint or final checkpoint); resolves to its path. */
  stop(): Promise<string | undefined>;
}

export interface ServiceStatus {
  readonly jobId: string;
  readonly jobName: string;
  readonly status: JobStatus;
  /** Wall-clock ms when the service started. */
  readonly startedAt: number;
  /** The checkpoint or savepoint it resumed from. */
  readonly restoredFrom: string | undefined;
  readonly rules: number;
  readonly sources: readonly string[];
}

export interface RuleInfo {
  readonly id: string;
  readonly version: number;
  readonly description: string | undefined;
  readonly source: string;
  /** The pattern file it came from (or `api:` / `control:` for rules deployed otherwise). */
  readonly file: string;
  /** `active`: starts new partial matches; `draining`: an old version finishing the partial matches it started. */
  readonly state: "active" | "draining";
}

export type PutRuleResult =
  | { readonly ok: true; readonly rule: RuleInfo; readonly created: boolean }
  | { readonly ok: false; readonly errors: readonly string[] };

export interface RuleStatistics {
  readonly rule: string;
  readonly version: number;
  readonly events: number;
  readonly skipped: number;
  readonly invalid: number;
  readonly late: number;
  readonly alerts: number;
  readonly timeouts: number;
}

/**
 * Hooks the service job calls as records pass (metrics implement it). Called on the hot path:
 * implementations only count, never block or throw.
 */
export interface ServiceObserver {
  /** A record read from a source (before any rule looks at it). */
  eventRead?(source: string): void;
  /** A record of a source that went to the dead letters (malformed, no event time, ...). */
  deadLetter?(source: string, reason: string): void;
  /** An alert (or a timed-out alert) built by a rule; `alert.detectedAt - alert.time` is its latency. */
  alertEmitted?(alert: Alert): void;
  /** An alert handed to sink `sink`. */
  alertRouted?(sink: string, alert: Alert): void;
  /** An event behind the watermark, not matched, for rule group `source`. */
  lateEvent?(source: string): void;
}
