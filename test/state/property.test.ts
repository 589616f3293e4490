import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import {
  AggregatingStateDescriptor,
  ListStateDescriptor,
  MapStateDescriptor,
  ReducingStateDescriptor,
  StateTtlConfig,
  ValueStateDescriptor,
  type KeyedStateBackend,
  type StateKey,
} from "../../src/state/index.js";
import { average, cleanupDirs, createBackend, HEAP, LEVELDB, ManualClock, sortKeys } from "./backends.js";
import { ReferenceModel, type Op } from "./reference-model.js";

afterAll(cleanupDirs);

const KEYS: StateKey[] = ["a", [1, "x"], { id: 1 }];
const NAMESPACES = ["", "w"];
const STATES = ["value", "list", "map", "sum", "avg"] as const;
const MERGING = ["list", "sum", "avg"] as const;

const small = fc.integer({ min: -5, max: 20 });
const mapKey = fc.constantFrom<string | number>("p", "q", 3);
const values = fc.array(small, { maxLength: 3 });
const merge = (state: (typeof MERGING)[number]) =>
  fc.record({ op: fc.constant("merge" as const), state: fc.constant(state), target: fc.constantFrom(...NAMESPACES), sources: fc.shuffledSubarray(NAMESPACES, { minLength: 1 }) });

/** Operations on each state (reads weighted up, so that effects are seen). */
const stateOps: Record<(typeof STATES)[number], fc.Arbitrary<Op>> = {
  value: fc.oneof(
    fc.record({ op: fc.constant("value.update" as const), v: small }),
    fc.constantFrom<Op>({ op: "value.get" }, { op: "value.get" }, { op: "value.clear" }),
  ),
  list: fc.oneof(
    { arbitrary: fc.record({ op: fc.constant("list.add" as const), v: small }), weight: 3 },
    fc.record({ op: fc.constantFrom("list.addAll" as const, "list.update" as const), vs: values }),
    { arbitrary: fc.constantFrom<Op>({ op: "list.get" }, { op: "list.clear" }, { op: "list.get" }, { op: "list.get" }), weight: 3 },
    { arbitrary: merge("list"), weight: 2 },
    { arbitrary: fc.record({ op: fc.constant("ns" as const), ns: fc.constantFrom(...NAMESPACES) }), weight: 2 },
  ),
  map: fc.oneof(
    { arbitrary: fc.record({ op: fc.constant("map.put" as const), k: mapKey, v: small }), weight: 3 },
    { arbitrary: fc.record({ op: fc.constantFrom("map.get" as const, "map.remove" as const, "map.contains" as const), k: mapKey }), weight: 3 },
    fc.constantFrom<Op>({ op: "map.entries" }, { op: "map.isEmpty" }, { op: "map.clear" }),
  ),
  sum: fc.oneof(
    { arbitrary: fc.record({ op: fc.constant("sum.add" as const), v: small }), weight: 3 },
    { arbitrary: fc.constantFrom<Op>({ op: "sum.get" }, { op: "sum.clear" }, { op: "sum.get" }), weight: 2 },
    merge("sum"),
    fc.record({ op: fc.constant("ns" as const), ns: fc.constantFrom(...NAMESPACES) }),
  ),
  avg: fc.oneof(
    fc.record({ op: fc.constant("avg.add" as const), v: small }),
    fc.constant<Op>({ op: "avg.get" }),
    merge("avg"),
    fc.record({ op: fc.constant("ns" as const), ns: fc.constantFrom(...NAMESPACES) }),
  ),
};

const commonOps: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant("key" as const), key: fc.constantFrom(...KEYS) }),
  { arbitrary: fc.record({ op: fc.constant("ns" as const), ns: fc.constantFrom(...NAMESPACES) }), weight: 3 },
  fc.record({ op: fc.constant("getKeys" as const), state: fc.constantFrom(...STATES) }),
  fc.constantFrom<Op>({ op: "size" }, { op: "flush" }, { op: "yield" }, { op: "snapshotRestore" }, { op: "tick" }, { op: "cleanup" }),
);

/** A sequence that dwells on one state (so that its operations meet), with the others mixed in. */
const sequence = (tickWeight: number): fc.Arbitrary<Op[]> => fc.constantFrom(...STATES).chain((focus) =>
  fc.array(
    fc.oneof(
      { arbitrary: commonOps, weight: 3 },
      { arbitrary: fc.constant<Op>({ op: "tick" }), weight: tickWeight },
      { arbitrary: stateOps[focus], weight: 12 },
      ...STATES.filter((s) => s !== focus).map((s) => ({ arbitrary: stateOps[s], weight: 1 })),
    ),
    { minLength: 10, maxLength: 80, size: "max" },
  ),
);

/**
 * The five states, with or without TTLs (OnReadAndWrite on some, ReturnExpired on others, background
 * cleanup on two whose visibility is NeverReturnExpired, so that reads do not depend on how far the
 * incremental sweeps, which differ between backends, have got).
 */
