/** The CEP layer's public face: the pattern API, the compiler, the NFA and `runPattern`. */
export { Pattern } from "./pattern/pattern.js";
export { AfterMatchSkipStrategy, type SkipKind } from "./pattern/skip-strategy.js";
export { WithinType } from "./pattern/within-type.js";
export { ConsumingStrategy, type Quantifier, type Times } from "./pattern/quantifier.js";
export type { Condition, PatternContext } from "./pattern/condition.js";
export { compile } from "./compile.js";
export { KeyedMatcher, type KeyedCollector } from "./keyed-matcher.js";
export { Nfa, type Match, type MatchCollector } from "./nfa/nfa.js";
export { NfaState } from "./nfa/nfa-state.js";
export { runPattern, type TimedEvent, type Watermark, type TimedOut, type RunPatternOptions, type RunPatternResult } from "./run-pattern.js";
export { serializeNfaState, deserializeNfaState, type EventCodec } from "./serde/v1/nfa-state-codec.js";
export { PatternError, VigilError } from "../errors.js";
export { CEP } from "./cep.js";
export { PatternStream, PatternOutputStream, DynamicPatternStream } from "./operator/pattern-stream.js";
export { DynamicCepOperator, type DynamicCepOptions } from "./operator/dynamic-cep-operator.js";
export {
  CEP_PATTERNS_STATE,
  invalidUpdate,
  type DynamicPatternsOptions,
  type PatternDefinition,
  type PatternUpdate,
  type PatternFactory,
  type PatternSetChange,
  type StoredPattern,
} from "./operator/dynamic-patterns.js";
export { CepOperator, type CepPattern, type CepOperatorOptions } from "./operator/cep-operator.js";
export { CepSideOutputTag } from "./operator/cep-tags.js";
export type {
  PatternProcessFunction,
  PatternProcessFn,
  PatternProcessFunctionObject,
  PatternProcessContext,
  PatternSelectFunction,
  PatternFlatSelectFunction,
  CepTimedOut,
} from "./operator/pattern-process-function.js";
