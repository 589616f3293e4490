/**
 * Fraud scenarios: each plants one attack on accounts no clean traffic touches, starting at a
 * known time, and says which alert it must raise (rule, key, time of the completing event).
 * Amounts, counts and gaps vary with the seed within each rule's thresholds. Every scenario
 * lasts less than {@link SCENARIO_SPAN_MS}.
 */
import { cardEvent, confirm2fa, login, transfer } from "./builders.js";
import type { ExpectedAlert, FraudEvent } from "./events.js";
import { ipIn, type Account, type Population } from "./population.js";
import { cents, type Rng } from "./random.js";
import { CITIES, FAR_CITIES, categoryByCode, geoOf, onlineMerchants, shop, type Merchant } from "./world.js";

/** A second, in ms. */
export const S = 1000;
/** A day, in ms. */
export const DAY = 86_400_000;
/** No scenario's events span more than this (the window must be longer). */
export const SCENARIO_SPAN_MS = 5 * 60 * S;

/** What a scenario gets: its own random stream, when to start, and fresh accounts. */
export interface ScenarioContext {
  readonly rng: Rng;
  readonly population: Population;
  /** The scenario's first event in the window is at `t0` or later. */
  readonly t0: number;
  /** A fresh account at home for the whole window, which clean traffic will not use. */
  account(): Account;
}

/** The events a scenario plants and the alerts they must raise (without the scenario's name). */
export interface Planted {
  readonly events: FraudEvent[];
  readonly expected: Array<Omit<ExpectedAlert, "scenario">>;
}

/** A named scenario; `plant` is deterministic for the context's random stream. */
export interface Scenario {
  readonly name: string;
  plant(ctx: ScenarioContext): Planted;
}

/** A shop of `category` in the account's home city. */
export const homeShop = (ctx: ScenarioContext, a: Account, category: string): Merchant => {
  const c = categoryByCode(category);
  return shop(a.home, c, ctx.rng.int(0, c.perCity - 1));
};
/** An online merchant selling `category`, other than `not`. */
export const onlineShop = (ctx: ScenarioContext, category: string, not?: Merchant): Merchant =>
  ctx.rng.pick(onlineMerchants(categoryByCode(category)).filter((m) => m.id !== not?.id));
/** A login from the customer's own device at home. */
export const ownLogin = (a: Account, ts: number) => login(a, ts, true, a.devices[0], a.ip, geoOf(a.home));