function descriptors(withTtl: boolean) {
  const ttl = (f: (b: ReturnType<typeof StateTtlConfig.newBuilder>) => unknown) => {
    if (!withTtl) return undefined;
    const b = StateTtlConfig.newBuilder(3);
    f(b);
    return b.build();
  };
  return {
    value: new ValueStateDescriptor<number>("value", { ttl: ttl((b) => b.setUpdateType("OnReadAndWrite").setStateVisibility("ReturnExpiredIfNotCleanedUp")) }),
    list: new ListStateDescriptor<number>("list", { ttl: ttl((b) => b.cleanupInBackground()) }),
    map: new MapStateDescriptor<string | number, number>("map", { ttl: ttl((b) => b.setUpdateType("OnReadAndWrite")) }),
    sum: new ReducingStateDescriptor<number>("sum", (a, b) => a + b, { ttl: ttl((b) => b.setStateVisibility("ReturnExpiredIfNotCleanedUp")) }),
    avg: new AggregatingStateDescriptor("avg", average, { ttl: ttl((b) => b.cleanupInBackground()) }),
  };
}

/** Runs `ops` on a backend, returning what each observing operation saw. */
async function run(b: KeyedStateBackend, clock: ManualClock, ops: readonly Op[], withTtl: boolean): Promise<unknown[]> {
  const d = descriptors(withTtl);
  const h = {
    value: b.getPartitionedState(d.value),
    list: b.getPartitionedState(d.list),
    map: b.getPartitionedState(d.map),
    sum: b.getPartitionedState(d.sum),
    avg: b.getPartitionedState(d.avg),
  };
  const seen: unknown[] = [];
  b.setCurrentKey(KEYS[0]);
  for (const o of ops) {
    switch (o.op) {
      case "key": b.setCurrentKey(o.key); break;
      case "ns": for (const s of Object.values(h)) s.setCurrentNamespace(o.ns); break;
      case "value.update": h.value.update(o.v); break;
      case "value.get": seen.push(h.value.value()); break;
      case "value.clear": h.value.clear(); break;
      case "list.add": h.list.add(o.v); break;
      case "list.addAll": h.list.addAll(o.vs); break;
      case "list.update": h.list.update(o.vs); break;
      case "list.get": seen.push(h.list.get()); break;
      case "list.clear": h.list.clear(); break;
      case "map.put": h.map.put(o.k, o.v); break;
      case "map.get": seen.push(h.map.get(o.k)); break;
      case "map.remove": h.map.remove(o.k); break;
      case "map.contains": seen.push(h.map.contains(o.k)); break;
      case "map.entries": seen.push(h.map.entries()); break;
      case "map.isEmpty": seen.push(h.map.isEmpty()); break;
      case "map.clear": h.map.clear(); break;
      case "sum.add": h.sum.add(o.v); break;
      case "sum.get": seen.push(h.sum.get()); break;
      case "sum.clear": h.sum.clear(); break;
      case "avg.add": h.avg.add(o.v); break;
      case "avg.get": seen.push(h.avg.get()); break;
      case "merge": h[o.state].mergeNamespaces(o.target, o.sources); break;
      // with TTLs, background sweeps differ between backends: compare counts after a full cleanup
      case "getKeys": if (withTtl) await b.cleanupExpired!(); seen.push(sortKeys(b.getKeys(o.state))); break;
      case "size": if (withTtl) await b.cleanupExpired!(); seen.push(b.size()); break;
      case "flush": await b.flush(); break;
      case "yield": await new Promise(setImmediate); break;
      case "snapshotRestore": await b.restore([await b.snapshot()]); break;
      case "tick": clock.advance(1); break;
      case "cleanup": await b.cleanupExpired!(); break;
    }
  }
  return seen;
}

async function runOn(kind: typeof HEAP, ops: readonly Op[], withTtl: boolean): Promise<unknown[]> {
  const clock = new ManualClock();
  const b = await createBackend(kind, { clock: clock.fn, cache: { cacheEntries: 3, flushThreshold: 2 } });
  try {
    return await run(b, clock, ops, withTtl);
  } finally {
    await b.close();
  }
}

describe("heap, LevelDB and a plain-Map model agree", () => {
  it("on random operation sequences over every state kind, key and namespace", async () => {
    await fc.assert(
      fc.asyncProperty(sequence(0), async (ops) => {
        const model = new ReferenceModel(KEYS[0]).run(ops);

        expect(await runOn(HEAP, ops, false)).toEqual(model);
        expect(await runOn(LEVELDB, ops, false)).toEqual(model);
      }),
      { numRuns: 100 },
    );

  });

  it("with TTLs (heap against LevelDB: same expiries, same visibility, same cleanup)", async () => {
    await fc.assert(
      fc.asyncProperty(sequence(3), async (ops) => {
        expect(await runOn(LEVELDB, ops, true)).toEqual(await runOn(HEAP, ops, true));
      }),
      { numRuns: 40 },
    );
  });
});
