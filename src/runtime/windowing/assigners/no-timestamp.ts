import { JobError } from "../../../errors.js";

/** The error an event-time assigner throws for a record without a (finite) timestamp. */
export function noTimestampError(assigner: string, timestamp: number): JobError {
  return new JobError(
    `${assigner}: a record has no event-time timestamp (got ${timestamp}); give the source a WatermarkStrategy ` +
      "with a timestamp assigner or call assignTimestampsAndWatermarks(...) before windowing, or use a processing-time assigner",
    { code: "JOB_NO_TIMESTAMP" },
  );
}

/** Throws `JobError` unless `ms` is a finite number (> 0 when `positive`). */
export function checkMs(what: string, ms: number, positive: boolean): void {
  if (typeof ms !== "number" || !Number.isFinite(ms) || (positive && !(ms > 0))) {
    throw new JobError(`${what} must be a finite number${positive ? " > 0" : ""} of ms, got ${String(ms)}`);
  }
}
