import { compileExpression, type CheckScope, type EvalContext } from "../../../src/service/expr/index.js";

/** A scope where stages `small` then `big` exist and both are visible. */
export const SCOPE: CheckScope = { stages: ["small", "big"], visible: new Set(["small", "big"]), negative: new Map() };

export const SMALL = [
  { cardId: "c1", amount: 1, merchant: "m-a", ts: 1000, geo: { lat: 52.52, lon: 13.405 } },
  { cardId: "c1", amount: 1.5, merchant: "m-b", ts: 2000 },
];
export const BIG = [{ cardId: "c1", amount: 700, merchant: "m-z", ts: 5000 }];

export const CTX: EvalContext = {
  eventsFor: (stage) => (stage === "small" ? SMALL : stage === "big" ? BIG : []),
  timestamp: () => 5000,
};

export const EVENT = {
  amount: 600,
  merchant: "m-z",
  card: { country: "DE", id: "c1" },
  tags: ["ecom", "3ds"],
  name: "Ada Lovelace",
  "odd-key": 7,
  isVip: false,
  zero: 0,
  none: null,
  ts: "2025-11-21T08:00:00Z",
};

/** Compiles `src` in {@link SCOPE} (time(e) reads `ts`) and evaluates it on `event`. */
export function ev(src: string, event: unknown = EVENT, ctx: EvalContext = CTX): unknown {
  const timeOf = (e: unknown): number | null => {
    const ts = (e as { ts?: unknown } | null)?.ts;
    return typeof ts === "number" ? ts : typeof ts === "string" ? Date.parse(ts) : null;
  };
  return compileExpression(src, { scope: SCOPE, timeOf })(event, ctx);
}

/** The `column: message` an expression fails with, or "ok". */
export function failure(src: string, scope: CheckScope = SCOPE): string {
  try {
    compileExpression(src, { scope });
    return "ok";
  } catch (err) {
    return (err as Error).message;
  }
}
