import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  AggregatingStateDescriptor,
  heapBackend,
  ListStateDescriptor,
  MapStateDescriptor,
  ReducingStateDescriptor,
  StateTtlConfig,
  ValueStateDescriptor,
  type KeyedStateBackend,
  type KeyedStateSnapshot,
  type KeyGroupRange,
  type StateKey,
} from "../../src/state/index.js";
import { countAndSum, dump, MAX_PARALLELISM, NAMESPACES, rangeArb } from "./snapshot-model.js";
import { ManualClock } from "./backends.js";

/**
 * Copy-on-write heap snapshots: writes (many of them changing stored objects in place, as
 * operators do on the heap) interleave with snapshots taken at random points, whose asynchronous
 * parts run in slices of one entry and complete at random later points. Each snapshot must equal
 * the reference: a deep copy of the backend's tables taken at its barrier.
 */

const KEYS: StateKey[] = [1, 2, 3, 17, "a", "b", "\u0000x", ["k", 1], { id: 7 }];


const ttl = StateTtlConfig.newBuilder(2).setUpdateType("OnReadAndWrite").cleanupInBackground().build();
const descriptors = {
  record: new ValueStateDescriptor<{ n: number; tag: string }>("record"),
  count: new ValueStateDescriptor<number>("count"),
  list: new ListStateDescriptor<number>("list"),
  map: new MapStateDescriptor<string, { v: number }>("map"),
  sum: new ReducingStateDescriptor<number>("sum", (a, b) => a + b),
  acc: new AggregatingStateDescriptor("acc", countAndSum),
  ttlList: new ListStateDescriptor<number>("ttl-list", { ttl }),
  ttlValue: new ValueStateDescriptor<{ n: number }>("ttl-value", { ttl }),
};

type Op =
  | { op: "key"; key: StateKey }
  | { op: "ns"; ns: string }
  | { op: "record.update" | "record.bumpInPlace" | "count.update" | "list.add" | "sum.add" | "acc.add" | "ttlList.add" | "ttlValue.update"; v: number }
  | { op: "map.put" | "map.bumpInPlace"; k: string; v: number }
  | { op: "list.merge"; target: string; sources: string[] }
  | { op: "record.clear" | "list.clear" | "ttlList.get" | "ttlValue.get" | "tick" | "yield" | "cleanup" }
  | { op: "snapshot"; packed: boolean; range: KeyGroupRange | undefined }
  | { op: "settle"; which: number };

const small = fc.integer({ min: -3, max: 50 });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { arbitrary: fc.record({ op: fc.constant("key" as const), key: fc.constantFrom(...KEYS) }), weight: 4 },
  { arbitrary: fc.record({ op: fc.constant("ns" as const), ns: fc.constantFrom(...NAMESPACES) }), weight: 2 },
  {
    arbitrary: fc.record({
      op: fc.constantFrom("record.update" as const, "record.bumpInPlace" as const, "count.update" as const, "list.add" as const, "sum.add" as const, "acc.add" as const, "ttlList.add" as const, "ttlValue.update" as const),
      v: small,
    }),
    weight: 8,
  },
  { arbitrary: fc.record({ op: fc.constantFrom("map.put" as const, "map.bumpInPlace" as const), k: fc.constantFrom("p", "q"), v: small }), weight: 3 },
  { arbitrary: fc.record({ op: fc.constant("list.merge" as const), target: fc.constantFrom(...NAMESPACES), sources: fc.shuffledSubarray(NAMESPACES, { minLength: 1 }) }), weight: 1 },
  { arbitrary: fc.constantFrom<Op>({ op: "record.clear" }, { op: "list.clear" }, { op: "ttlList.get" }, { op: "ttlValue.get" }, { op: "cleanup" }), weight: 3 },
  { arbitrary: fc.constant<Op>({ op: "tick" }), weight: 2 },
  { arbitrary: fc.constant<Op>({ op: "yield" }), weight: 3 },
  {
    arbitrary: fc.record({
      op: fc.constant("snapshot" as const),
      packed: fc.boolean(),
      range: rangeArb,
    }),
    weight: 2,
  },
  { arbitrary: fc.record({ op: fc.constant("settle" as const), which: fc.nat() }), weight: 2 },
);


