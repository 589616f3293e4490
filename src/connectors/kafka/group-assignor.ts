import { tpKey, type TopicPartition } from "./offsets.js";

/** A group member as the leader sees it: its id and the partitions it still holds (reads, or has read and not yet handed over). */
export interface MemberClaim {
  readonly memberId: string;
  /** Partition keys ("topic-partition"). */
  readonly held: readonly string[];
}

/** One member's part of an assignment. */
export interface MemberAssignment {
  /** Partition keys, in the group's partition order. */
  readonly assigned: string[];
  /** Assigned partitions another member still holds: read them only after that member releases them. */
  readonly waitFor: string[];
}

/**
 * The assignment of the Kafka source's group mode: balanced (member sizes differ by at most one)
 * and sticky (a member keeps as many of the partitions it holds as balance allows, so a rebalance
 * moves few partitions and every moved partition waits for its release). Deterministic: the same
 * members and partitions give the same assignment, whatever their order.
 *
 * Slots: with N partitions and M members every member gets floor(N/M), and the N mod M members
 * holding the most get one more; each member first keeps its held partitions up to its size, then
 * the partitions left over go round-robin, in (partition, topic) order, to members with room.
 */
export function assignPartitions(members: readonly MemberClaim[], partitions: readonly TopicPartition[]): Map<string, MemberAssignment> {
  const out = new Map<string, MemberAssignment>();
  if (members.length === 0) return out;
  const ordered = [...partitions].sort((a, b) => a.partition - b.partition || (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : 0));
  const keys = ordered.map((p) => tpKey(p.topic, p.partition));
  const rank = new Map(keys.map((k, i) => [k, i]));
  const holders = new Map<string, Set<string>>();
  const held = new Map<string, string[]>();
  for (const m of members) {
    const mine = [...new Set(m.held)].filter((k) => rank.has(k)).sort((a, b) => rank.get(a)! - rank.get(b)!);
    held.set(m.memberId, mine);
    for (const k of mine) {
      let set = holders.get(k);
      if (set === undefined) holders.set(k, (set = new Set()));
      set.add(m.memberId);
    }
  }
  const ids = [...new Set(members.map((m) => m.memberId))].sort();
  const bySlots = [...ids].sort((a, b) => held.get(b)!.length - held.get(a)!.length || (a < b ? -1 : 1));
  const base = Math.floor(keys.length / ids.length);
  const extra = keys.length % ids.length;
  const capacity = new Map(bySlots.map((id, i) => [id, base + (i < extra ? 1 : 0)]));
  const assigned = new Map(ids.map((id) => [id, [] as string[]]));
  const taken = new Set<string>();
  for (const id of bySlots) {
    const list = assigned.get(id)!;
    for (const k of held.get(id)!) {
      if (list.length >= capacity.get(id)!) break;
      if (taken.has(k)) continue;
      taken.add(k);
      list.push(k);
    }
  }
  let next = 0;
  for (const k of keys) {
    if (taken.has(k)) continue;
    while (assigned.get(ids[next % ids.length])!.length >= capacity.get(ids[next % ids.length])!) next++;
    assigned.get(ids[next % ids.length])!.push(k);
    next++;
  }
  for (const id of ids) {
    const list = assigned.get(id)!.sort((a, b) => rank.get(a)! - rank.get(b)!);
    const waitFor = list.filter((k) => [...(holders.get(k) ?? [])].some((h) => h !== id));
    out.set(id, { assigned: list, waitFor });
  }
  return out;
}
