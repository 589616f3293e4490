import type { EventCodec } from "../../cep/index.js";
import type { RuleEvent } from "../pattern-file/index.js";

/**
 * What the service knows of an event beyond its content: its source position (for alert ids,
 * e.g. `transactions.jsonl:17`) and, for processing-time rules, when it arrived. Kept beside the
 * event (a WeakMap) so that conditions and alerts see the event exactly as read, and carried
 * through checkpoints by {@link EventIdentities.codec}, so an alert built after a restore has
 * the same id as one built without it.
 */
export class EventIdentities {
  /** Events are JSON objects here (anything else is skipped before it gets this far). */
  readonly positions = new WeakMap<object, string>();
  readonly arrivals = new WeakMap<object, number>();

  /** The CEP operator's event codec: the event with its position and arrival time. */
  readonly codec: EventCodec<RuleEvent> = {
    encode: (event) => {
      const p = this.positions.get(event as object);
      const a = this.arrivals.get(event as object);
      return p === undefined && a === undefined ? { e: event } : { e: event, ...(p !== undefined && { p }), ...(a !== undefined && { a }) };
    },
    decode: (json) => {
      const { e, p, a } = json as { e: RuleEvent; p?: string; a?: number };
      if (p !== undefined) this.positions.set(e as object, p);
      if (a !== undefined) this.arrivals.set(e as object, a);
      return e;
    },
  };

  positionOf = (event: RuleEvent): string | undefined => this.positions.get(event as object);
  arrivalOf = (event: RuleEvent): number | null => this.arrivals.get(event as object) ?? null;
}
