/**
 * The three benchmark rules as Vigil patterns, built from the same predicates as the
 * hand-written matchers (`rules.ts`).
 */
import { AfterMatchSkipStrategy, Pattern } from "../../src/cep/index.js";
import {
  FIVE_MINUTES_MS, isAbroadPos, isBig, isHomePos, isRiskyOnline, isSmall, isVerification,
  TEN_MINUTES_MS, type CaseName,
} from "./rules.js";
import type { Txn } from "./txn.js";

/** Impossible travel: in person abroad, then in person at home less than 10 minutes later. */
export function sequencePattern(): Pattern<Txn> {
  return Pattern.begin<Txn>("a").where(isAbroadPos)
    .followedBy("b").where(isHomePos)
    .within(TEN_MINUTES_MS);
}

/**
 * Card testing: three or more consecutive probes under $2, then a charge over $500, all within
 * 10 minutes; one alert per cash-out (`skipPastLastEvent`, see `card-testing-matcher.ts`).
 */
export function cardTestingPattern(): Pattern<Txn> {
  return Pattern.begin<Txn>("small", AfterMatchSkipStrategy.skipPastLastEvent()).where(isSmall)
    .timesOrMore(3).consecutive()
    .followedBy("big").where(isBig)
    .within(TEN_MINUTES_MS);
}

/** A high-value online purchase with no step-up verification within 5 minutes. */
export function absencePattern(): Pattern<Txn> {
  return Pattern.begin<Txn>("a").where(isRiskyOnline)
    .notFollowedBy("b").where(isVerification)
    .within(FIVE_MINUTES_MS);
}

/** The pattern of each benchmark case. */
export const PATTERNS: Record<CaseName, () => Pattern<Txn>> = {
  sequence: sequencePattern,
  "card-testing": cardTestingPattern,
  absence: absencePattern,
};
