/**
 * What the snapshot property tests (heap copy-on-write, LevelDB sliced flushes) share: the
 * in-place accumulator, the key-group range arbitrary, and the reference: a comparable deep copy of a heap backend's tables.
 */
import fc from "fast-check";
import type { AggregateFunction, KeyedStateBackend, KeyGroupRange } from "../../src/state/index.js";
import { keyGroupOfId, type KeyId } from "../../src/state/internal/key-id.js";

export const MAX_PARALLELISM = 8;
export const NAMESPACES = ["", "w1", "w2"];

/** An accumulator changed in place, as `bench:runtime`'s count-and-sum is. */
export const countAndSum: AggregateFunction<number, { count: number; sum: number }, { count: number; sum: number }> = {
  createAccumulator: () => ({ count: 0, sum: 0 }),
  add: (v, acc) => {
    acc.count++;
    acc.sum += v;
    return acc;
  },
  getResult: (acc) => acc,
  merge: (a, b) => ({ count: a.count + b.count, sum: a.sum + b.sum }),
};

/** No range (all key groups), or a random range of them. */
export const rangeArb: fc.Arbitrary<KeyGroupRange | undefined> = fc.option(
  fc.integer({ min: 0, max: MAX_PARALLELISM - 1 }).chain((start) => fc.record({ start: fc.constant(start), end: fc.integer({ min: start, max: MAX_PARALLELISM - 1 }) })),
  { nil: undefined },
);

export type Dump = Record<string, Array<[string, string, unknown]>>;

/**
 * A comparable deep copy of a heap backend's tables: state -> sorted [namespace, key id, stored
 * value], of the key groups in `range` (default all) that `only` accepts (default all).
 */
export function dump(b: KeyedStateBackend, range?: KeyGroupRange, only: (kg: number) => boolean = () => true): Dump {
  const tables = (b as unknown as { tables: Map<string, { def: Map<KeyId, unknown>; nsd: Map<string, Map<KeyId, unknown>> }> }).tables;
  const out: Dump = {};
  for (const [name, t] of tables) {
    const rows: Array<[string, string, unknown]> = [];
    const add = (ns: string, m: Map<KeyId, unknown>) => {
      for (const [id, v] of m) {
        const kg = keyGroupOfId(id, MAX_PARALLELISM);
        if ((range === undefined || (kg >= range.start && kg <= range.end)) && only(kg)) rows.push([ns, `${typeof id}:${id}`, structuredClone(v)]);
      }
    };
    add("", t.def);
    for (const [ns, m] of t.nsd) add(ns, m);
    rows.sort((x, y) => (`${x[0]}|${x[1]}` < `${y[0]}|${y[1]}` ? -1 : 1));
    if (rows.length > 0) out[name] = rows;
  }
  return out;
}
