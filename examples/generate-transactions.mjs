#!/usr/bin/env node
// Generates examples/transactions.jsonl: a small, deterministic day of card transactions with
// planted fraud scenarios, so that the rules in patterns/ fire a known number of times.
//
//   node examples/generate-transactions.mjs > examples/transactions.jsonl
//
// Background traffic: 40 cards shopping in their home city, purchases of 5.00-399.99 (never
// below 5, so never "tiny"; never above 500, so never "big"), at least 4 minutes apart per card.
// Planted (see the SCENARIOS list below for the exact events):
//   card-testing          fires 3 times (cards ...0101, ...0102, ...0106), near misses on ...0103-0105
//   impossible-travel     fires 1 time  (card ...0107 Berlin -> New York in 1 h; ...0108 Berlin -> Paris in 3 h does not)
//   auth-not-captured     fires 2 times (auths of ...0109 at m-hotel and ...0111 at m-jeweller never captured
//                         at that merchant; ...0110's auth is captured)
//   probe-then-cash-out   fires 1 match (...0112) and 2 timeouts (...0113's probes without cash-out)
// plus 4 lines for the dead-letter report: 1 malformed JSON, 1 without "ts", 1 with an unreadable
// "ts", 1 JSON array; and 2 heartbeat events without "cardId" that every rule skips.

const START = Date.UTC(2025, 10, 21, 8, 0, 0); // 2025-11-21T08:00:00Z
const MIN = 60_000;

/** mulberry32: a tiny seeded PRNG, so the file is the same on every machine. */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const random = prng(20251121);
const pick = (list) => list[Math.floor(random() * list.length)];

const CITIES = {
  berlin: { lat: 52.52, lon: 13.405, country: "DE" },
  paris: { lat: 48.8566, lon: 2.3522, country: "FR" },
  madrid: { lat: 40.4168, lon: -3.7038, country: "ES" },
  rome: { lat: 41.9028, lon: 12.4964, country: "IT" },
  amsterdam: { lat: 52.3676, lon: 4.9041, country: "NL" },
  newYork: { lat: 40.7128, lon: -74.006, country: "US" },
};
const HOME_CITIES = ["berlin", "paris", "madrid", "rome", "amsterdam"];
const MERCHANTS = ["m-grocer", "m-bakery", "m-fuel", "m-pharmacy", "m-books", "m-cinema", "m-restaurant", "m-clothes"];

const card = (n) => `4111-0000-0000-${String(n).padStart(4, "0")}`;
let txSeq = 0;
const events = [];

function tx({ cardNo, t, amount, merchant, type = "purchase", status = "approved", city, ts }) {
  txSeq++;
  events.push({
    txId: `t-${String(txSeq).padStart(5, "0")}`,
    cardId: card(cardNo),
    ts: ts ?? t,
    amount,
    currency: "EUR",
    merchant,
    type,
    status,
    geo: { ...CITIES[city] },
    device: { id: `d-${String(cardNo).padStart(4, "0")}` },
    _t: t, // sort key, removed on output
  });
}

// ---- background traffic -------------------------------------------------------------------
for (let c = 1; c <= 40; c++) {
  const city = HOME_CITIES[c % HOME_CITIES.length];
  let t = START + Math.floor(random() * 30) * MIN;
  const count = 4 + Math.floor(random() * 5);
  for (let i = 0; i < count; i++) {
    const amount = Math.round((5 + random() * 395) * 100) / 100;
    tx({ cardNo: c, t, amount, merchant: pick(MERCHANTS), city });
    t += (4 + Math.floor(random() * 80)) * MIN;
  }
}

