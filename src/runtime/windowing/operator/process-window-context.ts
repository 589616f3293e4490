import { JobError } from "../../../errors.js";
import type { KeyedStateBackend, StateDescriptor, StateFor } from "../../../state/api.js";
import type { OperatorContext } from "../../operator.js";
import type { OutputTag } from "../../output-tag.js";
import type { Window } from "../api.js";
import type { KeyedStateStore, ProcessWindowContext } from "../window-functions.js";

/**
 * The one `ProcessWindowFunction` context of a window operator subtask, moved from window to
 * window by setting `w` and `ns`. Per-window state is scoped to the window's namespace, global
 * state to the default namespace "".
 */
export class ProcessWindowContextImpl<W extends Window> implements ProcessWindowContext<W> {
  w!: W;
  ns = "";
  private readonly windowStore: KeyedStateStore;
  private readonly globalStore: KeyedStateStore;

  constructor(
    private readonly ctx: OperatorContext<unknown>,
    backend: KeyedStateBackend,
    private readonly merging: boolean,
  ) {
    this.windowStore = stateStore(backend, () => this.ns);
    this.globalStore = stateStore(backend, () => "");
  }

  window(): W {
    return this.w;
  }

  currentProcessingTime(): number {
    return this.ctx.timers.currentProcessingTime();
  }

  currentWatermark(): number {
    return this.ctx.timers.currentWatermark();
  }

  windowState(): KeyedStateStore {
    if (this.merging) {
      throw new JobError("per-window state is not available with merging windows (sessions), as in Flink; use globalState()", {
        code: "JOB_UNSUPPORTED",
      });
    }
    return this.windowStore;
  }

  globalState(): KeyedStateStore {
    return this.globalStore;
  }

  output<X>(tag: OutputTag<X>, value: X): void {
    this.ctx.output.collectSide(tag, value, this.w.maxTimestamp());
  }
}

function stateStore(backend: KeyedStateBackend, namespace: () => string): KeyedStateStore {
  const get = <D extends StateDescriptor>(d: D, kind: D["kind"]): StateFor<D> => {
    if (d?.kind !== kind) throw new JobError(`state "${d?.name}" is a ${d?.kind} state descriptor, not ${kind}`);
    const state = backend.getPartitionedState(d);
    state.setCurrentNamespace(namespace());
    return state;
  };
  return {
    getState: (d) => get(d, "value"),
    getListState: (d) => get(d, "list"),
    getMapState: (d) => get(d, "map"),
    getReducingState: (d) => get(d, "reducing"),
    getAggregatingState: (d) => get(d, "aggregating") as never,
  };
}
