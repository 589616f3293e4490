import type { InternalKvState, State } from "../../api.js";
import type { RegisteredState } from "../registered-state.js";
import type { StateTable } from "../state-table.js";
import { ListStateHandle } from "./list-state-handle.js";
import { MapStateHandle } from "./map-state-handle.js";
import { AggregatingStateHandle, ReducingStateHandle, ValueStateHandle } from "./single-value-states.js";

/** The handle of a registered state over a backend's table: the one implementation of the state semantics. */
export function createHandle(state: RegisteredState, table: StateTable): State & InternalKvState {
  const d = state.descriptor;
  switch (d.kind) {
    case "value": {
      const h = new ValueStateHandle<unknown>(table, state.ttl, d.name);
      h.defaultValue = d.defaultValue;
      return h;
    }
    case "list":
      return new ListStateHandle<unknown>(table, state.ttl, d.name);
    case "map":
      return new MapStateHandle<unknown, unknown>(table, state.ttl, d.name);
    case "reducing": {
      const h = new ReducingStateHandle<unknown>(table, state.ttl, d.name);
      h.reduce = d.reduce;
      return h;
    }
    case "aggregating": {
      const h = new AggregatingStateHandle<unknown, unknown, unknown>(table, state.ttl, d.name);
      h.aggregate = d.aggregate;
      return h;
    }
  }
}
