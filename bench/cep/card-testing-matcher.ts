/**
 * Hand-written matcher for the card-testing rule, the fastest honest code for this rule alone:
 *
 * `begin("small", skipPastLastEvent()).where(isSmall).timesOrMore(3).consecutive()
 *   .followedBy("big").where(isBig).within(10 min)`
 *
 * What the pattern means under FlinkCEP's semantics:
 * - a partial match starts at every small event; `consecutive()` makes its smalls a contiguous
 *   run of the card's events, so any non-small event ends every run in progress;
 * - once a start has three smalls it waits (`followedBy`, relaxed) for the *first* big event of
 *   the card, ignoring everything else, further smalls included; a start whose run never reached
 *   three smalls is dead;
 * - `within` is strict: the big event must come less than 10 minutes after the start;
 * - a big event therefore ends every partial match of the card: those in window match, the rest
 *   had timed out already;
 * - with `skipPastLastEvent`, the first match emitted prunes every other partial or completed
 *   match that started at or before its last event, i.e. all of them: one alert per big event at
 *   most, for the earliest start still in window (FlinkCEP releases completed matches in order of
 *   their start event). Its smalls are the whole run from that start: the loop branch that took
 *   every probe is the one the engine emits first among the matches sharing that start.
 *
 * So the per-card state is the current run of smalls and the earlier runs of three or more whose
 * starts may still be in window; everything is dropped at a big event.
 */
import type { AlertSink, Matcher } from "./matcher.js";
import { isBig, isSmall, TEN_MINUTES_MS } from "./rules.js";
import type { Txn } from "./txn.js";

/** The least number of consecutive smalls (`timesOrMore(3)`). */
const MIN_PROBES = 3;

interface CardState {
  /** The card's current run of consecutive smalls (may be shorter than {@link MIN_PROBES}). */
  run: Txn[];
  /** Finished runs of at least {@link MIN_PROBES} smalls, oldest first, waiting for a big. */
  armed: Txn[][];
}

export class CardTestingMatcher implements Matcher {
  private readonly cards = new Map<number, CardState>();

  constructor(private readonly emit: AlertSink, private readonly windowMs = TEN_MINUTES_MS) {}

  process(e: Txn): void {
    // The two conditions are exclusive (< 2 and > 500), which this rule-specific code relies on.
    if (isSmall(e)) {
      const st = this.cards.get(e.cardId);
      if (st === undefined) this.cards.set(e.cardId, { run: [e], armed: [] });
      else st.run.push(e);
      return;
    }
    const st = this.cards.get(e.cardId);
    if (st === undefined) return;
    if (st.run.length >= MIN_PROBES) st.armed.push(st.run);
    if (isBig(e)) {
      this.cards.delete(e.cardId);
      this.matchBig(st.armed, e);
      return;
    }
    if (st.run.length > 0) st.run = [];
    // Drop runs whose last possible start (three from the end) is out of window for good.
    const armed = st.armed;
    let dead = 0;
    while (dead < armed.length && e.ts - armed[dead][armed[dead].length - MIN_PROBES].ts >= this.windowMs) dead++;
    if (dead > 0) armed.splice(0, dead);
    if (armed.length === 0) this.cards.delete(e.cardId);
  }

  /** End of input: partial matches only time out; this rule reports no timeouts. */
  flush(): void {
    this.cards.clear();
  }

  /** Emits the match of the earliest start in window, if any. */
  private matchBig(armed: Txn[][], big: Txn): void {
    for (let r = 0; r < armed.length; r++) {
      const run = armed[r];
      for (let i = 0; i + MIN_PROBES <= run.length; i++) {
        if (big.ts - run[i].ts < this.windowMs) {
          this.emit({ small: i === 0 ? run : run.slice(i), big: [big] });
          return;
        }
      }
    }
  }
}
