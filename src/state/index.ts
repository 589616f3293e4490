/**
 * The keyed-state layer's public face: the API (`api.ts`), descriptors and TTL, key groups and
 * the canonical key encoding, and the two backends. The descriptor classes and `StateTtlConfig`
 * are exported under the names of the `api.ts` interfaces they implement (structurally the same
 * types, so a plain object of the interface's shape is accepted wherever an instance is).
 */
export type {
  AggregateFunction,
  AggregatingState,
  BackendOptions,
  InternalKvState,
  KeyedStateBackend,
  KeyedStateSnapshot,
  KeyGroupRange,
  ListState,
  MapState,
  ReducingState,
  SnapshotOptions,
  State,
  StateBackendFactory,
  StateDescriptor,
  StateFor,
  StateKey,
  StateKind,
  TtlStateVisibility,
  TtlUpdateType,
  TypeSerializer,
  ValueState,
} from "./api.js";
export {
  AggregatingStateDescriptor,
  ListStateDescriptor,
  MapStateDescriptor,
  ReducingStateDescriptor,
  ValueStateDescriptor,
  checkDescriptor,
  type StateDescriptorOptions,
} from "./descriptors.js";
export { StateTtlConfig, StateTtlConfigBuilder } from "./state-ttl-config.js";
export { v8Serializer } from "./v8-serializer.js";
export {
  DEFAULT_MAX_PARALLELISM,
  UPPER_BOUND_MAX_PARALLELISM,
  hashKey,
  keyGroupFor,
  keyGroupRangeForSubtask,
  subtaskForKeyGroup,
} from "./key-group.js";
export { decodeKey, encodeKey } from "./key-encoding.js";
export { heapBackend, levelDbBackend, type LevelDbBackendOptions } from "./backend-factories.js";
export { HeapKeyedStateBackend, type HeapBackendOptions } from "./heap/heap-keyed-state-backend.js";
export type { LevelDbCacheOptions } from "./leveldb/leveldb-keyed-state-backend.js";
export { StateError } from "../errors.js";
