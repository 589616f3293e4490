/**
 * The world the traffic happens in: cities (coordinates, UTC offsets, how many customers live
 * there), merchant categories (MCC, amount distribution, card-present share), the merchants
 * themselves, and the diurnal curve. Pure data and pure functions; no randomness kept here.
 */
import { hash32 } from "./random.js";
import type { Geo } from "./events.js";

/** A city: `homeWeight` > 0 where the bank's customers live; the rest are travel destinations. */
export interface City {
  readonly code: string;
  readonly name: string;
  readonly country: string;
  readonly lat: number;
  readonly lon: number;
  /** Standard-time UTC offset in hours (no DST: the curve only needs the local hour roughly). */
  readonly utcOffset: number;
  readonly homeWeight: number;
}

const city = (code: string, name: string, country: string, lat: number, lon: number, utcOffset: number, homeWeight: number): City =>
  ({ code, name, country, lat, lon, utcOffset, homeWeight });

/** A European retail bank: customers in 16 cities, travelling anywhere. */
export const CITIES: readonly City[] = [
  city("ber", "Berlin", "DE", 52.52, 13.405, 1, 10),
  city("ham", "Hamburg", "DE", 53.551, 9.994, 1, 5),
  city("muc", "Munich", "DE", 48.137, 11.575, 1, 5),
  city("fra", "Frankfurt", "DE", 50.11, 8.682, 1, 3),
  city("par", "Paris", "FR", 48.857, 2.352, 1, 10),
  city("lyo", "Lyon", "FR", 45.764, 4.836, 1, 3),
  city("mad", "Madrid", "ES", 40.417, -3.704, 1, 7),
  city("bcn", "Barcelona", "ES", 41.387, 2.17, 1, 5),
  city("rom", "Rome", "IT", 41.903, 12.496, 1, 6),
  city("mil", "Milan", "IT", 45.464, 9.19, 1, 5),
  city("ams", "Amsterdam", "NL", 52.368, 4.904, 1, 5),
  city("bru", "Brussels", "BE", 50.85, 4.352, 1, 3),
  city("vie", "Vienna", "AT", 48.208, 16.373, 1, 4),
  city("waw", "Warsaw", "PL", 52.23, 21.012, 1, 4),
  city("lis", "Lisbon", "PT", 38.722, -9.139, 0, 3),
  city("dub", "Dublin", "IE", 53.35, -6.26, 0, 2),
  city("lon", "London", "GB", 51.507, -0.128, 0, 0),
  city("ist", "Istanbul", "TR", 41.008, 28.978, 3, 0),
  city("dxb", "Dubai", "AE", 25.205, 55.271, 4, 0),
  city("nyc", "New York", "US", 40.713, -74.006, -5, 0),
  city("sao", "Sao Paulo", "BR", -23.551, -46.633, -3, 0),
  city("los", "Lagos", "NG", 6.524, 3.379, 1, 0),
  city("bkk", "Bangkok", "TH", 13.756, 100.502, 7, 0),
  city("tyo", "Tokyo", "JP", 35.677, 139.65, 9, 0),
];

/** The cities the bank's customers live in. */
export const HOME_CITIES: readonly City[] = CITIES.filter((c) => c.homeWeight > 0);
/** Far from every home city: where cloned cards turn up in the impossible-travel scenario. */
export const FAR_CITIES: readonly City[] = CITIES.filter((c) => ["nyc", "sao", "los", "bkk", "tyo", "dxb"].includes(c.code));

/** The city with this code; throws on an unknown one (a bug in the generator). */
export const cityByCode = (code: string): City => {
  const c = CITIES.find((x) => x.code === code);
  if (c === undefined) throw new Error(`unknown city ${code}`);
  return c;
};

/** A merchant category: amounts are log-normal (median, sigma) truncated to [5, max]. */
export interface Category {
  readonly code: string;
  readonly mcc: string;
  readonly median: number;
  readonly sigma: number;
  readonly max: number;
  /** Relative share of purchases. */
  readonly weight: number;
  /** Share of its purchases made with the card present (the rest online). */
  readonly cardPresent: number;
  /** Shops per city (card-present merchants). */
  readonly perCity: number;
}

const cat = (code: string, mcc: string, median: number, sigma: number, max: number, weight: number, cardPresent: number, perCity: number): Category =>
  ({ code, mcc, median, sigma, max, weight, cardPresent, perCity });

/** The merchant categories, with ISO 18245 MCCs. */
export const CATEGORIES: readonly Category[] = [
  cat("grocery", "5411", 32, 0.7, 400, 24, 0.95, 40),
  cat("restaurant", "5812", 28, 0.6, 300, 14, 1, 60),
  cat("fastfood", "5814", 12, 0.45, 80, 12, 0.9, 30),
  cat("fuel", "5541", 60, 0.35, 200, 6, 1, 15),
  cat("pharmacy", "5912", 22, 0.6, 250, 5, 0.9, 15),
  cat("clothing", "5651", 65, 0.7, 800, 7, 0.6, 25),
  cat("electronics", "5732", 120, 1, 3000, 3, 0.5, 8),
  cat("hotel", "7011", 180, 0.6, 1500, 1.5, 0.3, 10),
  cat("transit", "4111", 9, 0.5, 120, 6, 0.7, 3),
  cat("jewellery", "5944", 220, 0.9, 5000, 0.5, 0.8, 4),
  cat("marketplace", "5999", 40, 0.9, 1500, 10, 0, 0),
  cat("digital", "5818", 12, 0.7, 200, 5, 0, 0),
  cat("airline", "4511", 250, 0.6, 2500, 1, 0, 0),
];

