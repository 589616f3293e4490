import type { ListState } from "../../api.js";
import { expired, purge, Purged, type TtlValue } from "../ttl.js";
import { KvState } from "./kv-state.js";

/**
 * `ListState`: the stored value is an array owned by the backend (elements, or `{ v, ts }` with a
 * TTL, where each element expires on its own, as in Flink's `TtlListState`). `get()` returns a
 * copy; `update([])` clears, as Flink's.
 */
export class ListStateHandle<T> extends KvState implements ListState<T> {
  get(): T[] {
    const ns = this.ns;
    const stored = this.table.get(ns) as unknown[] | undefined;
    if (stored === undefined) {
      if (this.sweeping) this.afterAccess();
      return [];
    }
    const ttl = this.ttl;
    if (ttl === undefined) return (stored as T[]).slice();
    const list = stored as TtlValue<T>[];
    const now = ttl.clock();
    const out: T[] = [];
    let expiredCount = 0;
    for (const e of list) {
      if (expired(e.ts, ttl.ttlMs, now)) {
        expiredCount++;
        if (ttl.returnExpired) out.push(e.v);
      } else {
        out.push(e.v);
        if (ttl.updateOnRead) e.ts = now;
      }
    }
    if (expiredCount > 0) {
      if (purge("list", list, ttl.ttlMs, now) === Purged.Empty) this.table.delete(ns);
      else this.table.set(ns, list);
    } else if (ttl.updateOnRead) {
      this.table.set(ns, list);
    }
    this.afterAccess();
    return out;
  }

  add(value: T): void {
    const ns = this.ns;
    const e = this.wrap(value);
    const list = this.table.get(ns) as unknown[] | undefined;
    if (list === undefined) this.table.set(ns, [e]);
    else {
      list.push(e);
      this.table.set(ns, list);
    }
    if (this.sweeping) this.afterAccess();
  }

  addAll(values: readonly T[]): void {
    if (values.length === 0) return;
    const ns = this.ns;
    const list = this.table.get(ns) as unknown[] | undefined;
    const added = this.wrapAll(values);
    if (list === undefined) this.table.set(ns, added);
    else {
      for (const e of added) list.push(e);
      this.table.set(ns, list);
    }
    if (this.sweeping) this.afterAccess();
  }

  update(values: readonly T[]): void {
    if (values.length === 0) this.table.delete(this.ns);
    else this.table.set(this.ns, this.wrapAll(values));
    if (this.sweeping) this.afterAccess();
  }

  /**
   * Flink's list merge: the target's elements, then each source's in order; sources are removed.
   * Expired elements are dropped; the others keep their timestamps.
   */
  mergeNamespaces(target: string, sources: readonly string[]): void {
    const merged: unknown[] = [];
    for (const source of sources) {
      if (source === target) continue;
      const list = this.live(source);
      if (list === undefined) continue;
      this.table.delete(source);
      for (const e of list) merged.push(e);
    }
    if (merged.length === 0) return;
    const t = this.live(target);
    if (t === undefined) this.table.set(target, merged);
    else {
      for (const e of merged) t.push(e);
      this.table.set(target, t);
    }
  }

  /** The stored list of `ns` without its expired elements (removed in place), or undefined. */
  private live(ns: string): unknown[] | undefined {
    const list = this.table.get(ns) as unknown[] | undefined;
    if (list === undefined || this.ttl === undefined) return list;
    if (purge("list", list, this.ttl.ttlMs, this.ttl.clock()) === Purged.Empty) {
      this.table.delete(ns);
      return undefined;
    }
    return list;
  }

  private wrap(value: T): unknown {
    const ttl = this.ttl;
    return ttl === undefined ? value : { v: value, ts: ttl.clock() };
  }

  private wrapAll(values: readonly T[]): unknown[] {
    const ttl = this.ttl;
    if (ttl === undefined) return values.slice();
    const ts = ttl.clock();
    return values.map((v) => ({ v, ts }));
  }
}