/** One scenario per rule of patterns/, each raising exactly that rule's alert. */
export const FRAUD_SCENARIOS: readonly Scenario[] = [
  {
    // A stolen card number checked with tiny online charges, then used for one big one elsewhere.
    name: "card-testing",
    plant(ctx) {
      const { rng } = ctx;
      const a = ctx.account();
      const card = a.cards[0];
      const probeShop = onlineShop(ctx, "digital");
      const events: FraudEvent[] = [];
      let t = ctx.t0;
      for (let i = rng.int(3, 5); i > 0; i--, t += rng.int(8, 30) * S) {
        const declineReason = rng.chance(0.4) ? "do_not_honor" : undefined;
        events.push(cardEvent(a, card, probeShop, cents(rng.between(0.5, 1.99)), t, declineReason === undefined ? {} : { declineReason }));
      }
      const big = cardEvent(a, card, onlineShop(ctx, "electronics", probeShop), cents(rng.between(600, 2000)), t + rng.int(20, 120) * S);
      return { events: [...events, big], expected: [{ rule: "card-testing", key: card, time: big.ts }] };
    },
  },
  {
    // A skimmed card cloned abroad: the customer shops at home, the clone minutes later far away.
    name: "impossible-travel",
    plant(ctx) {
      const { rng } = ctx;
      const a = ctx.account();
      const card = a.cards[0];
      const home = cardEvent(a, card, homeShop(ctx, a, "grocery"), cents(rng.between(15, 90)), ctx.t0);
      const far = rng.pick(FAR_CITIES);
      const clone = cardEvent(a, card, shop(far, categoryByCode("electronics"), rng.int(0, 7)), cents(rng.between(300, 1500)), ctx.t0 + rng.int(60, 240) * S);
      return { events: [home, clone], expected: [{ rule: "impossible-travel", key: card, time: clone.ts }] };
    },
  },
  {
    // Phished credentials: reset the password, enrol the fraudster's phone, empty the account.
    name: "account-takeover",
    plant(ctx) {
      const { rng } = ctx;
      const a = ctx.account();
      const where = rng.pick(CITIES.filter((c) => c !== a.home));
      const phone = `dev-${rng.hex(10)}`;
      const reset = ctx.t0;
      const loginAt = reset + rng.int(40, 120) * S;
      const tr = transfer(a, reset + rng.int(150, 240) * S, rng, cents(rng.between(1500, 6000)), true, phone);
      const events: FraudEvent[] = [
        { type: "password_reset", accountId: a.id, channel: "email", ts: reset },
        login(a, loginAt, true, phone, ipIn(where.country, rng), geoOf(where)),
        { type: "new_device", accountId: a.id, deviceId: phone, ts: loginAt + S },
        tr,
        confirm2fa(tr, tr.ts + rng.int(10, 40) * S, phone), // the new phone confirms it
      ];
      return { events, expected: [{ rule: "account-takeover", key: a.id, time: tr.ts }] };
    },
  },
  {
    // Credential stuffing: many failed logins from rotating IPs and devices, then one that works.
    name: "brute-force-login",
    plant(ctx) {
      const { rng } = ctx;
      const a = ctx.account();
      const failures = [];
      let t = ctx.t0;
      for (let i = rng.int(7, 14); i > 0; i--, t += rng.int(5, 15) * S) {
        const from = rng.pick(CITIES);
        failures.push(login(a, t, false, `dev-${rng.hex(10)}`, ipIn(from.country, rng), geoOf(from)));
      }
      const success = { ...failures[failures.length - 1], success: true, ts: t };
      const events: FraudEvent[] = [...failures, success, { type: "new_device", accountId: a.id, deviceId: success.deviceId, ts: t + S }];
      return { events, expected: [{ rule: "brute-force-login", key: a.id, time: success.ts }] };
    },
  },
  {
    // Bust-out: a limit increase, then the new limit spent within minutes on resellable goods.
    name: "bust-out",
    plant(ctx) {
      const { rng } = ctx;
      const a = ctx.account();
      const oldLimit = rng.pick([2000, 3000, 4000]);
      const newLimit = rng.pick([8000, 10000, 12000, 15000]);
      const total = newLimit * rng.between(0.92, 0.99);
      const n = rng.int(3, 5);
      // the first n-1 purchases stay below 90 % of the limit together; the last one crosses it
      const parts = Array.from({ length: n - 1 }, () => rng.between(1, 2));
      const before = total * rng.between(0.55, 0.8);
      const amounts = [...parts.map((p) => cents((p / parts.reduce((x, y) => x + y, 0)) * before)), 0];
      amounts[n - 1] = cents(total - amounts.reduce((x, y) => x + y, 0));
      const events: FraudEvent[] = [{ type: "limit_increase", accountId: a.id, oldLimit, newLimit, ts: ctx.t0 }];
      let t = ctx.t0 + rng.int(20, 60) * S;
      for (const amount of amounts) {
        const merchant = rng.chance(0.5) ? homeShop(ctx, a, rng.pick(["electronics", "jewellery"])) : onlineShop(ctx, "electronics");
        events.push(cardEvent(a, a.cards[0], merchant, amount, t));
        t += rng.int(20, 50) * S;
      }
      return { events, expected: [{ rule: "bust-out", key: a.id, time: events[events.length - 1].ts }] };
    },
  },
  {
    // An account unused for months wakes up and sends money to a new payee.
    name: "dormant-account",
    plant(ctx) {
      const { rng } = ctx;
      const a = ctx.account();
      const last = ownLogin(a, ctx.t0 - rng.int(95, 400) * DAY);
      const back = ownLogin(a, ctx.t0);
      const tr = transfer(a, ctx.t0 + rng.int(60, 240) * S, rng, cents(rng.between(600, 4000)), true, a.devices[0]);
      const events: FraudEvent[] = [last, back, tr, confirm2fa(tr, tr.ts + rng.int(10, 40) * S, a.devices[0])];
      return { events, expected: [{ rule: "dormant-account", key: a.id, time: tr.ts }] };
    },
  },
  {
    // A transfer pushed through a session the customer never confirms (malware, a hijacked session).
    name: "transfer-without-2fa",
    plant(ctx) {
      const { rng } = ctx;
      const a = ctx.account();
      const tr = transfer(a, ctx.t0 + rng.int(20, 90) * S, rng, cents(rng.between(400, 3000)), true, a.devices[0]);
      return { events: [ownLogin(a, ctx.t0), tr], expected: [{ rule: "transfer-without-2fa", key: [a.id, tr.transferId], time: tr.ts }] };
    },
  },
  {
    // A card run through online shops as fast as possible: the 8th attempt in 10 minutes alerts.
    name: "card-velocity",
    plant(ctx) {
      const { rng } = ctx;
      const a = ctx.account();
      const events: FraudEvent[] = [];
      let t = ctx.t0;
      for (let i = rng.int(8, 12); i > 0; i--, t += rng.int(10, 25) * S) {
        const declineReason = rng.chance(0.2) ? "insufficient_funds" : undefined;
        const merchant = onlineShop(ctx, rng.pick(["digital", "marketplace", "electronics"]));
        events.push(cardEvent(a, a.cards[0], merchant, cents(rng.logNormal(40, 0.6, 5, 300)), t, declineReason === undefined ? {} : { declineReason }));
      }
      return { events, expected: [{ rule: "card-velocity", key: a.cards[0], time: events[7].ts }] };
    },
  },
  {
    // A large hotel pre-authorization that is never captured.
    name: "auth-not-captured",
    plant(ctx) {
      const a = ctx.account();
      const hotel = homeShop(ctx, a, "hotel");
      const auth = cardEvent(a, a.cards[0], hotel, cents(ctx.rng.between(1000, 2500)), ctx.t0, { type: "auth" });
      return { events: [auth], expected: [{ rule: "auth-not-captured", key: [a.cards[0], hotel.id], time: auth.ts }] };
    },
  },
  {
    // Two small purchases refunded at once (probing the card), then a cash-out.
    name: "probe-then-cash-out",
    plant(ctx) {
      const { rng } = ctx;
      const a = ctx.account();
      const card = a.cards[0];
      const m = onlineShop(ctx, "marketplace");
      const events: FraudEvent[] = [];
      let t = ctx.t0;
      for (let i = 0; i < 2; i++) {
        const amount = cents(rng.between(2.5, 4.99));
        events.push(cardEvent(a, card, m, amount, t));
        t += rng.int(10, 40) * S;
        events.push(cardEvent(a, card, m, amount, t, { type: "refund" }));
        t += rng.int(20, 60) * S;
      }
      const cashout = cardEvent(a, card, m, cents(rng.between(300, 1500)), t + rng.int(10, 30) * S);
      events.push(cashout);
      return { events, expected: [{ rule: "probe-then-cash-out", key: card, time: cashout.ts }] };
    },
  },
];