/** The category with this code; throws on an unknown one (a bug in the generator). */
export const categoryByCode = (code: string): Category => {
  const c = CATEGORIES.find((x) => x.code === code);
  if (c === undefined) throw new Error(`unknown category ${code}`);
  return c;
};

/** A merchant as the events show it. */
export interface Merchant {
  readonly id: string;
  readonly category: Category;
  readonly geo: Geo;
}

/** Online merchants sell every online category; their location is their registered office. */
const ONLINE: ReadonlyArray<readonly [string, string, readonly string[]]> = [
  ["m-web-marketplace-eu", "lon", ["marketplace", "electronics", "clothing"]],
  ["m-web-shop-nl", "ams", ["marketplace", "electronics", "clothing", "digital"]],
  ["m-web-fashion-de", "ber", ["clothing", "marketplace"]],
  ["m-web-games-us", "nyc", ["digital"]],
  ["m-web-apps-ie", "dub", ["digital"]],
  ["m-web-stream-se", "ams", ["digital"]],
  ["m-web-air-ie", "dub", ["airline"]],
  ["m-web-air-fr", "par", ["airline"]],
  ["m-web-hotels-nl", "ams", ["hotel"]],
  ["m-web-electro-us", "nyc", ["electronics", "marketplace"]],
  ["m-web-jewels-ae", "dxb", ["jewellery"]],
  ["m-web-grocery-eu", "ams", ["grocery", "pharmacy"]],
  ["m-web-food-nl", "ams", ["fastfood", "restaurant"]],
  ["m-web-rail-eu", "par", ["transit"]],
];

/** The shop `n` (0-based) of a category in a city: a fixed id and a spot within ~8 km of the centre. */
export function shop(c: City, category: Category, n: number): Merchant {
  const h = hash32(`${c.code}/${category.code}/${n}`);
  const dLat = (((h & 0xffff) / 0xffff) - 0.5) * 0.12;
  const dLon = (((h >>> 16) / 0xffff) - 0.5) * 0.18;
  return {
    id: `m-${c.code}-${category.code}-${String(n + 1).padStart(3, "0")}`,
    category,
    geo: geoOf(c, c.lat + dLat, c.lon + dLon),
  };
}

/** The online merchants selling `category`. */
export function onlineMerchants(category: Category): Merchant[] {
  return ONLINE.filter(([, , cats]) => cats.includes(category.code)).map(([id, at]) => {
    const c = cityByCode(at);
    return { id, category, geo: geoOf(c, c.lat, c.lon) };
  });
}

/** An event's `geo` for a place in city `c` (its centre by default), coordinates to 4 decimals (~10 m). */
export function geoOf(c: City, lat = c.lat, lon = c.lon): Geo {
  return { city: c.name, country: c.country, lat: Math.round(lat * 1e4) / 1e4, lon: Math.round(lon * 1e4) / 1e4 };
}

/**
 * Relative activity by local hour (0-23), mean 1: a trough at 4 am, a lunch peak and an evening
 * peak. Linearly interpolated between hours.
 */
const DIURNAL = [0.3, 0.18, 0.12, 0.1, 0.1, 0.15, 0.35, 0.7, 1.1, 1.3, 1.45, 1.6, 1.85, 1.75, 1.5, 1.45, 1.5, 1.65, 1.8, 1.75, 1.5, 1.15, 0.8, 0.5];
const DIURNAL_MEAN = DIURNAL.reduce((a, b) => a + b, 0) / DIURNAL.length;
/** The peak of {@link diurnal}: thinning draws candidates at this multiple of the mean rate. */
export const DIURNAL_MAX = Math.max(...DIURNAL) / DIURNAL_MEAN;

/** Activity factor (mean 1 over a day) for a city at UTC time `ts`. */
export function diurnal(c: City, ts: number): number {
  const hours = (((ts / 3_600_000 + c.utcOffset) % 24) + 24) % 24;
  const h = Math.floor(hours);
  const f = hours - h;
  return (DIURNAL[h] * (1 - f) + DIURNAL[(h + 1) % 24] * f) / DIURNAL_MEAN;
}

/** Great-circle distance in km, the same haversine (mean radius 6371.0088 km) as the rules' `distanceKm`. */
export function distanceKm(lat1: number, lon1: number, lat2: number, lon2: number): number {
  const rad = Math.PI / 180;
  const dLat = (lat2 - lat1) * rad;
  const dLon = (lon2 - lon1) * rad;
  const a = Math.sin(dLat / 2) ** 2 + Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * 6371.0088 * Math.asin(Math.min(1, Math.sqrt(a)));
}

/** Door-to-door time of a trip between two cities: 800 km/h in the air plus 2 hours on the ground. */
export function tripMs(from: City, to: City): number {
  return (distanceKm(from.lat, from.lon, to.lat, to.lon) / 800 + 2) * 3_600_000;
}
