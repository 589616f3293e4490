/**
 * The event model every rule in patterns/ reads: one stream, several event types told apart by
 * `type`. Card events carry `cardId` and `accountId`; login and account events carry only
 * `accountId` (so card-keyed rules never see them). Times are epoch ms in `ts`. `eventId` is
 * given when the file is written, in time order, so it says nothing about which events are fraud.
 */

/** Where an event happened: a shop's location, an online merchant's office, a login's IP. */
export interface Geo {
  readonly city: string;
  readonly country: string;
  readonly lat: number;
  readonly lon: number;
}

/** An authorization-feed record: purchase, refund, pre-authorization (`auth`) and its `capture`. */
export interface CardEvent {
  readonly type: "purchase" | "refund" | "auth" | "capture";
  readonly status: "approved" | "declined";
  readonly declineReason?: string;
  readonly cardId: string;
  readonly accountId: string;
  readonly amount: number;
  readonly currency: "EUR";
  readonly merchant: string;
  readonly mcc: string;
  /** Chip or contactless at a terminal; false for online (card-not-present) payments. */
  readonly cardPresent: boolean;
  readonly geo: Geo;
  readonly ts: number;
}

/** A login attempt; `geo` is where the IP is. */
export interface LoginEvent {
  readonly type: "login";
  readonly accountId: string;
  readonly success: boolean;
  readonly deviceId: string;
  readonly ip: string;
  readonly geo: Geo;
  readonly ts: number;
}

/** A password reset, by a link sent by email or a code sent by SMS. */
export interface PasswordResetEvent {
  readonly type: "password_reset";
  readonly accountId: string;
  readonly channel: "email" | "sms";
  readonly ts: number;
}

/** A device the account had never used, enrolled after a successful login. */
export interface NewDeviceEvent {
  readonly type: "new_device";
  readonly accountId: string;
  readonly deviceId: string;
  readonly ts: number;
}

/** A credit-limit change on the account (all its cards). */
export interface LimitIncreaseEvent {
  readonly type: "limit_increase";
  readonly accountId: string;
  readonly oldLimit: number;
  readonly newLimit: number;
  readonly ts: number;
}

/** An outgoing bank transfer; those of 250 or more, or to a new payee, need a 2FA confirmation. */
export interface TransferEvent {
  readonly type: "transfer";
  readonly accountId: string;
  readonly transferId: string;
  readonly amount: number;
  readonly currency: "EUR";
  readonly payee: string;
  readonly newPayee: boolean;
  readonly channel: "app" | "web";
  readonly deviceId: string;
  readonly ts: number;
}

/** The customer confirmed transfer `transferId` with a second factor. */
export interface TwoFactorEvent {
  readonly type: "2fa_confirmed";
  readonly accountId: string;
  readonly transferId: string;
  readonly method: "push" | "sms";
  readonly deviceId: string;
  readonly ts: number;
}

/** Any event of the stream, before it gets its `eventId`. */
export type FraudEvent = CardEvent | LoginEvent | PasswordResetEvent | NewDeviceEvent | LimitIncreaseEvent | TransferEvent | TwoFactorEvent;

/** Transfers that the bank makes the customer confirm with a second factor. */
export const needs2fa = (t: { amount: number; newPayee: boolean }): boolean => t.amount >= 250 || t.newPayee;

/** An alert a scenario must raise: the rule, its key, and the event time of the completing event. */
export interface ExpectedAlert {
  readonly rule: string;
  readonly key: string | string[];
  readonly time: number;
  /** The scenario that planted it, for people reading the file. */
  readonly scenario: string;
}
