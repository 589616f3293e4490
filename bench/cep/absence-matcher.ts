/**
 * Hand-written matcher for the absence rule, the fastest honest code for this rule alone:
 *
 * `begin("a").where(isRiskyOnline).notFollowedBy("b").where(isVerification).within(5 min)`,
 * no skip.
 *
 * FlinkCEP 1.16+ semantics of `notFollowedBy` at the end: every `a` starts its own partial
 * match; a `b` strictly inside the window (`b.ts - a.ts < window`) discards every pending `a` of
 * the card; when the card's time reaches `a.ts + window` with no such `b`, the match `{ a: [a] }`
 * is emitted. Time advances per card, on that card's events and at the end of input (`flush`,
 * time to infinity), exactly when the engine's per-key `advanceTime` would reveal it. An event
 * matching `b` is looked at before it may start a new partial match as an `a`.
 */
import type { AlertSink, Matcher } from "./matcher.js";
import { FIVE_MINUTES_MS, isRiskyOnline, isVerification } from "./rules.js";
import type { Txn } from "./txn.js";

export class AbsenceMatcher implements Matcher {
  /** Per card: `a` events whose window may still be open, oldest first. */
  private readonly pending = new Map<number, Txn[]>();

  constructor(private readonly emit: AlertSink, private readonly windowMs = FIVE_MINUTES_MS) {}

  process(e: Txn): void {
    // Other events of the card would only reveal closed windows earlier; the alerts are the same,
    // so they are skipped without a lookup and closed windows are found on the next `a` or `b`.
    if (isVerification(e)) {
      const q = this.pending.get(e.cardId);
      if (q !== undefined && q.length > 0) {
        for (let i = 0; i < q.length; i++) {
          const a = q[i];
          if (e.ts - a.ts >= this.windowMs) this.emit({ a: [a] });
        }
        q.length = 0;
      }
    }
    if (isRiskyOnline(e)) {
      let q = this.pending.get(e.cardId);
      if (q === undefined) {
        q = [];
        this.pending.set(e.cardId, q);
      } else {
        let closed = 0;
        while (closed < q.length && e.ts - q[closed].ts >= this.windowMs) {
          this.emit({ a: [q[closed]] });
          closed++;
        }
        if (closed > 0) q.splice(0, closed);
      }
      q.push(e);
    }
  }

  /** End of input: every window closes, every pending `a` is an alert. */
  flush(): void {
    for (const q of this.pending.values()) {
      for (let i = 0; i < q.length; i++) this.emit({ a: [q[i]] });
    }
    this.pending.clear();
  }
}
