/**
 * A record a source read but could not turn into a value (it does not decode, fails its schema,
 * or has no usable timestamp). The job goes on without it; the connector hands it to the
 * `deadLetters` callback of its options, counts it and logs the first few.
 *
 * One flat shape for every connector, so one dead-letter file or topic can take them all: the
 * fields that say where the record came from are those of its connector.
 */
export interface DeadLetter {
  /** The source's name. */
  readonly source: string;
  /** Why it was refused: the decoder's or validator's message. */
  readonly reason: string;
  /** The record as read: its text, or for bytes that are not UTF-8 text, base64 prefixed "base64:". */
  readonly raw: string;
  /** Files: the path, the 1-based line number, and the line's byte offset (`offset`). */
  readonly file?: string;
  readonly line?: number;
  /** Files: the line's byte offset. Kafka: the record's offset in its partition. */
  readonly offset?: number | string;
  /** Kafka. */
  readonly topic?: string;
  readonly partition?: number;
  /** NATS and JetStream. */
  readonly subject?: string;
  readonly streamSequence?: number;
}

/** Receives dead letters. With worker threads it runs in the worker that read the record. */
export type DeadLetterHandler = (d: DeadLetter) => void;

/** `raw` for a dead letter: the bytes as text when they are valid UTF-8, else base64. */
export function rawText(bytes: Uint8Array | string | null | undefined): string {
  if (bytes === null || bytes === undefined) return "";
  if (typeof bytes === "string") return bytes;
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return "base64:" + Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
  }
}
