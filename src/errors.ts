/**
 * Vigil's error hierarchy, after kafkajs: every error has a stable `code`, says whether the
 * operation may be retried, and keeps its `cause`. Callers decide by `retriable`, never by
 * parsing messages.
 */
export class VigilError extends Error {
  /** Stable machine-readable code, e.g. `PATTERN_INVALID`. */
  readonly code: string;
  /** Whether repeating the failed operation may succeed. */
  readonly retriable: boolean;

  constructor(message: string, options: { code: string; retriable?: boolean; cause?: unknown }) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = options.code;
    this.retriable = options.retriable ?? false;
  }
}

/**
 * A pattern that cannot be built or compiled. Thrown at build or compile time, never while
 * events are processed. `stage` names the stage concerned (when one is); `rule` is a short
 * identifier of the rule broken (e.g. `duplicate-name`, `not-followed-by-at-end-without-within`).
 */
export class PatternError extends VigilError {
  readonly stage: string | undefined;
  readonly rule: string;

  constructor(rule: string, message: string, stage?: string, cause?: unknown) {
    super(stage === undefined ? message : `stage "${stage}": ${message}`, {
      code: "PATTERN_INVALID",
      retriable: false,
      cause,
    });
    this.rule = rule;
    this.stage = stage;
  }
}

/** State that cannot be read, written, snapshotted or restored (a backend failure or misuse). */
export class StateError extends VigilError {
  constructor(message: string, options: { code?: string; retriable?: boolean; cause?: unknown } = {}) {
    super(message, { code: options.code ?? "STATE_ERROR", retriable: options.retriable, cause: options.cause });
  }
}

/** A job that cannot be built or run: an invalid graph, a misused API, a failed task. */
export class JobError extends VigilError {
  constructor(message: string, options: { code?: string; retriable?: boolean; cause?: unknown } = {}) {
    super(message, { code: options.code ?? "JOB_ERROR", retriable: options.retriable, cause: options.cause });
  }
}
