/**
 * The conditions and windows of the three benchmark rules, shared by the Vigil patterns
 * (`patterns.ts`) and the hand-written matchers (`matchers/`), so that both sides test exactly
 * the same predicates.
 */
import { HOME_COUNTRY, type Txn } from "./txn.js";

/** Ten minutes, in milliseconds: the window of the sequence and card-testing rules. */
export const TEN_MINUTES_MS = 10 * 60_000;
/** Five minutes, in milliseconds: the window of the absence rule. */
export const FIVE_MINUTES_MS = 5 * 60_000;

/** Sequence rule ("impossible travel"), stage `a`: an in-person purchase abroad. */
export function isAbroadPos(e: Txn): boolean {
  return e.kind === "purchase" && e.channel === "pos" && e.country !== HOME_COUNTRY;
}

/** Sequence rule, stage `b`: an in-person purchase at home (within 10 minutes of `a`). */
export function isHomePos(e: Txn): boolean {
  return e.kind === "purchase" && e.channel === "pos" && e.country === HOME_COUNTRY;
}

/** Card-testing rule, stage `small`: a probe charge under two dollars. */
export function isSmall(e: Txn): boolean {
  return e.amount < 2;
}

/** Card-testing rule, stage `big`: the cash-out, over five hundred dollars. */
export function isBig(e: Txn): boolean {
  return e.amount > 500;
}

/** Absence rule, stage `a`: a high-value online purchase, which the issuer steps up. */
export function isRiskyOnline(e: Txn): boolean {
  return e.kind === "purchase" && e.channel === "ecom" && e.amount > 300;
}

/** Absence rule, stage `b` (the absent one): the cardholder's step-up verification. */
export function isVerification(e: Txn): boolean {
  return e.kind === "verification";
}

/** The names of the benchmark cases, in the order they run. */
export const CASE_NAMES = ["sequence", "card-testing", "absence"] as const;

/** One of {@link CASE_NAMES}. */
export type CaseName = (typeof CASE_NAMES)[number];
