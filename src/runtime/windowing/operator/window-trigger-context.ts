import type {
  AggregatingStateDescriptor,
  KeyedStateBackend,
  ListStateDescriptor,
  ReducingStateDescriptor,
  StateDescriptor,
  StateFor,
} from "../../../state/api.js";
import type { TimerService } from "../../timers/timer-service.js";
import type { OnMergeContext, Window } from "../api.js";

/**
 * The one trigger context of a window operator subtask (Flink's `WindowOperator.Context`), moved
 * from window to window by setting `window` and `ns` (the window's namespace): timers and state
 * are scoped to the backend's current key and that namespace. No allocation per call.
 */
export class WindowTriggerContext<W extends Window> implements OnMergeContext {
  window!: W;
  ns = "";
  /** Namespaces of the windows being merged into `window` (only during `onMerge`). */
  mergedNamespaces: readonly string[] | undefined = undefined;

  constructor(
    private readonly timers: TimerService,
    private readonly backend: KeyedStateBackend,
  ) {}

  getCurrentProcessingTime(): number {
    return this.timers.currentProcessingTime();
  }

  getCurrentWatermark(): number {
    return this.timers.currentWatermark();
  }

  registerProcessingTimeTimer(time: number): void {
    this.timers.registerProcessingTimeTimer(time, this.ns);
  }

  registerEventTimeTimer(time: number): void {
    this.timers.registerEventTimeTimer(time, this.ns);
  }

  deleteProcessingTimeTimer(time: number): void {
    this.timers.deleteProcessingTimeTimer(time, this.ns);
  }

  deleteEventTimeTimer(time: number): void {
    this.timers.deleteEventTimeTimer(time, this.ns);
  }

  getPartitionedState<D extends StateDescriptor>(descriptor: D): StateFor<D> {
    const state = this.backend.getPartitionedState(descriptor);
    state.setCurrentNamespace(this.ns);
    return state;
  }

  mergePartitionedState(
    descriptor: ReducingStateDescriptor<any> | AggregatingStateDescriptor<any, any, any> | ListStateDescriptor<any>,
  ): void {
    const merged = this.mergedNamespaces;
    if (merged === undefined || merged.length === 0) return;
    this.backend.getPartitionedState(descriptor).mergeNamespaces(this.ns, merged);
  }
}