async function handlesOf(b: KeyedStateBackend) {
  return {
    record: b.getPartitionedState(descriptors.record),
    count: b.getPartitionedState(descriptors.count),
    list: b.getPartitionedState(descriptors.list),
    map: b.getPartitionedState(descriptors.map),
    sum: b.getPartitionedState(descriptors.sum),
    acc: b.getPartitionedState(descriptors.acc),
    ttlList: b.getPartitionedState(descriptors.ttlList),
    ttlValue: b.getPartitionedState(descriptors.ttlValue),
  };
}

/** What a snapshot holds, read back through a fresh backend (states registered after the restore, as a restarted operator does). */
async function restored(snap: KeyedStateSnapshot, clock: ManualClock, range?: KeyGroupRange): Promise<ReturnType<typeof dump>> {
  const b = await heapBackend().create({ maxParallelism: MAX_PARALLELISM, keyGroupRange: { start: 0, end: MAX_PARALLELISM - 1 }, clock: clock.fn, operatorId: "check", subtaskIndex: 0 });
  await b.restore([snap]);
  await handlesOf(b);
  const d = dump(b, range);
  await b.close();
  return d;
}

async function run(ops: readonly Op[]): Promise<void> {
  const clock = new ManualClock();
  const b = await heapBackend({ snapshotSliceEntries: 1 }).create({
    maxParallelism: MAX_PARALLELISM,
    keyGroupRange: { start: 0, end: MAX_PARALLELISM - 1 },
    clock: clock.fn,
    operatorId: "cow",
    subtaskIndex: 0,
  });
  const h = await handlesOf(b);
  const pending: Array<{ promise: Promise<KeyedStateSnapshot>; reference: ReturnType<typeof dump>; range: KeyGroupRange | undefined }> = [];
  const settle = async (i: number) => {
    const [p] = pending.splice(i, 1);
    const snap = await p.promise;
    if (p.range !== undefined) {
      for (const kg of [...Object.keys(snap.keyGroups), ...Object.keys(snap.packed ?? {})].map(Number)) {
        expect(kg >= p.range.start && kg <= p.range.end).toBe(true);
      }
    }
    expect(await restored(snap, clock, p.range)).toEqual(p.reference);
  };
  b.setCurrentKey(KEYS[0]);
  for (const o of ops) {
    switch (o.op) {
      case "key":
        b.setCurrentKey(o.key);
        break;
      case "ns":
        for (const s of Object.values(h)) s.setCurrentNamespace(o.ns);
        break;
      case "record.update":
        h.record.update({ n: o.v, tag: `t${o.v}` });
        break;
      case "record.bumpInPlace": {
        const r = h.record.value();
        if (r !== undefined) r.n += o.v; // stored by reference on the heap: no update needed
        break;
      }
      case "record.clear":
        h.record.clear();
        break;
      case "count.update":
        h.count.update(o.v);
        break;
      case "list.add":
        h.list.add(o.v);
        break;
      case "list.clear":
        h.list.clear();
        break;
      case "list.merge":
        h.list.mergeNamespaces(o.target, o.sources);
        break;
      case "map.put":
        h.map.put(o.k, { v: o.v });
        break;
      case "map.bumpInPlace": {
        const e = h.map.get(o.k);
        if (e !== undefined) e.v += o.v;
        break;
      }
      case "sum.add":
        h.sum.add(o.v);
        break;
      case "acc.add":
        h.acc.add(o.v);
        break;
      case "ttlList.add":
        h.ttlList.add(o.v);
        break;
      case "ttlList.get":
        h.ttlList.get();
        break;
      case "ttlValue.update":
        h.ttlValue.update({ n: o.v });
        break;
      case "ttlValue.get":
        h.ttlValue.value();
        break;
      case "tick":
        clock.advance(1);
        break;
      case "yield":
        await new Promise<void>((r) => setImmediate(r));
        break;
      case "cleanup":
        await b.cleanupExpired!();
        break;
      case "snapshot":
        pending.push({ reference: dump(b, o.range), promise: b.snapshot(o.range, { packed: o.packed }), range: o.range });
        break;
      case "settle":
        if (pending.length > 0) await settle(o.which % pending.length);
        break;
    }
  }
  while (pending.length > 0) await settle(0);
  await b.close();
}

describe("heap snapshots are copy-on-write", () => {
  it("each snapshot equals a deep copy of the state at its barrier, whatever runs before its serialisation ends", async () => {
    await fc.assert(fc.asyncProperty(fc.array(opArb, { minLength: 5, maxLength: 100, size: "max" }), run), { numRuns: 150 });
  });
});
