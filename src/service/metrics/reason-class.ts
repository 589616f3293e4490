/**
 * The class of a dead letter's reason, a label with few values: the reasons themselves carry
 * the decoder's message (a position, a bad value), one label value per record would make a
 * series per record.
 */
export type ReasonClass = "decode" | "schema" | "event_time" | "empty" | "other";

export const REASON_CLASSES: readonly ReasonClass[] = ["decode", "schema", "event_time", "empty", "other"];

/**
 * Classifies a dead letter's reason: `empty` (a Kafka tombstone, an empty record), `event_time`
 * (no usable event time), `schema` (decoded, but a field is missing or has the wrong type),
 * `decode` (a codec could not parse it: `jsonl: ...`, `csv: ...`, `<deserializer>: ...`), else
 * `other`. A reason that already is a class name is that class.
 */
export function reasonClass(reason: string): ReasonClass {
  if ((REASON_CLASSES as readonly string[]).includes(reason)) return reason as ReasonClass;
  const r = reason.toLowerCase();
  if (r.includes("tombstone") || r.includes("has no value") || r.includes("empty record")) return "empty";
  if (r.includes("event time") || r.includes("event-time") || r.includes("timestamp") || r.includes("number of ms nor a date")) return "event_time";
  if (/schema|is required|required property|is empty, and it is required|is not (a|an) |expected \d+|must be|should be/.test(r)) return "schema";
  if (/^[\w.-]+: /.test(reason) || r.includes("json") || r.includes("unexpected token") || r.includes("malformed")) return "decode";
  return "other";
}
