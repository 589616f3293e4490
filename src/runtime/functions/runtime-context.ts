import { JobError } from "../../errors.js";
import type {
  AggregatingState,
  AggregatingStateDescriptor,
  KeyedStateBackend,
  ListState,
  ListStateDescriptor,
  MapState,
  MapStateDescriptor,
  ReducingState,
  ReducingStateDescriptor,
  StateDescriptor,
  StateFor,
  ValueState,
  ValueStateDescriptor,
} from "../../state/api.js";
import { NOOP_METRIC_GROUP, type MetricGroup } from "../metrics/metric-group.js";
import type { OperatorContext } from "../operator.js";

/**
 * What a user function sees of the task it runs in, as Flink's `RuntimeContext`: its subtask and
 * keyed state. State handles are scoped to the current key, which the runtime sets before each
 * record and timer; obtain them in `open` and keep them.
 */
export interface RuntimeContext {
  getIndexOfThisSubtask(): number;
  getNumberOfParallelSubtasks(): number;
  getMaxNumberOfParallelSubtasks(): number;
  getTaskName(): string;
  getState<T>(descriptor: ValueStateDescriptor<T>): ValueState<T>;
  getListState<T>(descriptor: ListStateDescriptor<T>): ListState<T>;
  getMapState<K, V>(descriptor: MapStateDescriptor<K, V>): MapState<K, V>;
  getReducingState<T>(descriptor: ReducingStateDescriptor<T>): ReducingState<T>;
  getAggregatingState<I, A, O>(descriptor: AggregatingStateDescriptor<I, A, O>): AggregatingState<I, O>;
  /** This subtask's metric group: register gauges and counters in `open` (read only when the job's metrics are read). */
  getMetricGroup(): MetricGroup;
}

/** A function with a lifecycle: `open` before the first record (state is obtained here), `close` at the end. */
export interface RichFunction {
  open?(ctx: RuntimeContext): void | Promise<void>;
  close?(): void | Promise<void>;
}

/** Emits records from a user function. */
export interface Collector<T> {
  collect(value: T): void;
}

/** A runtime context over an operator context. */
export function runtimeContextOf(ctx: OperatorContext<unknown>): RuntimeContext {
  const state = <D extends StateDescriptor>(d: D, kind: D["kind"]): StateFor<D> => {
    const backend: KeyedStateBackend | undefined = ctx.keyedState;
    if (backend === undefined) {
      throw new JobError(
        `operator "${ctx.operatorName}": keyed state ("${d.name}") is only available on a keyed stream; call keyBy first`,
        { code: "STATE_NOT_KEYED" },
      );
    }
    if (d.kind !== kind) throw new JobError(`state "${d.name}" is a ${d.kind} state descriptor, not ${kind}`);
    return backend.getPartitionedState(d);
  };
  return {
    getIndexOfThisSubtask: () => ctx.subtaskIndex,
    getNumberOfParallelSubtasks: () => ctx.parallelism,
    getMaxNumberOfParallelSubtasks: () => ctx.maxParallelism,
    getTaskName: () => ctx.operatorName,
    getState: (d) => state(d, "value"),
    getListState: (d) => state(d, "list"),
    getMapState: (d) => state(d, "map"),
    getReducingState: (d) => state(d, "reducing"),
    getAggregatingState: (d) => state(d, "aggregating") as never,
    getMetricGroup: () => ctx.metricGroup ?? NOOP_METRIC_GROUP,
  };
}
