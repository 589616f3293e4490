import { JobError } from "../errors.js";
import { KeyedStream, type DataStream } from "../runtime/index.js";
import type { StateKey } from "../state/api.js";
import { compile } from "./compile.js";
import { Pattern } from "./pattern/pattern.js";
import { LATE_TAG, TIMED_OUT_TAG } from "./operator/cep-tags.js";
import { DynamicPatternStream, PatternStream } from "./operator/pattern-stream.js";
import type { DynamicPatternsOptions, PatternUpdate } from "./operator/dynamic-patterns.js";

/**
 * Patterns on streams, as FlinkCEP's `CEP`:
 *
 * ```ts
 * const alerts = CEP.pattern(txns.keyBy((t) => t.cardId), pattern)
 *   .process((match, ctx) => ctx.output({ kind: "card-testing", card: match.small[0].cardId }));
 * alerts.getSideOutput(CEP.timedOutTag);   // partial matches whose `within` window closed
 * alerts.getSideOutput(CEP.lateTag);       // events at or behind the watermark
 * ```
 *
 * Patterns are compiled (and validated, `PatternError`) here, when the job is built.
 */
export class CEP {
  /** Side output of timed-out partial matches (`CepTimedOut`: match, window end, key, pattern id). */
  static readonly timedOutTag = TIMED_OUT_TAG;
  /** Side output of late events: those at or behind the watermark when they arrived. */
  static readonly lateTag = LATE_TAG;

  private constructor() {}

  /**
   * One pattern over a keyed stream, matched per key. A stream that is not keyed is matched as
   * one key (as FlinkCEP does, all in one subtask).
   */
  static pattern<T, K extends StateKey = StateKey>(input: KeyedStream<T, K> | DataStream<T>, pattern: Pattern<T, any>): PatternStream<T, K> {
    return CEP.patterns(input, [{ id: "pattern", pattern }]);
  }

  /**
   * Several patterns over one keyed stream, in one operator: one pass over each event, one event
   * buffer per key shared by all patterns, and each pattern's NFA state beside it. Every output
   * knows its pattern (`ctx.patternId`, `CepTimedOut.patternId`). Ids must be unique; they name
   * the patterns' state in checkpoints, so keep them stable across versions of a job.
   */
  static patterns<T, K extends StateKey = StateKey>(
    input: KeyedStream<T, K> | DataStream<T>,
    patterns: ReadonlyArray<{ readonly id: string; readonly pattern: Pattern<T, any> }>,
  ): PatternStream<T, K> {
    if (!Array.isArray(patterns) || patterns.length === 0) {
      throw new JobError("CEP.patterns: expected a non-empty array of { id, pattern }", { code: "INVALID_ARGUMENT" });
    }
    const seen = new Set<string>();
    const compiled = patterns.map(({ id, pattern }, i) => {
      if (typeof id !== "string" || id.length === 0) {
        throw new JobError(`CEP.patterns: patterns[${i}].id must be a non-empty string`, { code: "INVALID_ARGUMENT" });
      }
      if (seen.has(id)) throw new JobError(`CEP.patterns: pattern id "${id}" is used twice`, { code: "INVALID_ARGUMENT" });
      seen.add(id);
      if (!(pattern instanceof Pattern)) {
        throw new JobError(`CEP.patterns: patterns[${i}] ("${id}") is not a Pattern`, { code: "INVALID_ARGUMENT" });
      }
      return { id, nfa: compile(pattern) };
    });
    const keyed = input instanceof KeyedStream ? (input as KeyedStream<T, K>) : (input.keyBy(() => 0) as unknown as KeyedStream<T, K>);
    return new PatternStream<T, K>(keyed, compiled);
  }

  /**
   * Patterns whose set changes while the job runs, Flink's way: `updates` (a stream of
   * `PatternUpdate`: put, drain, remove) is broadcast to every subtask of one CEP operator, which
   * keeps the set in broadcast state (so checkpoints restore it) and makes each pattern from its
   * definition's document with `options.factory`. A put of a new version of a name makes the old
   * one drain: it finishes its partial matches and starts none (see `DynamicCepOperator`). The
   * `updates` stream should not hold back event time: give it no watermarks and make it idle
   * (`WatermarkStrategy.noWatermarks().withIdleness(1)`), so the events alone drive event time.
   */
  static dynamicPatterns<T, D, K extends StateKey = StateKey>(
    input: KeyedStream<T, K> | DataStream<T>,
    updates: DataStream<PatternUpdate<D>>,
    options: DynamicPatternsOptions<T, D>,
  ): DynamicPatternStream<T, D, K> {
    if (typeof options?.factory !== "function") throw new JobError("CEP.dynamicPatterns: options.factory must be a function", { code: "INVALID_ARGUMENT" });
    if (!Array.isArray(options.initial) && typeof options.initial !== "function") {
      throw new JobError("CEP.dynamicPatterns: options.initial must be an array of { id, name, document } or a function returning one", { code: "INVALID_ARGUMENT" });
    }
    const keyed = input instanceof KeyedStream ? (input as KeyedStream<T, K>) : (input.keyBy(() => 0) as unknown as KeyedStream<T, K>);
    return new DynamicPatternStream<T, D, K>(keyed, updates, options);
  }
}
