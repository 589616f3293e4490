/**
 * Hand-written matcher for the sequence rule, the fastest honest code for this rule alone:
 *
 * `begin("a").where(isAbroadPos).followedBy("b").where(isHomePos).within(10 min)`, no skip.
 *
 * FlinkCEP semantics, reproduced exactly: every `a` starts its own partial match (no skip);
 * `followedBy` ignores non-matching events and takes the *first* matching `b`, so one `b`
 * completes every pending `a` of the card at once and then nothing is pending; `within` is
 * strict (`b.ts - a.ts < window`), and a partial match whose window has passed is dropped before
 * the event that reveals it is looked at. An event matching `b` is offered to the pending
 * partial matches before it may start a new one as an `a` (it cannot be both `a` and `b` of
 * one match).
 */
import type { AlertSink, Matcher } from "./matcher.js";
import { isAbroadPos, isHomePos, TEN_MINUTES_MS } from "./rules.js";
import type { Txn } from "./txn.js";

export class SequenceMatcher implements Matcher {
  /** Per card: the pending `a` events, oldest first (some may have expired, see `process`). */
  private readonly pending = new Map<number, Txn[]>();

  constructor(private readonly emit: AlertSink, private readonly windowMs = TEN_MINUTES_MS) {}

  process(e: Txn): void {
    // Events that are neither `a` nor `b` cannot change any outcome: skip without a lookup.
    // Expired `a`s are then dropped lazily, when the card's next `a` or `b` shows up.
    if (isHomePos(e)) {
      const q = this.pending.get(e.cardId);
      if (q !== undefined && q.length > 0) {
        for (let i = 0; i < q.length; i++) {
          const a = q[i];
          if (e.ts - a.ts < this.windowMs) this.emit({ a: [a], b: [e] });
        }
        q.length = 0;
      }
    }
    if (isAbroadPos(e)) {
      let q = this.pending.get(e.cardId);
      if (q === undefined) {
        q = [];
        this.pending.set(e.cardId, q);
      } else {
        let expired = 0;
        while (expired < q.length && e.ts - q[expired].ts >= this.windowMs) expired++;
        if (expired > 0) q.splice(0, expired);
      }
      q.push(e);
    }
  }

  /** End of input: pending `a`s only time out; this rule reports no timeouts. */
  flush(): void {
    this.pending.clear();
  }
}
