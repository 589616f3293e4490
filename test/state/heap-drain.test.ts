import { describe, expect, it } from "vitest";
import { heapBackend, StateTtlConfig, type KeyedStateBackend, type StateKey, type ValueState } from "../../src/state/index.js";

/**
 * `drainNamespace` on the heap: what a window operator uses to fire a window for all its keys at
 * once. It must hand over exactly the namespace's entries, in the order they were created, with
 * the current key set to each, and leave the backend as if each entry had been cleared.
 */

async function heap(range = { start: 0, end: 127 }, slice?: number): Promise<KeyedStateBackend> {
  return heapBackend(slice === undefined ? {} : { snapshotSliceEntries: slice }).create({ maxParallelism: 128, keyGroupRange: range, operatorId: "op", subtaskIndex: 0 });
}

type Acc = { n: number };

function fill(b: KeyedStateBackend, entries: Array<[StateKey, string, number]>): ValueState<Acc> {
  const s = b.getPartitionedState({ kind: "value", name: "acc" }) as ValueState<Acc> & { setCurrentNamespace(ns: string): void };
  for (const [k, ns, n] of entries) {
    b.setCurrentKey(k);
    s.setCurrentNamespace(ns);
    s.update({ n });
  }
  return s;
}

describe("HeapKeyedStateBackend.drainNamespace", () => {
  it("hands over one namespace's entries in creation order, with their keys current, and removes only them", async () => {
    const b = await heap();
    const s = fill(b, [
      ["c", "w1", 1],
      ["a", "w1", 2],
      ["a", "w2", 3],
      [7, "w1", 4],
      [["x", 1], "w1", 5],
      ["b", "w2", 6],
    ]) as ValueState<Acc> & { setCurrentNamespace(ns: string): void };
    b.setCurrentKey("b");
    const seen: Array<[StateKey, number]> = [];
    b.drainNamespace!("acc", "w1", (v) => seen.push([b.getCurrentKey(), (v as Acc).n]));
    expect(seen).toEqual([
      ["c", 1],
      ["a", 2],
      [7, 4],
      [["x", 1], 5],
    ]);
    expect(b.getCurrentKey()).toBe("b"); // the key current before the call
    expect(b.size()).toBe(2);
    for (const k of ["c", "a", 7]) {
      b.setCurrentKey(k);
      s.setCurrentNamespace("w1");
      expect(s.value()).toBeUndefined();
    }
    b.setCurrentKey("a");
    s.setCurrentNamespace("w2");
    expect(s.value()).toEqual({ n: 3 });
    // draining again, or an unknown state or namespace, does nothing
    const again: unknown[] = [];
    b.drainNamespace!("acc", "w1", (v) => again.push(v));
    b.drainNamespace!("acc", "w9", (v) => again.push(v));
    b.drainNamespace!("nope", "w2", (v) => again.push(v));
    expect(again).toEqual([]);
    // the namespace fills again as new
    fill(b, [["z", "w1", 9]]);
    b.drainNamespace!("acc", "w1", (v) => again.push(v));
    expect(again).toEqual([{ n: 9 }]);
    await b.close();
  });

  it("refuses the default namespace and states with a TTL", async () => {
    const b = await heap();
    b.getPartitionedState({ kind: "value", name: "ttl", ttl: StateTtlConfig.newBuilder(1000).build() });
    expect(() => b.drainNamespace!("acc", "", () => {})).toThrow(/default namespace/);
    expect(() => b.drainNamespace!("ttl", "w", () => {})).toThrow(/has a TTL/);
    await b.close();
  });

  it("a snapshot pending during the drain keeps the values of its barrier, even when the caller changes them in place", async () => {
    const b = await heap(undefined, 1);
    const entries: Array<[StateKey, string, number]> = [];
    for (let k = 0; k < 50; k++) entries.push([k, "w", k], [k, "other", 100 + k]);
    fill(b, entries);
    const snap = b.snapshot(); // serialised a slice at a time, on later turns
    b.drainNamespace!("acc", "w", (v) => {
      (v as Acc).n = -1; // what a window function may do to the accumulator it gets
    });
    const restored = await heap();
    await restored.restore([await snap]);
    const s = restored.getPartitionedState({ kind: "value", name: "acc" }) as ValueState<Acc> & { setCurrentNamespace(ns: string): void };
    for (let k = 0; k < 50; k++) {
      restored.setCurrentKey(k);
      s.setCurrentNamespace("w");
      expect(s.value()).toEqual({ n: k });
      s.setCurrentNamespace("other");
      expect(s.value()).toEqual({ n: 100 + k });
    }
    expect(restored.size()).toBe(100);
    expect(b.size()).toBe(50);
    await b.close();
    await restored.close();
  });
});
