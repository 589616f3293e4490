/** Event builders shared by the clean traffic and the fraud scenarios, so both look the same. */
import type { CardEvent, Geo, LoginEvent, TransferEvent, TwoFactorEvent } from "./events.js";
import type { Account } from "./population.js";
import { Rng } from "./random.js";
import type { Merchant } from "./world.js";

/** What differs between card events beyond card, merchant, amount and time. */
export interface CardEventOptions {
  readonly type?: CardEvent["type"];
  readonly declineReason?: string;
  /** Defaults to true for a shop with a terminal: merchants whose id starts with `m-web-` are online. */
  readonly cardPresent?: boolean;
}

/** A card event at `merchant`; declined when `declineReason` is given. */
export function cardEvent(a: Account, cardId: string, merchant: Merchant, amount: number, ts: number, o: CardEventOptions = {}): CardEvent {
  return {
    type: o.type ?? "purchase",
    status: o.declineReason === undefined ? "approved" : "declined",
    ...(o.declineReason !== undefined && { declineReason: o.declineReason }),
    cardId,
    accountId: a.id,
    amount,
    currency: "EUR",
    merchant: merchant.id,
    mcc: merchant.category.mcc,
    cardPresent: o.cardPresent ?? !merchant.id.startsWith("m-web-"),
    geo: merchant.geo,
    ts,
  };
}

/** A login attempt from `deviceId` at `ip`, located at `geo`. */
export function login(a: Account, ts: number, success: boolean, deviceId: string, ip: string, geo: Geo): LoginEvent {
  return { type: "login", accountId: a.id, success, deviceId, ip, geo, ts };
}

/** An outgoing transfer with a fresh id, to a new payee (an IBAN) or one of the account's usual payees. */
export function transfer(a: Account, ts: number, rng: Rng, amount: number, newPayee: boolean, deviceId: string): TransferEvent {
  return {
    type: "transfer",
    accountId: a.id,
    transferId: `tr-${rng.hex(12)}`,
    amount,
    currency: "EUR",
    payee: newPayee ? iban(rng) : `${a.id}-payee-${rng.int(1, 6)}`,
    newPayee,
    channel: rng.chance(0.7) ? "app" : "web",
    deviceId,
    ts,
  };
}

/** The 2FA confirmation of transfer `t`, made on `deviceId`. */
export function confirm2fa(t: TransferEvent, ts: number, deviceId: string): TwoFactorEvent {
  return { type: "2fa_confirmed", accountId: t.accountId, transferId: t.transferId, method: "push", deviceId, ts };
}

function iban(rng: Rng): string {
  const country = rng.pick(["DE", "FR", "ES", "IT", "NL", "BE", "PL", "LT", "RO"]);
  let digits = "";
  while (digits.length < 18) digits += String(rng.int(0, 9));
  return `${country}${rng.int(10, 99)}${digits}`;
}
