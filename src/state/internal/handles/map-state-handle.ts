import type { MapState } from "../../api.js";
import { keyFromId, keyIdOf, type KeyId } from "../key-id.js";
import { expired, type TtlValue } from "../ttl.js";
import { KvState } from "./kv-state.js";

/**
 * `MapState`: the stored value is a JS `Map` owned by the backend, keyed by the user key's id
 * (see `keyIdOf`: strings and numbers as themselves, other keys by canonical encoding, so equal
 * object keys are one entry on both backends). With a TTL each map entry is `{ v, ts }` and
 * expires on its own (Flink's `TtlMapState`). Reading an entry through `get`, `contains` or the
 * iteration methods counts as a read for `OnReadAndWrite`.
 */
export class MapStateHandle<UK, UV> extends KvState implements MapState<UK, UV> {
  get(key: UK): UV | undefined {
    const ns = this.ns;
    const map = this.table.get(ns) as Map<KeyId, unknown> | undefined;
    if (map === undefined) {
      if (this.sweeping) this.afterAccess();
      return undefined;
    }
    const id = keyIdOf(key);
    const ttl = this.ttl;
    if (ttl === undefined) return map.get(id) as UV | undefined;
    const e = map.get(id) as TtlValue<UV> | undefined;
    let out: UV | undefined;
    if (e !== undefined) {
      const now = ttl.clock();
      if (expired(e.ts, ttl.ttlMs, now)) {
        map.delete(id);
        this.store(ns, map);
        out = ttl.returnExpired ? e.v : undefined;
      } else {
        if (ttl.updateOnRead) {
          e.ts = now;
          this.table.set(ns, map);
        }
        out = e.v;
      }
    }
    this.afterAccess();
    return out;
  }

  contains(key: UK): boolean {
    const map = this.table.get(this.ns) as Map<KeyId, unknown> | undefined;
    if (map === undefined) {
      if (this.sweeping) this.afterAccess();
      return false;
    }
    const id = keyIdOf(key);
    const ttl = this.ttl;
    if (ttl === undefined) return map.has(id);
    const e = map.get(id) as TtlValue<UV> | undefined;
    let found = false;
    if (e !== undefined) {
      const now = ttl.clock();
      if (expired(e.ts, ttl.ttlMs, now)) {
        map.delete(id);
        this.store(this.ns, map);
        found = ttl.returnExpired;
      } else {
        if (ttl.updateOnRead) {
          e.ts = now;
          this.table.set(this.ns, map);
        }
        found = true;
      }
    }
    this.afterAccess();
    return found;
  }

  put(key: UK, value: UV): void {
    const ns = this.ns;
    const id = keyIdOf(key);
    const e = this.ttl === undefined ? value : { v: value, ts: this.ttl.clock() };
    const map = this.table.get(ns) as Map<KeyId, unknown> | undefined;
    if (map === undefined) this.table.set(ns, new Map([[id, e]]));
    else {
      map.set(id, e);
      this.table.set(ns, map);
    }
    if (this.sweeping) this.afterAccess();
  }

  putAll(entries: Iterable<readonly [UK, UV]>): void {
    for (const [k, v] of entries) this.put(k, v);
  }

  remove(key: UK): void {
    const ns = this.ns;
    const map = this.table.get(ns) as Map<KeyId, unknown> | undefined;
    if (map !== undefined && map.delete(keyIdOf(key))) this.store(ns, map);
    if (this.sweeping) this.afterAccess();
  }

  entries(): Array<[UK, UV]> {
    const out: Array<[UK, UV]> = [];
    this.visit((id, v) => out.push([keyFromId(id) as UK, v]));
    return out;
  }

  keys(): UK[] {
    const out: UK[] = [];
    this.visit((id) => out.push(keyFromId(id) as UK));
    return out;
  }

  values(): UV[] {
    const out: UV[] = [];
    this.visit((_, v) => out.push(v));
    return out;
  }

  isEmpty(): boolean {
    let empty = true;
    this.visit(() => (empty = false));
    return empty;
  }

  mergeNamespaces(): void {
    this.unsupportedMerge("map");
  }

  /** Calls `fn` for every visible entry, applying the TTL rules to each (expired ones are removed). */
  private visit(fn: (id: KeyId, value: UV) => void): void {
    const ns = this.ns;
    const map = this.table.get(ns) as Map<KeyId, unknown> | undefined;
    const ttl = this.ttl;
    if (map !== undefined && ttl === undefined) {
      for (const [id, v] of map) fn(id, v as UV);
      return;
    }
    if (map !== undefined && ttl !== undefined) {
      const now = ttl.clock();
      let changed = false;
      for (const [id, raw] of map) {
        const e = raw as TtlValue<UV>;
        if (expired(e.ts, ttl.ttlMs, now)) {
          map.delete(id);
          changed = true;
          if (ttl.returnExpired) fn(id, e.v);
        } else {
          if (ttl.updateOnRead) {
            e.ts = now;
            changed = true;
          }
          fn(id, e.v);
        }
      }
      if (changed) this.store(ns, map);
    }
    this.afterAccess();
  }

  /** Stores `map` again, or removes the entry when it is empty. */
  private store(ns: string, map: Map<KeyId, unknown>): void {
    if (map.size === 0) this.table.delete(ns);
    else this.table.set(ns, map);
  }
}
