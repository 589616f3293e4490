import type { MsgHdrs } from "nats";
import { rawText, type DeadLetterHandler } from "../dead-letter.js";
import type { Deserializer, MessageMeta } from "../format.js";
import type { Logger } from "../../runtime/logger.js";

/** Dead letters logged one by one per reader; later ones are only counted (and logged every 1000th). */
const LOGGED_PER_READER = 10;

/** What `decode` returns for a message that went to the dead letters. */
export const DEAD_LETTER: unique symbol = Symbol("dead letter");

/**
 * Turns NATS payloads into records for one reader: a message that does not decode goes to the
 * dead letters with its subject, stream sequence (JetStream) and the reason; the first few are
 * logged at warn. It never throws, so one bad message never stops the job.
 */
export class MessageDecoder<T> {
  private deadLetters = 0;

  constructor(
    private readonly source: string,
    private readonly deserializer: Deserializer<T>,
    private readonly handler: DeadLetterHandler | undefined,
    private readonly log: Logger,
    private readonly count: () => void,
  ) {}

  decode(data: Uint8Array, subject: string, headers: MsgHdrs | undefined, streamSequence?: number): T | typeof DEAD_LETTER {
    try {
      return this.deserializer.deserialize(data, headers === undefined ? { channel: subject } : metaWithHeaders(subject, headers));
    } catch (e) {
      const reason = `${this.deserializer.name}: ${e instanceof Error ? e.message : String(e)}`;
      this.deadLetter(data, subject, streamSequence, reason);
      return DEAD_LETTER;
    }
  }

  private deadLetter(data: Uint8Array, subject: string, streamSequence: number | undefined, reason: string): void {
    this.deadLetters++;
    this.count();
    const raw = rawText(data);
    if (this.deadLetters <= LOGGED_PER_READER || this.deadLetters % 1000 === 0) {
      this.log.warn(
        { source: this.source, subject, streamSequence, reason, raw: raw.length > 200 ? `${raw.slice(0, 200)}...` : raw, deadLetters: this.deadLetters },
        "malformed message sent to dead letters",
      );
    }
    try {
      this.handler?.(streamSequence === undefined ? { source: this.source, subject, reason, raw } : { source: this.source, subject, streamSequence, reason, raw });
    } catch (e) {
      // a failing handler must not stop the job either
      this.log.error({ source: this.source, err: e }, "the deadLetters handler threw");
    }
  }
}

/** The message's headers as a plain record, built only when the deserializer reads them. */
function metaWithHeaders(subject: string, h: MsgHdrs): MessageMeta {
  let record: Record<string, string> | undefined;
  return {
    channel: subject,
    get headers() {
      if (record === undefined) {
        record = {};
        for (const k of h.keys()) record[k] = h.get(k);
      }
      return record;
    },
  };
}
