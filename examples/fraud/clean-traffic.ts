/**
 * Clean traffic: customers shopping, refuelling, getting refunds, logging in, paying, resetting
 * passwords and getting limit increases, at a rate that follows each city's local time of day.
 *
 * Arrivals are a non-homogeneous Poisson process, drawn by thinning (Lewis and Shedler 1979):
 * candidates at the peak rate, each kept with probability rate(t) / peak. Each kept arrival picks
 * a city by its share of customers times its local activity, then an account living there, then
 * a session.
 *
 * Legitimate customers do trip rules now and then; a file whose expected alerts are exact cannot
 * have that, so every session is checked against {@link CLEAN_LIMITS} (each well inside a rule's
 * threshold) and dropped when it would cross one. The deployment test verifies the result.
 */
import { cardEvent, confirm2fa, login, transfer } from "./builders.js";
import { needs2fa, type FraudEvent } from "./events.js";
import { ipIn, type Account, type Population } from "./population.js";
import { cents, type Rng } from "./random.js";
import { CATEGORIES, DIURNAL_MAX, HOME_CITIES, categoryByCode, diurnal, geoOf, onlineMerchants, shop, tripMs, type Category, type City, type Merchant } from "./world.js";

const S = 1000;
const MIN = 60 * S;
const H = 60 * MIN;

/** What clean traffic never does, and the rule each limit keeps quiet. */
export const CLEAN_LIMITS = {
  /** card-testing (charges under 2) and probe-then-cash-out (purchases under 5). */
  minAmount: 5,
  /** card-velocity fires at 8 purchase attempts of a card within 10 minutes. */
  purchasesPer10Min: 4,
  /** brute-force-login fires at 6 failed logins then a success within 10 minutes. */
  failedLoginsPer20Min: 3,
  /** bust-out fires when purchases reach 90 % of a new limit within 24 hours of the increase. */
  spendShareAfterIncrease: 0.8,
  /** account-takeover: no transfer of 1,000 or more within 2 hours of a reset followed by a new device (the rule: 1 hour). */
  takeoverGuardMs: 2 * H,
  /** transfer-without-2fa allows 5 minutes; clean confirmations come within 90 seconds. */
  max2faDelayMs: 90 * S,
} as const;

/** What {@link cleanTraffic} needs: the population, the window and the mean rate. */
export interface CleanOptions {
  readonly rng: Rng;
  readonly population: Population;
  readonly startMs: number;
  readonly endMs: number;
  /** Mean arrivals per second over a whole day. */
  readonly rate: number;
  /** Accounts the scenarios use: clean traffic leaves them alone. */
  readonly reserved: ReadonlySet<number>;
}

/** What the guards need to remember about an account. */
interface AccountState {
  readonly purchases: Map<string, number[]>;
  failures: number[];
  resets: number[];
  newDeviceAt: number;
  raises: Array<{ at: number; newLimit: number; spent: number }>;
  lastPresent: { ts: number; city: City } | null;
  readonly devices: string[];
  limit: number;
}

type Session = (a: Account, st: AccountState, ts: number) => void;

/** Generates the clean events of [startMs, endMs), unsorted. */
export function cleanTraffic(o: CleanOptions): FraudEvent[] {
  return new CleanTraffic(o).run();
}

class CleanTraffic {
  private readonly events: FraudEvent[] = [];
  private readonly states = new Map<number, AccountState>();
  private readonly rng: Rng;
  private readonly sessions: ReadonlyArray<readonly [Session, number]> = [
    [(a, st, ts) => this.purchase(a, st, ts), 74],
    [(a, st, ts) => this.fuel(a, st, ts), 3],
    [(a, st, ts) => this.refund(a, st, ts), 1],
    [(a, st, ts) => this.login(a, st, ts, 0.004), 17],
    [(a, st, ts) => this.passwordReset(a, st, ts), 0.25],
    [(a, st, ts) => this.limitIncrease(a, st, ts), 0.12],
  ];

  constructor(private readonly o: CleanOptions) {
    this.rng = o.rng;
  }

