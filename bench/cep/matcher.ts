/**
 * The shape shared by the hand-written single-purpose matchers of the benchmark.
 */
import type { Txn } from "./txn.js";

/** A match as Vigil reports it: stage name to the events it took, keys in pattern order. */
export type TxnMatch = Record<string, Txn[]>;

/** Receives each match a matcher finds. */
export type AlertSink = (match: TxnMatch) => void;

/**
 * A hand-written matcher for one rule, keeping its per-card state in a `Map`, fed one event at a
 * time in stream order. `flush` is the end of the input (time advances to infinity).
 */
export interface Matcher {
  process(e: Txn): void;
  flush(): void;
}
