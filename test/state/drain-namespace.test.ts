import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { heapBackend, StateTtlConfig, type KeyedStateBackend, type StateKey, type ValueState } from "../../src/state/index.js";
import { cleanupDirs, createBackend, KINDS, LEVELDB } from "./backends.js";

/**
 * `drainNamespace`: what a window operator uses to fire a window for all its keys at once. It
 * must hand over exactly the namespace's entries, in the order they were created, with the
 * current key set to each, and leave the backend as if each entry had been cleared; on LevelDB
 * also when entries were evicted from the cache or restored (then read from disk).
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

afterAll(cleanupDirs);

describe.each(KINDS)("drainNamespace ($name)", (kind) => {
  it("hands over one namespace's entries in creation order, with their keys current, and removes only them", async () => {
    const b = await createBackend(kind);
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
    const b = await createBackend(kind);
    b.getPartitionedState({ kind: "value", name: "ttl", ttl: StateTtlConfig.newBuilder(1000).build() });
    expect(() => b.drainNamespace!("acc", "", () => {})).toThrow(/default namespace/);
    expect(() => b.drainNamespace!("ttl", "w", () => {})).toThrow(/has a TTL/);
    await b.close();
  });

  it("a snapshot pending during the drain keeps the values of its barrier, even when the caller changes them in place", async () => {
    const b = kind.name === "heap" ? await heap(undefined, 1) : await createBackend(kind);
    const entries: Array<[StateKey, string, number]> = [];
    for (let k = 0; k < 50; k++) entries.push([k, "w", k], [k, "other", 100 + k]);
    fill(b, entries);
    const snap = b.snapshot(); // serialised a slice at a time, on later turns
    b.drainNamespace!("acc", "w", (v) => {
      (v as Acc).n = -1; // what a window function may do to the accumulator it gets
    });
    const restored = await createBackend(kind);
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

describe("drainNamespace on LevelDB, with entries only on disk", () => {
  afterAll(cleanupDirs);

  /** Random writes, deletes, flushes and a restore, then a drain: exactly the namespace's live entries, whatever is cached. */
  it("drains what a model says the namespace holds, after evictions from a small cache and after a restore", async () => {
    type Op = { kind: "put"; k: number; ns: number; n: number } | { kind: "del"; k: number; ns: number } | { kind: "flush" } | { kind: "restore" } | { kind: "drain"; ns: number };
    const opArb: fc.Arbitrary<Op> = fc.oneof(
      { weight: 6, arbitrary: fc.record({ kind: fc.constant("put" as const), k: fc.nat(30), ns: fc.nat(3), n: fc.nat(99) }) },
      { weight: 2, arbitrary: fc.record({ kind: fc.constant("del" as const), k: fc.nat(30), ns: fc.nat(3) }) },
      { weight: 1, arbitrary: fc.constant({ kind: "flush" as const }) },
      { weight: 1, arbitrary: fc.constant({ kind: "restore" as const }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant("drain" as const), ns: fc.nat(3) }) },
    );
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { maxLength: 80 }), async (ops) => {
        let b = await createBackend(LEVELDB, { cache: { cacheEntries: 8, flushThreshold: 4 } });
        const model = new Map<string, Map<number, number>>(); // ns -> key -> n, in creation order
        const stateOf = (be: KeyedStateBackend) => be.getPartitionedState({ kind: "value", name: "acc" }) as ValueState<Acc> & { setCurrentNamespace(ns: string): void };
        let s = stateOf(b);
        for (const op of ops) {
          if (op.kind === "put" || op.kind === "del") {
            const ns = `w${op.ns}`;
            b.setCurrentKey(op.k);
            s.setCurrentNamespace(ns);
            const m = model.get(ns) ?? new Map<number, number>();
            model.set(ns, m);
            if (op.kind === "put") {
              s.update({ n: op.n });
              m.set(op.k, op.n);
            } else {
              s.clear();
              m.delete(op.k);
            }
          } else if (op.kind === "flush") await b.flush();
          else if (op.kind === "restore") {
            const snap = await b.snapshot();
            await b.close();
            b = await createBackend(LEVELDB, { cache: { cacheEntries: 8, flushThreshold: 4 } });
            await b.restore([snap]);
            s = stateOf(b);
          } else {
            const ns = `w${op.ns}`;
            const got: Array<[StateKey, number]> = [];
            b.drainNamespace!("acc", ns, (v) => got.push([b.getCurrentKey(), (v as Acc).n]));
            const want = [...(model.get(ns) ?? new Map<number, number>())].sort((x, y) => x[0] - y[0]);
            expect(got.sort((x, y) => (x[0] as number) - (y[0] as number))).toEqual(want);
            model.delete(ns);
          }
        }
        // what is left reads back as the model says, and counts the same
        let left = 0;
        for (let ns = 0; ns <= 3; ns++) {
          for (let k = 0; k <= 30; k++) {
            b.setCurrentKey(k);
            s.setCurrentNamespace(`w${ns}`);
            const want = model.get(`w${ns}`)?.get(k);
            expect(s.value()?.n).toBe(want);
            if (want !== undefined) left++;
          }
        }
        expect(b.size()).toBe(left);
        await b.close();
      }),
      { numRuns: 60 },
    );
  });
});
