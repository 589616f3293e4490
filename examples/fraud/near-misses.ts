/**
 * Near misses: activity that looks like a scenario but stays just on the right side of a rule's
 * threshold, so it must raise nothing. They pin the thresholds down from the other side.
 */
import { cardEvent, confirm2fa, login, transfer } from "./builders.js";
import type { FraudEvent } from "./events.js";
import { cents } from "./random.js";
import { DAY, S, homeShop, onlineShop, ownLogin, type Scenario } from "./scenarios.js";
import { HOME_CITIES, categoryByCode, distanceKm, geoOf, onlineMerchants, shop } from "./world.js";

export const NEAR_MISSES: readonly Scenario[] = [
  {
    // card-testing wants the big charge at another merchant
    name: "tiny-charges-then-big-at-same-merchant",
    plant(ctx) {
      const a = ctx.account();
      const m = onlineShop(ctx, "marketplace");
      const events: FraudEvent[] = [0, 1, 2].map((i) => cardEvent(a, a.cards[0], m, cents(ctx.rng.between(0.5, 1.99)), ctx.t0 + i * 20 * S));
      events.push(cardEvent(a, a.cards[0], m, cents(ctx.rng.between(600, 900)), ctx.t0 + 120 * S));
      return { events, expected: [] };
    },
  },
  {
    // an online purchase from a foreign merchant is not a journey: impossible-travel skips card-not-present
    name: "online-purchase-abroad-between-shop-purchases",
    plant(ctx) {
      const a = ctx.account();
      const card = a.cards[0];
      const usShop = onlineMerchants(categoryByCode("digital")).find((m) => m.geo.country === "US") ?? onlineShop(ctx, "digital");
      const events = [
        cardEvent(a, card, homeShop(ctx, a, "grocery"), 42.1, ctx.t0),
        cardEvent(a, card, usShop, 19.99, ctx.t0 + 60 * S),
        cardEvent(a, card, homeShop(ctx, a, "restaurant"), 37.5, ctx.t0 + 120 * S),
      ];
      return { events, expected: [] };
    },
  },
  {
    // neighbouring cities minutes apart: under impossible-travel's 500 km floor (terminal locations are coarse)
    name: "short-hop-under-500-km",
    plant(ctx) {
      const a = ctx.account();
      const near = HOME_CITIES.filter((c) => c !== a.home && distanceKm(a.home.lat, a.home.lon, c.lat, c.lon) < 450);
      const events = [cardEvent(a, a.cards[0], homeShop(ctx, a, "fuel"), 61.2, ctx.t0)];
      if (near.length > 0) events.push(cardEvent(a, a.cards[0], shop(ctx.rng.pick(near), categoryByCode("restaurant"), 0), 48.9, ctx.t0 + 180 * S));
      return { events, expected: [] };
    },
  },
  {
    // account-takeover wants a transfer of 1,000 or more
    name: "reset-new-phone-small-transfer",
    plant(ctx) {
      const { rng } = ctx;
      const a = ctx.account();
      const phone = `dev-${rng.hex(10)}`;
      const tr = transfer(a, ctx.t0 + 200 * S, rng, cents(rng.between(300, 990)), false, phone);
      const events: FraudEvent[] = [
        { type: "password_reset", accountId: a.id, channel: "sms", ts: ctx.t0 },
        login(a, ctx.t0 + 60 * S, true, phone, a.ip, geoOf(a.home)),
        { type: "new_device", accountId: a.id, deviceId: phone, ts: ctx.t0 + 61 * S },
        tr,
        confirm2fa(tr, tr.ts + 15 * S, phone),
      ];
      return { events, expected: [] };
    },
  },
  {
    // brute-force-login wants six failures
    name: "five-failed-logins-then-success",
    plant(ctx) {
      const a = ctx.account();
      const events: FraudEvent[] = [0, 1, 2, 3, 4].map((i) => login(a, ctx.t0 + i * 15 * S, false, a.devices[0], a.ip, geoOf(a.home)));
      events.push(ownLogin(a, ctx.t0 + 90 * S));
      return { events, expected: [] };
    },
  },
  {
    // bust-out wants 90 % of the new limit spent
    name: "limit-increase-then-modest-spending",
    plant(ctx) {
      const a = ctx.account();
      const events: FraudEvent[] = [{ type: "limit_increase", accountId: a.id, oldLimit: 3000, newLimit: 10000, ts: ctx.t0 }];
      [2400, 1800, 2600].forEach((amount, i) => events.push(cardEvent(a, a.cards[0], homeShop(ctx, a, "electronics"), amount, ctx.t0 + (60 + i * 40) * S)));
      return { events, expected: [] };
    },
  },
  {
    // dormant-account wants 90 days of silence
    name: "quiet-for-60-days",
    plant(ctx) {
      const a = ctx.account();
      const tr = transfer(a, ctx.t0 + 120 * S, ctx.rng, 2000, true, a.devices[0]);
      return { events: [ownLogin(a, ctx.t0 - 60 * DAY), ownLogin(a, ctx.t0), tr, confirm2fa(tr, tr.ts + 20 * S, a.devices[0])], expected: [] };
    },
  },
  {
    // transfer-without-2fa allows five minutes
    name: "2fa-confirmed-after-4-minutes-30",
    plant(ctx) {
      const a = ctx.account();
      const tr = transfer(a, ctx.t0 + 10 * S, ctx.rng, 1200, true, a.devices[0]);
      return { events: [ownLogin(a, ctx.t0), tr, confirm2fa(tr, tr.ts + 270 * S, a.devices[0])], expected: [] };
    },
  },
  {
    // card-velocity wants eight attempts
    name: "seven-purchases-in-5-minutes",
    plant(ctx) {
      const a = ctx.account();
      const events = Array.from({ length: 7 }, (_, i) => cardEvent(a, a.cards[0], homeShop(ctx, a, "fastfood"), cents(ctx.rng.between(6, 20)), ctx.t0 + i * 40 * S));
      return { events, expected: [] };
    },
  },
  {
    // auth-not-captured: captured within the half hour
    name: "hotel-auth-captured",
    plant(ctx) {
      const a = ctx.account();
      const hotel = homeShop(ctx, a, "hotel");
      return {
        events: [cardEvent(a, a.cards[0], hotel, 1400, ctx.t0, { type: "auth" }), cardEvent(a, a.cards[0], hotel, 1320.4, ctx.t0 + 200 * S, { type: "capture" })],
        expected: [],
      };
    },
  },
];
