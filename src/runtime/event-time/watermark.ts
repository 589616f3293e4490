/** Timestamps and watermarks are milliseconds of event time. */

/** A record that carries no timestamp (none was assigned). */
export const NO_TIMESTAMP = Number.NEGATIVE_INFINITY;
/** The watermark before any was seen. */
export const MIN_WATERMARK = Number.NEGATIVE_INFINITY;
/** The watermark at the end of a bounded input: every timer fires. */
export const MAX_WATERMARK = Number.POSITIVE_INFINITY;
