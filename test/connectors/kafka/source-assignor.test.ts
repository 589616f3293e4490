import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { assignPartitions, type MemberClaim } from "../../../src/connectors/kafka/group-assignor.js";
import { tpKey, type TopicPartition } from "../../../src/connectors/kafka/offsets.js";

/** Every balanced assignment of `keys` to `ids` (sizes differing by at most one), by brute force. */
function balancedAssignments(keys: readonly string[], ids: readonly string[]): Array<Map<string, string>> {
  const out: Array<Map<string, string>> = [];
  const total = ids.length ** keys.length;
  for (let code = 0; code < total; code++) {
    const owner = new Map<string, string>();
    let c = code;
    for (const k of keys) {
      owner.set(k, ids[c % ids.length]);
      c = Math.floor(c / ids.length);
    }
    const sizes = ids.map((id) => [...owner.values()].filter((o) => o === id).length);
    if (Math.max(...sizes) - Math.min(...sizes) <= 1) out.push(owner);
  }
  return out;
}

const partitionsArb = fc
  .tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 0, max: 3 }))
  .map(([topics, perTopic]) => Array.from({ length: topics }, (_, t) => Array.from({ length: perTopic }, (_, partition) => ({ topic: `t${t}`, partition }))).flat());

describe("assignPartitions (group mode's sticky assignment)", () => {
  it("with disjoint claims: covers every partition once, balanced, keeps as many held partitions as the best balanced assignment, and waits exactly for partitions another member holds", () => {
    fc.assert(
      fc.property(partitionsArb, fc.integer({ min: 1, max: 3 }), fc.array(fc.integer({ min: -1, max: 2 }), { maxLength: 6 }), (partitions, members, holderOf) => {
        const keys = partitions.map((p) => tpKey(p.topic, p.partition));
        const ids = Array.from({ length: members }, (_, i) => `m${i}`);
        // partition i held by member holderOf[i] (none when -1 or out of range): disjoint claims
        const holder = new Map<string, string>();
        keys.forEach((k, i) => {
          const h = holderOf[i];
          if (h !== undefined && h >= 0 && h < members) holder.set(k, ids[h]);
        });
        const claims: MemberClaim[] = ids.map((id) => ({ memberId: id, held: keys.filter((k) => holder.get(k) === id) }));
        const result = assignPartitions(claims, partitions);

        expect([...result.keys()].sort()).toEqual(ids);
        const all = [...result.values()].flatMap((a) => a.assigned);
        expect([...all].sort()).toEqual([...keys].sort());
        const sizes = [...result.values()].map((a) => a.assigned.length);
        expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
        for (const [id, a] of result) {
          expect(a.waitFor).toEqual(a.assigned.filter((k) => holder.has(k) && holder.get(k) !== id));
        }
        const kept = [...result].reduce((n, [id, a]) => n + a.assigned.filter((k) => holder.get(k) === id).length, 0);
        const best = Math.max(...balancedAssignments(keys, ids).map((owner) => keys.filter((k) => holder.get(k) === owner.get(k)).length));
        expect(kept).toBe(best);
      }),
      { numRuns: 300 },
    );
  });

  it("is deterministic: the order of members, claims and partitions does not matter, and overlapping claims still give a balanced cover", () => {
    fc.assert(
      fc.property(
        partitionsArb,
        fc.array(fc.array(fc.integer({ min: 0, max: 5 }), { maxLength: 4 }), { minLength: 1, maxLength: 4 }),
        fc.integer(),
        (partitions, heldIndexes, seed) => {
          const keys = partitions.map((p) => tpKey(p.topic, p.partition));
          const claims: MemberClaim[] = heldIndexes.map((idx, i) => ({ memberId: `member-${i}`, held: idx.filter((x) => x < keys.length).map((x) => keys[x]) }));
          const shuffle = <T>(xs: readonly T[]): T[] => [...xs].map((x, i) => ({ x, r: Math.sin(seed + i) })).sort((a, b) => a.r - b.r).map((e) => e.x);
          const a = assignPartitions(claims, partitions);
          const b = assignPartitions(shuffle(claims.map((c) => ({ ...c, held: shuffle(c.held) }))), shuffle(partitions) as TopicPartition[]);
          expect(Object.fromEntries(b)).toEqual(Object.fromEntries(a));
          const all = [...a.values()].flatMap((x) => x.assigned);
          expect([...all].sort()).toEqual([...keys].sort());
          for (const [id, x] of a) {
            const others = new Set(claims.filter((c) => c.memberId !== id).flatMap((c) => c.held));
            expect(x.waitFor).toEqual(x.assigned.filter((k) => others.has(k)));
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it("keeps a member's partitions when another joins, and moves only what balance needs", () => {
    const partitions = [0, 1, 2, 3].map((partition) => ({ topic: "orders", partition }));
    const result = assignPartitions(
      [
        { memberId: "a", held: ["orders-0", "orders-1", "orders-2", "orders-3"] },
        { memberId: "b", held: [] },
      ],
      partitions,
    );
    expect(result.get("a")).toEqual({ assigned: ["orders-0", "orders-1"], waitFor: [] });
    expect(result.get("b")).toEqual({ assigned: ["orders-2", "orders-3"], waitFor: ["orders-2", "orders-3"] });
  });
});
