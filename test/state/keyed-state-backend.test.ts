import { afterAll, afterEach, describe, expect, it } from "vitest";
import {
  AggregatingStateDescriptor,
  ListStateDescriptor,
  MapStateDescriptor,
  ReducingStateDescriptor,
  StateError,
  ValueStateDescriptor,
  type KeyedStateBackend,
  type StateKey,
} from "../../src/state/index.js";
import { average, cleanupDirs, createBackend, KINDS, sortKeys } from "./backends.js";

afterAll(cleanupDirs);

describe.each(KINDS)("keyed state on the $name backend", (kind) => {
  let backend: KeyedStateBackend;
  const open = async (options?: Parameters<typeof createBackend>[1]) => (backend = await createBackend(kind, options));
  afterEach(async () => backend?.close());

  it("ValueState: default, update, clear, per key", async () => {
    const b = await open();
    const count = b.getPartitionedState(new ValueStateDescriptor<number>("count", { defaultValue: 0 }));
    const name = b.getPartitionedState(new ValueStateDescriptor<string>("name"));
    b.setCurrentKey("a");
    expect(count.value()).toBe(0);
    expect(name.value()).toBeUndefined();
    count.update(count.value()! + 1);
    name.update("alice");
    b.setCurrentKey("b");
    expect(count.value()).toBe(0);
    count.update(5);
    b.setCurrentKey("a");
    expect(count.value()).toBe(1);
    expect(name.value()).toBe("alice");
    name.clear();
    expect(name.value()).toBeUndefined();
    count.update(undefined as unknown as number); // as Flink's update(null): clears
    expect(count.value()).toBe(0);
    expect(b.size()).toBe(1);
  });

  it("ListState: add, addAll, update, get returns a copy, update([]) clears", async () => {
    const b = await open();
    const list = b.getPartitionedState(new ListStateDescriptor<number>("l"));
    b.setCurrentKey(1);
    expect(list.get()).toEqual([]);
    list.add(1);
    list.addAll([2, 3]);
    list.addAll([]);
    const got = list.get();
    got.push(99);
    expect(list.get()).toEqual([1, 2, 3]);
    list.update([7, 8]);
    expect(list.get()).toEqual([7, 8]);
    const input = [4];
    list.update(input);
    input.push(5);
    expect(list.get()).toEqual([4]);
    list.update([]);
    expect(list.get()).toEqual([]);
    expect(b.size()).toBe(0);
    list.add(1);
    list.clear();
    expect(b.size()).toBe(0);
  });

  it("MapState: every method; user keys compare by canonical encoding; empty map is no entry", async () => {
    const b = await open();
    const map = b.getPartitionedState(new MapStateDescriptor<unknown, string>("m"));
    b.setCurrentKey("k");
    expect(map.isEmpty()).toBe(true);
    expect(map.get("x")).toBeUndefined();
    map.put("x", "1");
    map.put(2, "2");
    map.put({ a: 1, b: [2] }, "obj");
    map.put("\u0000odd", "odd");
    map.putAll([[true, "t"], [null, "n"]]);
    expect(map.get({ b: [2], a: 1 })).toBe("obj");
    expect(map.contains(2)).toBe(true);
    expect(map.contains("2")).toBe(false);
    expect(map.get("\u0000odd")).toBe("odd");
    expect(map.keys()).toEqual(["x", 2, { a: 1, b: [2] }, "\u0000odd", true, null]);
    expect(map.values()).toEqual(["1", "2", "obj", "odd", "t", "n"]);
    expect(map.entries()).toEqual([["x", "1"], [2, "2"], [{ a: 1, b: [2] }, "obj"], ["\u0000odd", "odd"], [true, "t"], [null, "n"]]);
    map.put("x", "1b");
    expect(map.get("x")).toBe("1b");
    for (const k of map.keys()) map.remove(k);
    expect(map.isEmpty()).toBe(true);
    expect(b.size()).toBe(0);
    map.remove("absent");
    map.put("y", "y");
    map.clear();
    expect(map.entries()).toEqual([]);
  });

  it("ReducingState and AggregatingState", async () => {
    const b = await open();
    const sum = b.getPartitionedState(new ReducingStateDescriptor<number>("sum", (x, y) => x + y));
    const avg = b.getPartitionedState(new AggregatingStateDescriptor("avg", average));
    b.setCurrentKey(["card", 7]);
    expect(sum.get()).toBeUndefined();
    expect(avg.get()).toBeUndefined();
    for (const v of [1, 2, 6]) {
      sum.add(v);
      avg.add(v);
    }
    expect(sum.get()).toBe(9);
    expect(avg.get()).toBe(3);
    sum.clear();
    avg.clear();
    expect(sum.get()).toBeUndefined();
    expect(avg.get()).toBeUndefined();
  });

  it("namespaces isolate entries; mergeNamespaces merges list, reducing and aggregating state as Flink", async () => {
    const b = await open();
    const list = b.getPartitionedState(new ListStateDescriptor<string>("l"));
    const sum = b.getPartitionedState(new ReducingStateDescriptor<string>("s", (x, y) => `(${x}+${y})`));
    const avg = b.getPartitionedState(new AggregatingStateDescriptor("a", average));
    b.setCurrentKey("k");
    for (const [ns, vs] of [["w1", ["a", "b"]], ["w2", ["c"]], ["w3", ["d"]]] as const) {
      for (const h of [list, sum, avg]) h.setCurrentNamespace(ns);
      for (const v of vs) {
        list.add(v);
        sum.add(v);
        avg.add(v.charCodeAt(0));
      }
    }
    list.setCurrentNamespace("w1");
    expect(list.get()).toEqual(["a", "b"]);
    list.setCurrentNamespace("");
    expect(list.get()).toEqual([]);
    list.mergeNamespaces("w1", ["w2", "w1", "w3", "missing"]);
    sum.mergeNamespaces("w1", ["w2", "w3"]);
    avg.mergeNamespaces("w9", ["w1", "w2", "w3"]);
    list.setCurrentNamespace("w1");
    expect(list.get()).toEqual(["a", "b", "c", "d"]);
    sum.setCurrentNamespace("w1");
    expect(sum.get()).toBe("((a+b)+(c+d))");
    avg.setCurrentNamespace("w9");
    expect(avg.get()).toBe((97 + 98 + 99 + 100) / 4);
    for (const ns of ["w2", "w3"]) {
      list.setCurrentNamespace(ns);
      sum.setCurrentNamespace(ns);
      expect(list.get()).toEqual([]);
      expect(sum.get()).toBeUndefined();
    }
    avg.setCurrentNamespace("w1");
    expect(avg.get()).toBeUndefined();
    expect(b.size()).toBe(3);
  });

  it("mergeNamespaces is refused for value and map state, and for an AggregateFunction without merge", async () => {
    const b = await open();
    b.setCurrentKey("k");
    const value = b.getPartitionedState(new ValueStateDescriptor<number>("v"));
    const map = b.getPartitionedState(new MapStateDescriptor<string, number>("m"));
    const { merge: _, ...noMerge } = average;
    const agg = b.getPartitionedState(new AggregatingStateDescriptor("a", noMerge));
    agg.setCurrentNamespace("w1");
    agg.add(1);
    for (const h of [value, map, agg]) expect(() => h.mergeNamespaces("w0", ["w1"])).toThrow(StateError);
    expect(agg.get()).toBe(1);
  });

  it("getKeys and applyToAllKeys see every key with an entry in any namespace", async () => {
    const b = await open();
    const v = b.getPartitionedState(new ValueStateDescriptor<number>("v"));
    const other = b.getPartitionedState(new ValueStateDescriptor<number>("other"));
    const keys: StateKey[] = ["a", 1, [1, "x"], { id: 3 }, true];
    keys.forEach((k, i) => {
      b.setCurrentKey(k);
      v.setCurrentNamespace(i % 2 === 0 ? "" : "w");
      v.update(i);
      v.setCurrentNamespace("w2");
      v.update(i);
    });
    b.setCurrentKey("only-other");
    other.update(1);
    expect(sortKeys(b.getKeys("v"))).toEqual(sortKeys(keys));
    expect(b.getKeys("other")).toEqual(["only-other"]);
    expect(b.getKeys("unknown")).toEqual([]);
    b.setCurrentKey("before");
    const seen: StateKey[] = [];
    b.applyToAllKeys("v", (k) => {
      expect(b.getCurrentKey()).toEqual(k);
      seen.push(k);
      v.setCurrentNamespace("w2");
      v.clear();
    });
    expect(sortKeys(seen)).toEqual(sortKeys(keys));
    expect(b.getCurrentKey()).toBe("before");
    expect(sortKeys(b.getKeys("v"))).toEqual(sortKeys(["a", [1, "x"], true, 1, { id: 3 }]));
    expect(b.size()).toBe(6);
  });

  it("keys: numbers and strings stay distinct, -0 is 0, structured keys compare canonically", async () => {
    const b = await open();
    const v = b.getPartitionedState(new ValueStateDescriptor<string>("v"));
    const put = (k: StateKey, s: string) => {
      b.setCurrentKey(k);
      v.update(s);
    };
    const get = (k: StateKey) => {
      b.setCurrentKey(k);
      return v.value();
    };
    put(1, "num");
    put("1", "str");
    put(-0, "zero");
    put({ x: 1, y: 2 }, "obj");
    put(10n, "big");
    put(null, "null");
    put("\u0000x", "escaped");
    expect([get(1), get("1"), get(0), get({ y: 2, x: 1 }), get(10n), get(null), get("\u0000x")]).toEqual(["num", "str", "zero", "obj", "big", "null", "escaped"]);
    expect(b.size()).toBe(7);
  });

  it("the same handle per name; incompatible or invalid descriptors, missing key and foreign key groups are errors", async () => {
    const b = await open({ range: { start: 0, end: 63 } });
    const d = new ValueStateDescriptor<number>("x");
    expect(b.getPartitionedState(d)).toBe(b.getPartitionedState({ kind: "value", name: "x" }));
    expect(() => b.getPartitionedState(new ListStateDescriptor<number>("x"))).toThrow(/value state/);
    expect(() => b.getPartitionedState({ kind: "value", name: "" })).toThrow(StateError);
    expect(() => b.getPartitionedState({ kind: "reducing", name: "r" } as never)).toThrow(StateError);
    const h = b.getPartitionedState(d);
    expect(() => h.value()).toThrow(/no current key/);
    expect(() => b.getCurrentKey()).toThrow(StateError);
    let inside: number | undefined;
    let outside: number | undefined;
    for (let k = 0; inside === undefined || outside === undefined; k++) {
      b.setCurrentKey(k);
      if (b.getCurrentKeyGroup() <= 63) inside ??= k;
      else outside ??= k;
    }
    b.setCurrentKey(inside);
    h.update(1);
    b.setCurrentKey(outside);
    expect(h.value()).toBeUndefined();
    expect(() => h.update(1)).toThrow(expect.objectContaining({ code: "STATE_KEY_OUT_OF_RANGE" }));
    expect(b.size()).toBe(1);
    expect(() => h.setCurrentNamespace(3 as unknown as string)).toThrow(StateError);
  });

  it("closes: further use is refused", async () => {
    const b = await open();
    b.setCurrentKey("k");
    b.getPartitionedState(new ValueStateDescriptor<number>("v")).update(1);
    await b.close();
    await b.close();
    expect(() => b.getPartitionedState(new ValueStateDescriptor<number>("w"))).toThrow(/closed/);
    await expect(b.snapshot()).rejects.toThrow(/closed/);
  });
});