  run(): FraudEvent[] {
    const { rng, population, rate, startMs, endMs } = this.o;
    const total = HOME_CITIES.reduce((s, c) => s + c.homeWeight, 0);
    const peakPerMs = (rate * DIURNAL_MAX) / S;
    for (let t = startMs; ; ) {
      t += rng.exponential(1 / peakPerMs);
      if (t >= endMs) break;
      const ts = Math.floor(t);
      const activity = HOME_CITIES.map((c) => (c.homeWeight / total) * diurnal(c, ts));
      const perMs = (rate * activity.reduce((s, x) => s + x, 0)) / S;
      if (!rng.chance(perMs / peakPerMs)) continue;
      const city = HOME_CITIES[rng.weighted([...activity.keys()], (i) => activity[i])];
      const index = population.indexIn(city, rng);
      if (this.o.reserved.has(index)) continue;
      const a = population.account(index);
      rng.weighted(this.sessions, ([, w]) => w)[0](a, this.stateOf(a), ts);
    }
    return this.events;
  }

  private stateOf(a: Account): AccountState {
    let st = this.states.get(a.index);
    if (st === undefined) {
      st = { purchases: new Map(), failures: [], resets: [], newDeviceAt: -Infinity, raises: [], lastPresent: null, devices: [...a.devices], limit: a.creditLimit };
      this.states.set(a.index, st);
    }
    return st;
  }

  private purchase(a: Account, st: AccountState, ts: number): void {
    const { rng } = this;
    const cardId = rng.pick(a.cards);
    const recent = (st.purchases.get(cardId) ?? []).filter((x) => x > ts - 10 * MIN);
    if (recent.length >= CLEAN_LIMITS.purchasesPer10Min) return;
    const category = rng.weighted(CATEGORIES, (c) => c.weight);
    const merchant = this.merchantFor(a, st, category, ts);
    if (merchant === undefined) return;
    const amount = cents(rng.logNormal(category.median, category.sigma, CLEAN_LIMITS.minAmount, category.max));
    const declineReason = rng.chance(0.025) ? rng.pick(["insufficient_funds", "do_not_honor", "expired_card"]) : undefined;
    const raises = st.raises.filter((r) => r.at > ts - 26 * H); // the rule looks 24 hours ahead
    if (declineReason === undefined && raises.some((r) => r.spent + amount >= CLEAN_LIMITS.spendShareAfterIncrease * r.newLimit)) return;
    const e = cardEvent(a, cardId, merchant, amount, ts, declineReason === undefined ? {} : { declineReason });
    this.events.push(e);
    st.purchases.set(cardId, [...recent, ts]);
    if (declineReason === undefined) for (const r of raises) r.spent += amount;
    this.notePresence(a, st, e.cardPresent, ts);
  }

  /** A pump pre-authorization, captured for the amount actually pumped. */
  private fuel(a: Account, st: AccountState, ts: number): void {
    const { rng } = this;
    const where = this.o.population.locationAt(a, ts);
    const captureAt = ts + rng.int(90, 420) * S;
    if (where === null || captureAt >= this.o.endMs || !this.plausible(st, where, ts)) return;
    const cardId = rng.pick(a.cards);
    const pump = shop(where, categoryByCode("fuel"), rng.int(0, categoryByCode("fuel").perCity - 1));
    const held = rng.pick([100, 150, 200]);
    this.events.push(cardEvent(a, cardId, pump, held, ts, { type: "auth" }));
    this.events.push(cardEvent(a, cardId, pump, cents(rng.logNormal(55, 0.35, CLEAN_LIMITS.minAmount, held)), captureAt, { type: "capture" }));
    st.lastPresent = { ts, city: where };
  }

  private refund(a: Account, st: AccountState, ts: number): void {
    const category = categoryByCode(this.rng.pick(["clothing", "electronics", "marketplace", "hotel", "airline"]));
    const merchant = this.merchantFor(a, st, category, ts);
    if (merchant === undefined) return;
    const amount = cents(this.rng.logNormal(category.median, category.sigma, CLEAN_LIMITS.minAmount, category.max));
    const e = cardEvent(a, this.rng.pick(a.cards), merchant, amount, ts, { type: "refund" });
    this.events.push(e);
    this.notePresence(a, st, e.cardPresent, ts);
  }

