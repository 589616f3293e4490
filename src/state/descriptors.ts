import { StateError } from "../errors.js";
import type * as api from "./api.js";

/**
 * State descriptors, as Flink's: a descriptor names a piece of keyed state and says its kind,
 * its serialisers and its time-to-live; `backend.getPartitionedState(descriptor)` turns it into a
 * handle. Each class implements the interface of the same name in `api.ts`, adding nothing, so
 * a plain object literal of that shape works wherever an instance does. Serialisers default to
 * `v8Serializer`.
 *
 * ```ts
 * const count = new ValueStateDescriptor<number>("count", { defaultValue: 0 });
 * const seen = new MapStateDescriptor<string, number>("seen", { ttl: StateTtlConfig.newBuilder(60_000).build() });
 * const sum = new ReducingStateDescriptor<number>("sum", (a, b) => a + b);
 * ```
 */

/** Options every descriptor takes. */
export interface StateDescriptorOptions {
  /** Time-to-live of the state's entries; none when absent. */
  ttl?: api.StateTtlConfig;
}

/** A single value per key and namespace; `value()` gives `defaultValue` when nothing is stored. */
export class ValueStateDescriptor<T> implements api.ValueStateDescriptor<T> {
  readonly kind = "value";
  readonly ttl?: api.StateTtlConfig;
  readonly defaultValue?: T;
  readonly serializer?: api.TypeSerializer<T>;

  constructor(
    readonly name: string,
    options: StateDescriptorOptions & { defaultValue?: T; serializer?: api.TypeSerializer<T> } = {},
  ) {
    this.ttl = options.ttl;
    this.defaultValue = options.defaultValue;
    this.serializer = options.serializer;
    checkDescriptor(this);
  }
}

/** A list per key and namespace; with a TTL each element expires on its own. */
export class ListStateDescriptor<T> implements api.ListStateDescriptor<T> {
  readonly kind = "list";
  readonly ttl?: api.StateTtlConfig;
  readonly serializer?: api.TypeSerializer<T>;

  constructor(readonly name: string, options: StateDescriptorOptions & { serializer?: api.TypeSerializer<T> } = {}) {
    this.ttl = options.ttl;
    this.serializer = options.serializer;
    checkDescriptor(this);
  }
}

/**
 * A map per key and namespace; with a TTL each map entry expires on its own. User keys are
 * compared by their canonical encoding (see `encodeKey`), not by identity.
 */
export class MapStateDescriptor<UK, UV> implements api.MapStateDescriptor<UK, UV> {
  readonly kind = "map";
  readonly ttl?: api.StateTtlConfig;
  readonly keySerializer?: api.TypeSerializer<UK>;
  readonly valueSerializer?: api.TypeSerializer<UV>;

  constructor(
    readonly name: string,
    options: StateDescriptorOptions & { keySerializer?: api.TypeSerializer<UK>; valueSerializer?: api.TypeSerializer<UV> } = {},
  ) {
    this.ttl = options.ttl;
    this.keySerializer = options.keySerializer;
    this.valueSerializer = options.valueSerializer;
    checkDescriptor(this);
  }
}

/** A value per key and namespace that `add` folds new values into with `reduce(old, new)`. */
export class ReducingStateDescriptor<T> implements api.ReducingStateDescriptor<T> {
  readonly kind = "reducing";
  readonly ttl?: api.StateTtlConfig;
  readonly serializer?: api.TypeSerializer<T>;

  constructor(
    readonly name: string,
    readonly reduce: (a: T, b: T) => T,
    options: StateDescriptorOptions & { serializer?: api.TypeSerializer<T> } = {},
  ) {
    this.ttl = options.ttl;
    this.serializer = options.serializer;
    checkDescriptor(this);
  }
}

/** An accumulator per key and namespace, driven by an `AggregateFunction`; `serializer` is the accumulator's. */
export class AggregatingStateDescriptor<IN, ACC, OUT> implements api.AggregatingStateDescriptor<IN, ACC, OUT> {
  readonly kind = "aggregating";
  readonly ttl?: api.StateTtlConfig;
  readonly serializer?: api.TypeSerializer<ACC>;

  constructor(
    readonly name: string,
    readonly aggregate: api.AggregateFunction<IN, ACC, OUT>,
    options: StateDescriptorOptions & { serializer?: api.TypeSerializer<ACC> } = {},
  ) {
    this.ttl = options.ttl;
    this.serializer = options.serializer;
    checkDescriptor(this);
  }
}

/**
 * Throws `StateError` (code `STATE_INVALID_DESCRIPTOR`) unless `d` is a well-formed descriptor:
 * a known kind, a non-empty name, functions where functions are needed, serialisers with both
 * methods, a valid TTL. Backends call it for descriptors given as plain objects.
 */
export function checkDescriptor(d: api.StateDescriptor): void {
  const fail = (why: string): never => {
    throw new StateError(`state descriptor ${JSON.stringify(d?.name)}: ${why}`, { code: "STATE_INVALID_DESCRIPTOR" });
  };
  if (d === null || typeof d !== "object") fail("not an object");
  if (typeof d.name !== "string" || d.name.length === 0) fail("name must be a non-empty string");
  switch (d.kind) {
    case "value":
    case "list":
      checkSerializer(d.serializer, "serializer", fail);
      break;
    case "map":
      checkSerializer(d.keySerializer, "keySerializer", fail);
      checkSerializer(d.valueSerializer, "valueSerializer", fail);
      break;
    case "reducing":
      if (typeof d.reduce !== "function") fail("reduce must be a function");
      checkSerializer(d.serializer, "serializer", fail);
      break;
    case "aggregating": {
      const f = d.aggregate;
      if (f === null || typeof f !== "object" && typeof f !== "function") fail("aggregate must be an AggregateFunction");
      for (const m of ["createAccumulator", "add", "getResult"] as const) {
        if (typeof f[m] !== "function") fail(`aggregate.${m} must be a function`);
      }
      if (f.merge !== undefined && typeof f.merge !== "function") fail("aggregate.merge must be a function when given");
      checkSerializer(d.serializer, "serializer", fail);
      break;
    }
    default:
      fail(`unknown kind ${JSON.stringify((d as { kind?: unknown }).kind)}`);
  }
  const ttl = d.ttl;
  if (ttl !== undefined) {
    if (ttl === null || typeof ttl !== "object") fail("ttl must be a StateTtlConfig");
    if (typeof ttl.ttlMs !== "number" || !(ttl.ttlMs > 0) || !Number.isFinite(ttl.ttlMs)) fail("ttl.ttlMs must be a positive finite number");
    if (ttl.updateType !== "OnCreateAndWrite" && ttl.updateType !== "OnReadAndWrite") fail("ttl.updateType is invalid");
    if (ttl.stateVisibility !== "NeverReturnExpired" && ttl.stateVisibility !== "ReturnExpiredIfNotCleanedUp") fail("ttl.stateVisibility is invalid");
    if (typeof ttl.cleanupInBackground !== "boolean") fail("ttl.cleanupInBackground must be a boolean");
  }
}

function checkSerializer(s: api.TypeSerializer<unknown> | undefined, what: string, fail: (why: string) => never): void {
  if (s === undefined) return;
  if (s === null || typeof s.serialize !== "function" || typeof s.deserialize !== "function") fail(`${what} must have serialize and deserialize functions`);
}
