import type { Severity } from "../alert.js";

/**
 * The shape of a pattern file once it has passed schemas/pattern.schema.json. Kept in step with
 * the schema by hand; the loader reads a document as this type only after validation.
 */
export interface RuleDoc {
  $schema?: string;
  id: string;
  version: number;
  description?: string;
  source: string;
  key: string | string[];
  eventTime: string | null;
  within?: Duration;
  afterMatch?: { strategy: SkipName; stage?: string };
  stages: StageDoc[];
  alert: AlertDoc;
  onTimeout?: AlertDoc | null;
}

/**
 * What JSON and module pattern files share: every key of a rule but its stages. A module file
 * (`*.ts`) default-exports this with a fluent `Pattern` in place of `stages`.
 */
export type RuleHeaderDoc = Omit<RuleDoc, "$schema" | "stages">;

/** A duration as written: `"250ms"`, `"30s"`, `"10m"`, `"2h"`, `"1d"`, or integer ms. */
export type Duration = string | number;

/** The after-match skip strategies, by their names in `afterMatch.strategy`. */
export type SkipName = "noSkip" | "skipToNext" | "skipPastLastEvent" | "skipToFirst" | "skipToLast";

/** How a stage follows the previous one (default `followedBy`). */
export type Contiguity = "next" | "followedBy" | "followedByAny" | "notNext" | "notFollowedBy";

/** `{ times: n }`, `{ times: [from, to] }` or `{ atLeast: n }`. */
export type QuantifierDoc = { times: number | [number, number] } | { atLeast: number };

/** Options a single stage and a group stage share. */
interface StageOptions {
  description?: string;
  contiguity?: Contiguity;
  quantifier?: QuantifierDoc;
  optional?: boolean;
  greedy?: boolean;
  consecutive?: boolean;
  allowCombinations?: boolean;
}

/** A stage that tests events. */
export interface SingleStageDoc extends StageOptions {
  name: string;
  where: string;
  or?: string;
  until?: string;
  within?: Duration;
}

/** A group stage: an inner sequence of stages taken as one unit. */
export interface GroupStageDoc extends StageOptions {
  group: StageDoc[];
}

/** A stage of `stages` (or of a group). */
export type StageDoc = SingleStageDoc | GroupStageDoc;

/** The `alert` (and `onTimeout`) section: severity, field expressions, sink names. */
export interface AlertDoc {
  severity: Severity;
  description?: string;
  fields?: Record<string, string>;
  sinks?: string[];
}

/** Whether a stage is a group stage. */
export const isGroup = (stage: StageDoc): stage is GroupStageDoc => "group" in stage;
