import { deserialize, serialize } from "node:v8";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { fromColumns, toColumns } from "../../src/state/internal/packed-columns.js";
import { packKeyGroup, unpackKeyGroup } from "../../src/state/internal/packed-key-group.js";

/** The reference: what one `v8.serialize` of the items gives back. */
const viaV8 = (items: unknown[]) => deserialize(serialize(items)) as unknown[];
/** The column layout's round trip, through `v8.serialize` as a packed key group stores it. */
const viaColumns = (items: unknown[]) => {
  const cols = toColumns(items);
  return cols === undefined ? undefined : fromColumns(deserialize(serialize(cols)));
};

const id = fc.oneof(fc.integer({ min: -1000, max: 100_000 }), fc.string(), fc.constant("\u0000\u0001x"));
const num = fc.oneof(fc.double(), fc.integer(), fc.constantFrom(-0, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53));
const field = fc.oneof({ arbitrary: num, weight: 4 }, fc.string(), fc.boolean(), fc.constant(null), fc.constant(undefined), fc.record({ seen: fc.array(fc.integer(), { maxLength: 3 }) }));
// fast-check's strings include "__proto__" now and then: the layout leaves such objects to v8.serialize
const fieldNames = fc.uniqueArray(fc.oneof(fc.constantFrom("key", "value", "ts", "count", "sum", "v", "0", "12", "a b", "toString"), fc.string()), { minLength: 1, maxLength: 5 });

/** Items whose values are all numbers, or all objects with the same keys in the same order. */
const uniform = fc.oneof(
  fc.array(fc.tuple(id, num), { minLength: 2, maxLength: 40 }),
  fieldNames.chain((names) =>
    fc.array(fc.tuple(id, fc.tuple(...names.map(() => field)).map((vs) => Object.fromEntries(names.map((n, i) => [n, vs[i]])))), { minLength: 2, maxLength: 40 }),
  ),
).map((pairs) => pairs.flat());

describe("the column layout of packed runs", () => {
  it("round-trips numbers and flat objects exactly as v8.serialize does", () => {
    fc.assert(
      fc.property(uniform, (items) => {
        const back = viaColumns(items);
        if (typeof items[1] === "object" && Object.keys(items[1] as object).includes("__proto__")) {
          expect(back).toBeUndefined();
          return;
        }
        expect(back).toBeDefined();
        expect(back).toEqual(viaV8(items));
        // same own keys in the same order, and -0 and NaN kept
        for (let i = 1; i < items.length; i += 2) {
          if (typeof items[i] === "object") expect(Object.keys(back![i] as object)).toEqual(Object.keys(items[i] as object));
          else expect(Object.is(back![i], items[i])).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("a packed key group gives back what v8.serialize of its items does, in columns or not", () => {
    // a stored value is never undefined (that is "absent")
    const value = fc.oneof(field, fc.array(num, { maxLength: 3 })).filter((v) => v !== undefined);
    const anyItems = fc.oneof(uniform, fc.array(fc.tuple(id, value), { maxLength: 10 }).map((pairs) => pairs.flat()));
    fc.assert(
      fc.property(anyItems, (items) => {
        const [run] = unpackKeyGroup(packKeyGroup([{ name: "s", flags: 0, namespace: "", items }]), 0, 1);
        expect(run.items).toEqual(viaV8(items));
      }),
      { numRuns: 300 },
    );
  });

  it("leaves any other run to v8.serialize", () => {
    const cases: unknown[][] = [
      [1, 5], // one entry: not worth it
      [1, 5, 2, "x"], // a number and a string
      [1, { a: 1 }, 2, { b: 1 }], // different keys
      [1, { a: 1, b: 2 }, 2, { b: 2, a: 1 }], // same keys, another order
      [1, { a: 1 }, 2, { a: 1, b: 2 }], // an extra key
      [1, [1, 2], 2, [3]], // arrays (lists)
      [1, new Map(), 2, new Map()], // maps
      [1, new Date(0), 2, new Date(1)], // not plain objects
      [1, Object.create(null), 2, Object.create(null)],
      [1, {}, 2, {}], // no fields
      [1, JSON.parse('{"__proto__": 1}'), 2, JSON.parse('{"__proto__": 2}')],
    ];
    for (const items of cases) expect(toColumns(items)).toBeUndefined();
  });

  it("refuses what is not a column layout", () => {
    const bad: unknown[] = [
      "x",
      [new Float64Array(2), null],
      [new Float64Array(2), null, new Float64Array(1)],
      [new Float64Array(2), null, [1, 2]],
      [[1, 2], ["a", "a"], [1, 2], [3, 4]],
      [[1, 2], ["__proto__"], [1, 2]],
      [[1, 2], ["a"], [1, 2], [3, 4]],
    ];
    for (const b of bad) expect(() => fromColumns(b)).toThrow(/columns/);
  });
});
