import { describe, expect, it } from "vitest";
import {
  AggregatingStateDescriptor,
  checkDescriptor,
  decodeKey,
  encodeKey,
  ListStateDescriptor,
  MapStateDescriptor,
  ReducingStateDescriptor,
  StateError,
  StateTtlConfig,
  ValueStateDescriptor,
  type StateDescriptor,
} from "../../src/state/index.js";
import type * as api from "../../src/state/api.js";
import { average } from "./backends.js";

describe("state descriptors", () => {
  it("carry their kind, name and options, and are the api.ts interfaces", () => {
    const ttl = StateTtlConfig.newBuilder(1000).build();
    const ser = { serialize: (n: number) => new Uint8Array([n]), deserialize: (b: Uint8Array) => b[0] };
    const all: StateDescriptor[] = [
      new ValueStateDescriptor<number>("v", { defaultValue: 0, ttl, serializer: ser }),
      new ListStateDescriptor<number>("l"),
      new MapStateDescriptor<string, number>("m", { valueSerializer: ser }),
      new ReducingStateDescriptor<number>("r", (a, b) => a + b),
      new AggregatingStateDescriptor("a", average, { ttl }),
    ];
    expect(all.map((d) => [d.kind, d.name])).toEqual([["value", "v"], ["list", "l"], ["map", "m"], ["reducing", "r"], ["aggregating", "a"]]);
    const v = all[0] as ValueStateDescriptor<number>;
    expect([v.defaultValue, v.ttl, v.serializer]).toEqual([0, ttl, ser]);
    expect((all[4] as AggregatingStateDescriptor<number, unknown, number>).aggregate).toBe(average);
  });

  it("are interchangeable with plain objects of the api.ts interfaces (checked by the compiler)", () => {
    const plain: [ValueStateDescriptor<number>, ListStateDescriptor<string>, MapStateDescriptor<string, number>, ReducingStateDescriptor<number>, StateTtlConfig] = [
      { kind: "value", name: "v", defaultValue: 1 },
      { kind: "list", name: "l" },
      { kind: "map", name: "m" },
      { kind: "reducing", name: "r", reduce: (a, b) => a + b },
      { ttlMs: 5, updateType: "OnCreateAndWrite", stateVisibility: "NeverReturnExpired", cleanupInBackground: false },
    ];
    const asApi: api.StateDescriptor[] = [new ValueStateDescriptor<number>("v"), new AggregatingStateDescriptor("a", average)];
    expect(plain.length + asApi.length).toBe(7);
  });

  it("refuse what cannot work, with StateError", () => {
    const bad: Array<() => unknown> = [
      () => new ValueStateDescriptor("", {}),
      () => new ReducingStateDescriptor<number>("r", undefined as never),
      () => new AggregatingStateDescriptor("a", { createAccumulator: () => 0 } as never),
      () => new ListStateDescriptor("l", { serializer: { serialize: () => new Uint8Array() } as never }),
      () => new MapStateDescriptor("m", { ttl: { ttlMs: -1 } as never }),
      () => checkDescriptor({ kind: "window", name: "x" } as never),
      () => checkDescriptor(null as never),
    ];
    for (const f of bad) expect(f).toThrow(StateError);
  });
});

describe("StateTtlConfig", () => {
  it("builds with Flink's defaults", () => {
    expect({ ...StateTtlConfig.newBuilder(5000).build() }).toEqual({
      ttlMs: 5000,
      updateType: "OnCreateAndWrite",
      stateVisibility: "NeverReturnExpired",
      cleanupInBackground: false,
    });
    const c = StateTtlConfig.newBuilder(1).setTtl(60_000).setUpdateType("OnReadAndWrite").setStateVisibility("ReturnExpiredIfNotCleanedUp").cleanupInBackground().build();
    expect({ ...c }).toEqual({ ttlMs: 60_000, updateType: "OnReadAndWrite", stateVisibility: "ReturnExpiredIfNotCleanedUp", cleanupInBackground: true });
  });

  it("refuses bad settings", () => {
    for (const ms of [0, -5, NaN, Infinity]) expect(() => StateTtlConfig.newBuilder(ms)).toThrow(StateError);
    expect(() => StateTtlConfig.newBuilder(1).setUpdateType("OnRead" as never)).toThrow(StateError);
    expect(() => StateTtlConfig.newBuilder(1).setStateVisibility("Sometimes" as never)).toThrow(StateError);
  });
});

describe("key encoding edge cases", () => {
  it("keeps a __proto__ property a property", () => {
    const k = JSON.parse('{"__proto__": 1, "a": 2}');
    const back = decodeKey(encodeKey(k)) as Record<string, unknown>;
    expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
    expect(Object.keys(back)).toEqual(["__proto__", "a"]);
  });
});
