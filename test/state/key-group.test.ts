import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  decodeKey,
  DEFAULT_MAX_PARALLELISM,
  encodeKey,
  hashKey,
  keyGroupFor,
  keyGroupRangeForSubtask,
  StateError,
  subtaskForKeyGroup,
  type StateKey,
} from "../../src/state/index.js";

/** The definition, written out independently: MurmurHash3 fmix32 over FNV-1a 32 of the bytes. */
function referenceHash(bytes: Uint8Array): number {
  let h = 0x811c9dc5;
  for (const b of bytes) h = Math.imul(h ^ b, 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

const stringBytes = (s: string) => Buffer.concat([Buffer.from([0x01]), Buffer.from(s, "utf8")]);
const numberBytes = (n: number) => {
  const b = Buffer.alloc(9);
  b[0] = 0x02;
  b.writeDoubleBE(Object.is(n, -0) ? 0 : Number.isNaN(n) ? NaN : n, 1);
  return b;
};

describe("keyGroupFor", () => {
  it("is pinned: these values must never change (they place state in key groups of existing snapshots)", () => {
    const golden: Array<[StateKey, number, number]> = [
      [0, 4210986262, 22],
      [1, 435833786, 58],
      [42, 1222924923, 123],
      [-1, 3785130330, 90],
      [0.5, 1061630513, 49],
      ["", 90457223, 7],
      ["a", 194382013, 61],
      ["card-17", 959231229, 125],
      ["ü€😀", 3378657560, 24],
    ];
    for (const [key, hash, kg] of golden) {
      expect(hashKey(key)).toBe(hash);
      expect(keyGroupFor(key, DEFAULT_MAX_PARALLELISM)).toBe(kg);
    }
    expect([keyGroupFor([1, "x"], 128), keyGroupFor({ a: 1 }, 128), keyGroupFor(true, 128), keyGroupFor(null, 128), keyGroupFor(5n, 128)]).toEqual([117, 8, 91, 45, 114]);
  });

  it("hashes strings (any UTF-16, lone surrogates included) and numbers as the definition, without allocating", () => {
    const utf16 = fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)) });
    const codePoints = fc.string({ unit: fc.integer({ min: 0, max: 0x10ffff }).map((c) => String.fromCodePoint(c)) });
    fc.assert(fc.property(fc.oneof(utf16, codePoints), (s) => hashKey(s) === referenceHash(stringBytes(s))));
    fc.assert(fc.property(fc.double(), (n) => hashKey(n) === referenceHash(numberBytes(n))));
    fc.assert(fc.property(fc.jsonValue({ maxDepth: 2 }), (v) => hashKey(v as StateKey) === referenceHash(encodeKey(v as StateKey))));
    expect(hashKey(-0)).toBe(hashKey(0));
    expect(hashKey(NaN)).toBe(hashKey(Number("x")));
    expect(hashKey(1)).not.toBe(hashKey("1"));
  });

  it("spreads sequential keys evenly over key groups", () => {
    for (const make of [(i: number) => i, (i: number) => `user-${i}`]) {
      const counts = new Array(128).fill(0);
      for (let i = 0; i < 128_000; i++) counts[keyGroupFor(make(i), 128)]++;
      expect(Math.min(...counts)).toBeGreaterThan(850);
      expect(Math.max(...counts)).toBeLessThan(1150);
    }
  });
});