// ---- planted scenarios --------------------------------------------------------------------
const at = (h, m, s = 0) => START + h * 3_600_000 + m * MIN + s * 1000;
const SCENARIOS = [
  // card-testing: 3 tiny charges then a big one elsewhere, 5 minutes in all -> alert
  ...[[0.99, 0], [1.0, 1], [1.49, 2]].map(([amount, m]) => ({ cardNo: 101, t: at(1, 10 + m), amount, merchant: "m-pixel-store", city: "berlin" })),
  { cardNo: 101, t: at(1, 15), amount: 749.0, merchant: "m-electro", city: "berlin" },
  // card-testing: 5 tiny charges then a big one -> one alert (skipPastLastEvent)
  ...[0, 1, 2, 3, 4].map((m) => ({ cardNo: 102, t: at(2, 0 + m, 30), amount: 0.5 + m * 0.25, merchant: "m-donate", city: "paris" })),
  { cardNo: 102, t: at(2, 7), amount: 1299.0, merchant: "m-phones", city: "paris" },
  // near miss: the big charge is at the same merchant -> no alert
  ...[0, 1, 2].map((m) => ({ cardNo: 103, t: at(2, 20 + m), amount: 1.0, merchant: "m-games", city: "madrid" })),
  { cardNo: 103, t: at(2, 25), amount: 899.0, merchant: "m-games", city: "madrid" },
  // near miss: first tiny charge to big charge exactly 10 minutes (within is strict) -> no alert
  ...[0, 1, 2].map((m) => ({ cardNo: 104, t: at(3, 0 + m), amount: 1.25, merchant: "m-stream", city: "rome" })),
  { cardNo: 104, t: at(3, 10), amount: 650.0, merchant: "m-travel", city: "rome" },
  // near miss: a normal purchase breaks the consecutive tiny charges -> no alert
  { cardNo: 105, t: at(3, 30), amount: 1.1, merchant: "m-apps", city: "amsterdam" },
  { cardNo: 105, t: at(3, 31), amount: 1.2, merchant: "m-apps", city: "amsterdam" },
  { cardNo: 105, t: at(3, 32), amount: 42.0, merchant: "m-grocer", city: "amsterdam" },
  { cardNo: 105, t: at(3, 33), amount: 1.3, merchant: "m-apps", city: "amsterdam" },
  { cardNo: 105, t: at(3, 35), amount: 720.0, merchant: "m-electro", city: "amsterdam" },
  // card-testing with ISO-8601 event times -> alert
  ...[0, 1, 2].map((m) => ({ cardNo: 106, t: at(4, 40 + m), amount: 1.99, merchant: "m-charity", city: "berlin" })),
  { cardNo: 106, t: at(4, 44), amount: 999.99, merchant: "m-watches", city: "berlin" },
  // impossible travel: Berlin, then New York an hour later -> alert
  { cardNo: 107, t: at(1, 0), amount: 35.0, merchant: "m-restaurant", city: "berlin" },
  { cardNo: 107, t: at(2, 0), amount: 120.0, merchant: "m-clothes", city: "newYork" },
  // plausible travel: Berlin, then Paris three hours later (~290 km/h) -> no alert
  { cardNo: 108, t: at(1, 0), amount: 18.0, merchant: "m-bakery", city: "berlin" },
  { cardNo: 108, t: at(4, 0), amount: 64.0, merchant: "m-restaurant", city: "paris" },
  // auth without capture within 30 minutes -> alert
  { cardNo: 109, t: at(5, 0), amount: 1200.0, merchant: "m-hotel", type: "auth", city: "rome" },
  // auth captured 20 minutes later -> no alert
  { cardNo: 110, t: at(5, 0), amount: 1500.0, merchant: "m-car-rental", type: "auth", city: "madrid" },
  { cardNo: 110, t: at(5, 20), amount: 1500.0, merchant: "m-car-rental", type: "capture", city: "madrid" },
  // auth captured, but at another merchant (another key) -> alert
  { cardNo: 111, t: at(5, 10), amount: 2000.0, merchant: "m-jeweller", type: "auth", city: "paris" },
  { cardNo: 111, t: at(5, 15), amount: 2000.0, merchant: "m-pawnshop", type: "capture", city: "paris" },
  // probe-then-cash-out: two refunded probes, then a large purchase -> alert
  { cardNo: 112, t: at(6, 0), amount: 1.0, merchant: "m-shoes", city: "amsterdam" },
  { cardNo: 112, t: at(6, 1), amount: 1.0, merchant: "m-shoes", type: "refund", city: "amsterdam" },
  { cardNo: 112, t: at(6, 5), amount: 2.0, merchant: "m-shoes", city: "amsterdam" },
  { cardNo: 112, t: at(6, 6), amount: 2.0, merchant: "m-shoes", type: "refund", city: "amsterdam" },
  { cardNo: 112, t: at(6, 15), amount: 450.0, merchant: "m-shoes", city: "amsterdam" },
  // probes without a cash-out -> timed-out partial matches (onTimeout alerts)
  { cardNo: 113, t: at(6, 0), amount: 3.0, merchant: "m-toys", city: "madrid" },
  { cardNo: 113, t: at(6, 2), amount: 3.0, merchant: "m-toys", type: "refund", city: "madrid" },
  { cardNo: 113, t: at(6, 4), amount: 4.0, merchant: "m-toys", city: "madrid" },
  { cardNo: 113, t: at(6, 5), amount: 4.0, merchant: "m-toys", type: "refund", city: "madrid" },
  { cardNo: 113, t: at(7, 0), amount: 25.0, merchant: "m-toys", city: "madrid" },
];
for (const s of SCENARIOS) tx(s);
for (const e of events) if (e.cardId === card(106)) e.ts = new Date(e._t).toISOString();

// ---- output -------------------------------------------------------------------------------
events.sort((a, b) => a._t - b._t || a.txId.localeCompare(b.txId));
const lines = events.map(({ _t, ...e }) => JSON.stringify(e));
// a little disorder, as real feeds have: swap a few neighbours (event time puts them back)
for (let i = 10; i + 1 < lines.length; i += 37) [lines[i], lines[i + 1]] = [lines[i + 1], lines[i]];
// bad input for the dead-letter report, and events that no rule can key
const bad = [
  '{"txId": "t-broken", "cardId": "4111-0000-0000-0001", "amount": 12.5,',
  JSON.stringify({ txId: "t-nots", cardId: card(2), amount: 10, currency: "EUR", merchant: "m-fuel", type: "purchase", status: "approved" }),
  JSON.stringify({ txId: "t-badts", cardId: card(3), ts: "yesterday", amount: 10, currency: "EUR", merchant: "m-fuel", type: "purchase", status: "approved" }),
  JSON.stringify(["not", "an", "event"]),
  JSON.stringify({ type: "heartbeat", ts: START + 3_600_000 }),
  JSON.stringify({ type: "heartbeat", ts: START + 7_200_000 }),
];
bad.forEach((line, i) => lines.splice(25 + i * 50, 0, line));
process.stdout.write(`${lines.join("\n")}\n`);
