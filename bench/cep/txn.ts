/**
 * The event type of the CEP benchmark: one card event (a purchase, or a step-up verification
 * that an issuer asks for after a risky online purchase).
 *
 * Every field is set in the same order by {@link makeTxn} so that all events share one hidden
 * class, as a well-written producer's events would.
 */
export interface Txn {
  /** Position in the generated stream, 0-based; unique, used to normalise matches. */
  readonly id: number;
  readonly cardId: number;
  /** Event time, milliseconds since the epoch; strictly increasing over the whole stream. */
  readonly ts: number;
  /** US dollars, two decimals. A verification carries the amount of the purchase it verifies. */
  readonly amount: number;
  readonly merchant: string;
  /** ISO 3166 alpha-2 country of the acceptor; cards are all US-issued. */
  readonly country: string;
  readonly channel: Channel;
  readonly kind: TxnKind;
}

/** Where the card was used. */
export type Channel = "pos" | "ecom" | "atm";

/** A purchase, or the step-up verification (3-D Secure style) of an earlier online purchase. */
export type TxnKind = "purchase" | "verification";

/** The issuing country of every generated card. */
export const HOME_COUNTRY = "US";

/** Builds a {@link Txn} with a fixed property order (one hidden class for the whole stream). */
export function makeTxn(
  id: number,
  cardId: number,
  ts: number,
  amount: number,
  merchant: string,
  country: string,
  channel: Channel,
  kind: TxnKind,
): Txn {
  return { id, cardId, ts, amount, merchant, country, channel, kind };
}