describe("key group ranges (Flink's KeyGroupRangeAssignment)", () => {
  it("gives Flink's ranges", () => {
    expect([0, 1, 2].map((i) => keyGroupRangeForSubtask(128, 3, i))).toEqual([
      { start: 0, end: 42 },
      { start: 43, end: 85 },
      { start: 86, end: 127 },
    ]);
    expect(keyGroupRangeForSubtask(128, 1, 0)).toEqual({ start: 0, end: 127 });
    expect(keyGroupRangeForSubtask(10, 4, 3)).toEqual({ start: 8, end: 9 });
  });

  it("partitions [0, max) into contiguous ranges, and subtaskForKeyGroup agrees with them", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 32768 }), fc.integer({ min: 1, max: 300 }), (max, p0) => {
        const p = Math.min(p0, max);
        let next = 0;
        for (let i = 0; i < p; i++) {
          const r = keyGroupRangeForSubtask(max, p, i);
          if (r.start !== next || r.end < r.start) return false;
          if (subtaskForKeyGroup(max, p, r.start) !== i || subtaskForKeyGroup(max, p, r.end) !== i) return false;
          next = r.end + 1;
        }
        return next === max;
      }),
      { numRuns: 200 },
    );
  });

  it("refuses bad arguments", () => {
    const bad: Array<() => unknown> = [
      () => keyGroupRangeForSubtask(0, 1, 0),
      () => keyGroupRangeForSubtask(32769, 1, 0),
      () => keyGroupRangeForSubtask(128, 129, 0),
      () => keyGroupRangeForSubtask(128, 0, 0),
      () => keyGroupRangeForSubtask(128, 4, 4),
      () => keyGroupRangeForSubtask(128, 4, -1),
      () => keyGroupRangeForSubtask(128, 2.5, 0),
      () => subtaskForKeyGroup(128, 4, 128),
      () => subtaskForKeyGroup(128, 4, -1),
      () => subtaskForKeyGroup(64, 128, 0),
    ];
    for (const f of bad) expect(f).toThrow(StateError);
  });
});

/** A key with -0 as 0, as the encoding has it. */
function canonical(k: unknown): unknown {
  if (Object.is(k, -0)) return 0;
  if (Array.isArray(k)) return k.map(canonical);
  if (Object.prototype.toString.call(k) === "[object Object]") {
    return Object.fromEntries(Object.entries(k as object).map(([n, v]) => [n, canonical(v)]));
  }
  return k;
}

describe("encodeKey / decodeKey", () => {
  const key = fc.letrec<{ key: unknown }>((tie) => ({
    key: fc.oneof(
      { depthSize: "small" },
      fc.string(),
      fc.double(),
      fc.boolean(),
      fc.constant(null),
      fc.bigInt(),
      fc.date({ noInvalidDate: true }),
      fc.array(tie("key")),
      fc.dictionary(fc.string(), tie("key")),
    ),
  })).key as fc.Arbitrary<StateKey>;

  it("round-trips keys, canonically (decode then encode gives the same bytes)", () => {
    fc.assert(
      fc.property(key, (k) => {
        const bytes = encodeKey(k);
        const back = decodeKey(bytes);
        expect(Buffer.from(encodeKey(back)).equals(Buffer.from(bytes))).toBe(true);
        expect(back).toEqual(canonical(k));
      }),
      { numRuns: 300 },
    );
  });

  it("ignores property order, keeps -0 as 0 and tells types apart", () => {
    expect(encodeKey({ a: 1, b: [2, { c: 3, d: 4 }] })).toEqual(encodeKey({ b: [2, { d: 4, c: 3 }], a: 1 }));
    expect(encodeKey(-0)).toEqual(encodeKey(0));
    const distinct: StateKey[] = [1, "1", true, 1n, [1], { 1: 1 }, null, "", [], {}];
    expect(new Set(distinct.map((k) => Buffer.from(encodeKey(k)).toString("hex"))).size).toBe(distinct.length);
  });

  it("refuses functions, symbols and corrupt bytes with StateError", () => {
    expect(() => encodeKey({ f: () => 1 } as never)).toThrow(StateError);
    expect(() => encodeKey([Symbol("s")] as never)).toThrow(StateError);
    expect(() => decodeKey(new Uint8Array([0x02, 1, 2]))).toThrow(StateError);
    expect(() => decodeKey(new Uint8Array([0x55]))).toThrow(StateError);
    expect(() => decodeKey(new Uint8Array([0x04, 0]))).toThrow(StateError);
  });
});
