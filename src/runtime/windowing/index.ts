/** Windows: assigners, triggers, evictors, window functions and the windowed streams. */
export {
  TriggerResult,
  isFire,
  isPurge,
  isMergingAssigner,
  removeWhere,
  type Window,
  type WindowAssigner,
  type WindowAssignerContext,
  type MergingWindowAssigner,
  type MergeCallback,
  type Trigger,
  type TriggerContext,
  type OnMergeContext,
  type Evictor,
  type EvictorContext,
  type TimestampedValue,
} from "./api.js";
export { TimeWindow, GlobalWindow } from "./windows.js";
export type {
  KeyedStateStore,
  ProcessWindowContext,
  ProcessWindowFunction,
  ProcessWindowFunctionObject,
  WindowFunction,
  ProcessAllWindowFunction,
  ProcessAllWindowFunctionObject,
  AllWindowFunction,
} from "./window-functions.js";
export { TumblingEventTimeWindows } from "./assigners/tumbling-event-time-windows.js";
export { TumblingProcessingTimeWindows } from "./assigners/tumbling-processing-time-windows.js";
export { SlidingEventTimeWindows } from "./assigners/sliding-event-time-windows.js";
export { SlidingProcessingTimeWindows } from "./assigners/sliding-processing-time-windows.js";
export { EventTimeSessionWindows } from "./assigners/event-time-session-windows.js";
export { ProcessingTimeSessionWindows } from "./assigners/processing-time-session-windows.js";
export type { SessionWindowTimeGapExtractor } from "./assigners/session-windows.js";
export { CumulativeEventTimeWindows } from "./assigners/cumulative-event-time-windows.js";
export { CumulativeProcessingTimeWindows } from "./assigners/cumulative-processing-time-windows.js";
export { GlobalWindows } from "./assigners/global-windows.js";
export { EventTimeTrigger } from "./triggers/event-time-trigger.js";
export { ProcessingTimeTrigger } from "./triggers/processing-time-trigger.js";
export { CountTrigger } from "./triggers/count-trigger.js";
export { PurgingTrigger } from "./triggers/purging-trigger.js";
export { ContinuousEventTimeTrigger } from "./triggers/continuous-event-time-trigger.js";
export { ContinuousProcessingTimeTrigger } from "./triggers/continuous-processing-time-trigger.js";
export { NeverTrigger } from "./triggers/never-trigger.js";
export { CountEvictor } from "./evictors/count-evictor.js";
export { TimeEvictor } from "./evictors/time-evictor.js";
export { DeltaEvictor, type DeltaFunction } from "./evictors/delta-evictor.js";
export { WindowedStream } from "./windowed-stream.js";
export { AllWindowedStream } from "./all-windowed-stream.js";
export { WindowOperator, type WindowOperatorSpec } from "./operator/window-operator.js";
