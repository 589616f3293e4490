import type { StateKey } from "../../src/state/index.js";
import { sortKeys } from "./backends.js";

/** One step of the property test. */
export type Op =
  | { op: "key"; key: StateKey }
  | { op: "ns"; ns: string }
  | { op: "value.update"; v: number }
  | { op: "list.add"; v: number }
  | { op: "list.addAll" | "list.update"; vs: number[] }
  | { op: "map.put"; k: string | number; v: number }
  | { op: "map.get" | "map.remove" | "map.contains"; k: string | number }
  | { op: "sum.add" | "avg.add"; v: number }
  | { op: "merge"; state: "list" | "sum" | "avg"; target: string; sources: string[] }
  | { op: "getKeys"; state: "value" | "list" | "map" | "sum" | "avg" }
  | {
      op:
        | "value.get" | "value.clear" | "list.get" | "list.clear" | "map.entries" | "map.isEmpty" | "map.clear"
        | "sum.get" | "sum.clear" | "avg.get" | "size" | "flush" | "yield" | "snapshotRestore" | "tick" | "cleanup";
    };

type Acc = { sum: number; count: number };

/**
 * The obvious implementation of keyed state without TTL: one `Map` from (state, key, namespace) to
 * a plain value, with Flink's rules written out (an empty list or map is no entry; merges append
 * sources to the target in order).
 */
export class ReferenceModel {
  private readonly store = new Map<string, unknown>();
  private readonly keys = new Map<string, StateKey>();
  private key: StateKey;
  private ns = "";

  constructor(initialKey: StateKey) {
    this.key = initialKey;
  }

  /** What each observing operation sees, as the backends report it. */
  run(ops: readonly Op[]): unknown[] {
    const seen: unknown[] = [];
    for (const o of ops) {
      switch (o.op) {
        case "key": this.key = o.key; break;
        case "ns": this.ns = o.ns; break;
        case "value.update": this.set("value", o.v); break;
        case "value.get": seen.push(this.get("value")); break;
        case "list.add": this.set("list", [...this.list(), o.v]); break;
        case "list.addAll": if (o.vs.length > 0) this.set("list", [...this.list(), ...o.vs]); break;
        case "list.update": this.set("list", o.vs.length === 0 ? undefined : [...o.vs]); break;
        case "list.get": seen.push(this.list()); break;
        case "map.put": this.set("map", new Map(this.map()).set(o.k, o.v)); break;
        case "map.get": seen.push(this.map().get(o.k)); break;
        case "map.contains": seen.push(this.map().has(o.k)); break;
        case "map.remove": {
          const m = new Map(this.map());
          m.delete(o.k);
          this.set("map", m.size === 0 ? undefined : m);
          break;
        }
        case "map.entries": seen.push([...this.map()]); break;
        case "map.isEmpty": seen.push(this.map().size === 0); break;
        case "sum.add": this.set("sum", ((this.get("sum") as number | undefined) ?? 0) + o.v); break;
        case "sum.get": seen.push(this.get("sum")); break;
        case "avg.add": {
          const acc = (this.get("avg") as Acc | undefined) ?? { sum: 0, count: 0 };
          this.set("avg", { sum: acc.sum + o.v, count: acc.count + 1 });
          break;
        }
        case "avg.get": {
          const acc = this.get("avg") as Acc | undefined;
          seen.push(acc === undefined ? undefined : acc.sum / acc.count);
          break;
        }
        case "value.clear": case "list.clear": case "map.clear": case "sum.clear":
          this.set(o.op.split(".")[0], undefined);
          break;
        case "merge": this.merge(o.state, o.target, o.sources); break;
        case "getKeys": {
          const prefix = `${o.state}\u0001`;
          const ids = new Set([...this.store.keys()].filter((id) => id.startsWith(prefix)).map((id) => id.split("\u0001")[1]));
          seen.push(sortKeys([...ids].map((id) => this.keys.get(id)!)));
          break;
        }
        case "size": seen.push(this.store.size); break;
        default: break; // flush, yield, snapshotRestore, tick, cleanup: no visible effect without TTL
      }
    }
    return seen;
  }

  private merge(state: "list" | "sum" | "avg", target: string, sources: readonly string[]): void {
    let merged: unknown = undefined;
    for (const source of sources) {
      if (source === target) continue;
      const v = this.get(state, source);
      if (v === undefined) continue;
      this.set(state, undefined, source);
      merged = merged === undefined ? v : combine(state, merged, v);
    }
    if (merged === undefined) return;
    const t = this.get(state, target);
    this.set(state, t === undefined ? merged : combine(state, t, merged), target);
  }

  private id(state: string, ns: string): string {
    const canon = JSON.stringify(sortKeys([this.key]));
    this.keys.set(canon, this.key);
    return `${state}\u0001${canon}\u0001${ns}`;
  }

  private get(state: string, ns = this.ns): unknown {
    return this.store.get(this.id(state, ns));
  }

  private set(state: string, v: unknown, ns = this.ns): void {
    if (v === undefined) this.store.delete(this.id(state, ns));
    else this.store.set(this.id(state, ns), v);
  }

  private list(): number[] {
    return [...((this.get("list") as number[] | undefined) ?? [])];
  }

  private map(): Map<string | number, number> {
    return (this.get("map") as Map<string | number, number> | undefined) ?? new Map();
  }
}

function combine(state: "list" | "sum" | "avg", a: unknown, b: unknown): unknown {
  if (state === "list") return [...(a as number[]), ...(b as number[])];
  if (state === "sum") return (a as number) + (b as number);
  const x = a as Acc;
  const y = b as Acc;
  return { sum: x.sum + y.sum, count: x.count + y.count };
}
