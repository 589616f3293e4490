import { StateError } from "../../../errors.js";
import type { InternalKvState, State } from "../../api.js";
import type { StateTable } from "../state-table.js";
import { expired, SWEEP_PER_ACCESS, type TtlSettings, type TtlValue } from "../ttl.js";

/** Returned by the TTL read helpers for "nothing visible". */
export const ABSENT: unique symbol = Symbol("absent");
/** The type of `ABSENT`. */
export type Absent = typeof ABSENT;

/**
 * What every state handle shares: the current namespace, `clear`, the incremental TTL sweep, and
 * the TTL rules for a single value (Flink's `AbstractTtlDecorator.getWithTtlCheckAndUpdate`):
 * an expired entry is removed when read and returned only under `ReturnExpiredIfNotCleanedUp`;
 * a live one gets a new timestamp under `OnReadAndWrite`.
 */
export abstract class KvState implements State, InternalKvState {
  protected ns = "";
  protected readonly sweeping: boolean;

  constructor(
    protected readonly table: StateTable,
    protected readonly ttl: TtlSettings | undefined,
    protected readonly stateName: string,
  ) {
    this.sweeping = ttl !== undefined && ttl.background;
  }

  get storesByReference(): boolean {
    return this.table.byReference && this.ttl === undefined;
  }

  setCurrentNamespace(namespace: string): void {
    if (typeof namespace !== "string") {
      throw new StateError(`state "${this.stateName}": a namespace must be a string, got ${typeof namespace}`, { code: "STATE_INVALID_ARGUMENT" });
    }
    this.ns = namespace;
  }

  clear(): void {
    this.table.delete(this.ns);
    if (this.sweeping) this.table.sweep(SWEEP_PER_ACCESS);
  }

  abstract mergeNamespaces(target: string, sources: readonly string[]): void;

  /** The visible user value of a single-value entry in `ns`, applying the TTL rules. */
  protected readSingle(ns: string, stored: unknown): unknown {
    const ttl = this.ttl;
    if (ttl === undefined) return stored;
    const e = stored as TtlValue;
    const now = ttl.clock();
    if (expired(e.ts, ttl.ttlMs, now)) {
      this.table.delete(ns);
      return ttl.returnExpired ? e.v : ABSENT;
    }
    if (ttl.updateOnRead) {
      e.ts = now;
      this.table.set(ns, e);
    }
    return e.v;
  }

  /** The unexpired user value of a single-value entry, without touching it (for writes that replace it). */
  protected liveSingle(stored: unknown): unknown {
    if (stored === undefined) return ABSENT;
    const ttl = this.ttl;
    if (ttl === undefined) return stored;
    const e = stored as TtlValue;
    return expired(e.ts, ttl.ttlMs, ttl.clock()) ? ABSENT : e.v;
  }

  /** Stores a single user value in `ns` (stamped when the state has a TTL); `undefined` clears. */
  protected writeSingle(ns: string, value: unknown): void {
    if (value === undefined) {
      this.table.delete(ns);
      return;
    }
    const ttl = this.ttl;
    this.table.set(ns, ttl === undefined ? value : { v: value, ts: ttl.clock() });
  }

  protected afterAccess(): void {
    if (this.sweeping) this.table.sweep(SWEEP_PER_ACCESS);
  }

  protected unsupportedMerge(kind: string): never {
    throw new StateError(`state "${this.stateName}": ${kind} state cannot merge namespaces (only list, reducing and aggregating state can, as in Flink)`, {
      code: "STATE_MERGE_UNSUPPORTED",
    });
  }
}
