import type { Collector, OutputTag, RichFunction } from "../../runtime/index.js";
import type { StateKey } from "../../state/api.js";
import type { Match } from "../nfa/nfa.js";
import type { TimedOut } from "../run-pattern.js";

/**
 * What a pattern process function sees besides the match, as FlinkCEP's
 * `PatternProcessFunction.Context`. One object is reused for every call: do not keep it.
 */
export interface PatternProcessContext<O, K extends StateKey = StateKey> {
  /** Emits `value` to the main output, stamped with `timestamp()`. */
  output(value: O): void;
  /** Emits `value` to a side output (Flink's `ctx.output(tag, value)`). */
  output<X>(tag: OutputTag<X>, value: X): void;
  /**
   * Event time of the match (ms): the timestamp of the event that completed it, or, for a match
   * completed by time alone (a trailing `notFollowedBy`), the watermark that completed it. For a
   * timed-out partial match, the time its window ended. In processing time: the processing time
   * at which the operator handled it.
   */
  timestamp(): number;
  /** The operator's processing-time clock (ms). */
  currentProcessingTime(): number;
  /** The operator's current event-time watermark. */
  currentWatermark(): number;
  /** The key of the match. */
  getCurrentKey(): K;
  /** The id of the pattern that matched (`CEP.patterns`); `"pattern"` for `CEP.pattern`. */
  readonly patternId: string;
}

/** A pattern process function as a plain function: `(match, ctx, out) => void`. */
export type PatternProcessFn<T, O, K extends StateKey = StateKey> = (
  match: Match<T>,
  ctx: PatternProcessContext<O, K>,
  out: Collector<O>,
) => void;

/**
 * A pattern process function with a lifecycle, as FlinkCEP's `PatternProcessFunction` (a rich
 * function: `open` gets the runtime context) and, when `processTimedOutMatch` is given, its
 * `TimedOutPartialMatchHandler`: timed-out partial matches then go to this method instead of the
 * timed-out side output.
 */
export interface PatternProcessFunctionObject<T, O, K extends StateKey = StateKey> extends RichFunction {
  processMatch(match: Match<T>, ctx: PatternProcessContext<O, K>, out: Collector<O>): void;
  processTimedOutMatch?(match: Match<T>, ctx: PatternProcessContext<O, K>): void;
}

/** Either form of a pattern process function. */
export type PatternProcessFunction<T, O, K extends StateKey = StateKey> =
  | PatternProcessFn<T, O, K>
  | PatternProcessFunctionObject<T, O, K>;

/** `select`: one output per match (FlinkCEP's `PatternSelectFunction`). */
export type PatternSelectFunction<T, O, K extends StateKey = StateKey> = (match: Match<T>, ctx: PatternProcessContext<O, K>) => O;

/**
 * `flatSelect`: any number of outputs per match, through `out` (as FlinkCEP's
 * `PatternFlatSelectFunction`) or by returning an iterable.
 */
export type PatternFlatSelectFunction<T, O, K extends StateKey = StateKey> = (
  match: Match<T>,
  out: Collector<O>,
  ctx: PatternProcessContext<O, K>,
) => Iterable<O> | void;

/**
 * A timed-out partial match on the CEP operator's timed-out side output: the spec's `TimedOut`
 * (`match`, and `timestamp`, the time its window ended), plus the key and the pattern id.
 */
export interface CepTimedOut<T, K extends StateKey = StateKey> extends TimedOut<T> {
  readonly key: K;
  readonly patternId: string;
}
