/**
 * The bank's customers. Account `i` is a pure function of (seed, i): its home city (cities own
 * contiguous ranges of indexes, sized by `homeWeight`), cards, devices, IP, credit limit and
 * whether it is travelling. So a population of millions costs nothing until an account is used.
 */
import { Rng, hash32 } from "./random.js";
import { CITIES, HOME_CITIES, tripMs, type City } from "./world.js";

/** A trip taken during the window: at home until `departAt`, in the air, at `to` from `arriveAt`. */
export interface Trip {
  readonly to: City;
  readonly departAt: number;
  readonly arriveAt: number;
}

/** A customer: what the events of its cards, logins and transfers show. */
export interface Account {
  readonly index: number;
  readonly id: string;
  readonly home: City;
  readonly cards: readonly string[];
  readonly creditLimit: number;
  readonly devices: readonly string[];
  /** The IP the customer's home connection has. */
  readonly ip: string;
  /** Abroad for the whole window (somewhere plausible since before it began). */
  readonly abroad: City | null;
  readonly trip: Trip | null;
}

const LIMITS = [1000, 1500, 2000, 3000, 5000, 7500, 10000];

/** `size` accounts, each made on first use from (seed, index) and kept. */
export class Population {
  private readonly cache = new Map<number, Account>();
  private readonly ranges: ReadonlyArray<{ city: City; lo: number; hi: number }>;

  /** `size` accounts; trips depart within [startMs, endMs). */
  constructor(
    private readonly seed: number,
    readonly size: number,
    private readonly startMs: number,
    private readonly endMs: number,
  ) {
    const total = HOME_CITIES.reduce((s, c) => s + c.homeWeight, 0);
    let acc = 0;
    this.ranges = HOME_CITIES.map((city) => {
      const lo = Math.floor((acc / total) * size);
      acc += city.homeWeight;
      return { city, lo, hi: Math.floor((acc / total) * size) };
    });
  }

  /** A uniformly drawn account index among those living in `city`. */
  indexIn(city: City, rng: Rng): number {
    const r = this.ranges.find((x) => x.city === city);
    if (r === undefined || r.hi <= r.lo) throw new Error(`no accounts live in ${city.name}`);
    return rng.int(r.lo, r.hi - 1);
  }

  account(index: number): Account {
    let a = this.cache.get(index);
    if (a === undefined) this.cache.set(index, (a = this.make(index)));
    return a;
  }

  /** Where the account holder is at `ts`; `null` while flying. */
  locationAt(a: Account, ts: number): City | null {
    if (a.abroad !== null) return a.abroad;
    if (a.trip === null || ts < a.trip.departAt) return a.home;
    return ts < a.trip.arriveAt ? null : a.trip.to;
  }

  private make(index: number): Account {
    const rng = new Rng(this.seed, "account", index);
    const home = this.ranges.find((r) => index >= r.lo && index < r.hi)?.city ?? HOME_CITIES[0];
    const digits = String(index).padStart(10, "0");
    const cards = Array.from({ length: rng.chance(0.3) ? 2 : 1 }, (_, k) => {
      const pan = `4929${digits}${String(k + 1).padStart(2, "0")}`;
      return `${pan.slice(0, 4)}-${pan.slice(4, 8)}-${pan.slice(8, 12)}-${pan.slice(12)}`;
    });
    const devices = Array.from({ length: rng.chance(0.4) ? 2 : 1 }, () => `dev-${rng.hex(10)}`);
    const elsewhere = (): City => (rng.chance(0.7) ? rng.pick(HOME_CITIES.filter((c) => c !== home)) : rng.pick(CITIES.filter((c) => c.homeWeight === 0)));
    const travel = rng.next();
    let abroad: City | null = null;
    let trip: Trip | null = null;
    if (travel < 0.02) abroad = elsewhere();
    else if (travel < 0.03) {
      const to = elsewhere();
      const departAt = Math.floor(rng.between(this.startMs, this.endMs));
      trip = { to, departAt, arriveAt: departAt + Math.ceil(tripMs(home, to)) };
    }
    return {
      index,
      id: `acc-${String(index).padStart(8, "0")}`,
      home,
      cards,
      creditLimit: rng.pick(LIMITS),
      devices,
      ip: ipIn(home.country, rng),
      abroad,
      trip,
    };
  }
}

/** An IP address from a block that belongs to `country` (a made-up but stable first octet). */
export function ipIn(country: string, rng: Rng): string {
  return `${20 + (hash32(country) % 180)}.${rng.int(0, 255)}.${rng.int(0, 255)}.${rng.int(1, 254)}`;
}
