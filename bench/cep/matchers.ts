/**
 * The hand-written baseline of each benchmark case.
 */
import { AbsenceMatcher } from "./absence-matcher.js";
import { CardTestingMatcher } from "./card-testing-matcher.js";
import type { AlertSink, Matcher } from "./matcher.js";
import type { CaseName } from "./rules.js";
import { SequenceMatcher } from "./sequence-matcher.js";

/** Creates the hand-written matcher of each case, reporting to `sink`. */
export const MATCHERS: Record<CaseName, (sink: AlertSink) => Matcher> = {
  sequence: (sink) => new SequenceMatcher(sink),
  "card-testing": (sink) => new CardTestingMatcher(sink),
  absence: (sink) => new AbsenceMatcher(sink),
};