  private notePresence(a: Account, st: AccountState, cardPresent: boolean, ts: number): void {
    const where = this.o.population.locationAt(a, ts);
    if (cardPresent && where !== null) st.lastPresent = { ts, city: where };
  }

  /** A shop where the customer is (if the draw says card-present and that is possible), else an online merchant. */
  private merchantFor(a: Account, st: AccountState, category: Category, ts: number): Merchant | undefined {
    const where = this.o.population.locationAt(a, ts);
    if (where !== null && category.perCity > 0 && this.rng.chance(category.cardPresent)) {
      return this.plausible(st, where, ts) ? shop(where, category, this.rng.int(0, category.perCity - 1)) : undefined;
    }
    const online = onlineMerchants(category);
    return online.length === 0 ? undefined : this.rng.pick(online);
  }

  /** Card-present here and now, after the last card-present event: could the customer have travelled? */
  private plausible(st: AccountState, where: City, ts: number): boolean {
    const last = st.lastPresent;
    return last === null || last.city === where || ts - last.ts >= tripMs(last.city, where);
  }

  /** Online banking: sometimes a mistyped password first, sometimes a new phone, often a transfer. */
  private login(a: Account, st: AccountState, ts: number, newDeviceChance: number): void {
    const { rng } = this;
    const { endMs } = this.o;
    const where = this.o.population.locationAt(a, ts);
    if (where === null) return;
    const ip = where === a.home ? a.ip : ipIn(where.country, rng);
    const fresh = rng.chance(newDeviceChance);
    const device = fresh ? `dev-${rng.hex(10)}` : rng.pick(st.devices);
    st.failures = st.failures.filter((x) => x > ts - 20 * MIN);
    let fails = rng.chance(0.06) ? (rng.chance(0.2) ? 2 : 1) : 0;
    if (st.failures.length + fails > CLEAN_LIMITS.failedLoginsPer20Min) fails = 0;
    let t = ts;
    for (let i = 0; i < fails && t < endMs; i++, t += rng.int(4, 25) * S) {
      this.events.push(login(a, t, false, device, ip, geoOf(where)));
      st.failures.push(t);
    }
    if (t >= endMs) return;
    this.events.push(login(a, t, true, device, ip, geoOf(where)));
    if (fresh && t + S < endMs) {
      this.events.push({ type: "new_device", accountId: a.id, deviceId: device, ts: t + S });
      st.devices.push(device);
      st.newDeviceAt = t + S;
    }
    if (rng.chance(0.3)) this.transfer(a, st, t + rng.int(20, 150) * S, device);
  }

  private transfer(a: Account, st: AccountState, ts: number, device: string): void {
    const { rng } = this;
    const amount = cents(rng.logNormal(120, 1.1, CLEAN_LIMITS.minAmount, 9000));
    const tr = transfer(a, ts, rng, amount, rng.chance(0.12), device);
    const confirmAt = ts + rng.int(4, CLEAN_LIMITS.max2faDelayMs / S) * S;
    if ((needs2fa(tr) ? confirmAt : ts) >= this.o.endMs) return;
    const guardFrom = ts - CLEAN_LIMITS.takeoverGuardMs;
    if (amount >= 1000 && st.resets.some((r) => r > guardFrom && st.newDeviceAt >= r)) return;
    this.events.push(tr);
    if (needs2fa(tr)) this.events.push(confirm2fa(tr, confirmAt, device));
  }

  /** A forgotten password, usually followed by a login (now and then from a new phone). */
  private passwordReset(a: Account, st: AccountState, ts: number): void {
    this.events.push({ type: "password_reset", accountId: a.id, channel: this.rng.chance(0.8) ? "email" : "sms", ts });
    st.resets.push(ts);
    const loginAt = ts + this.rng.int(30, 300) * S;
    if (this.rng.chance(0.85) && loginAt < this.o.endMs) this.login(a, st, loginAt, 0.1);
  }

  private limitIncrease(a: Account, st: AccountState, ts: number): void {
    const newLimit = Math.round((st.limit * this.rng.between(1.3, 2)) / 500) * 500;
    this.events.push({ type: "limit_increase", accountId: a.id, oldLimit: st.limit, newLimit, ts });
    st.raises.push({ at: ts, newLimit, spent: 0 });
    st.limit = newLimit;
  }
}
