import type { StateTtlConfig } from "../api.js";

/** A stored value with the time of its last access (ms, the backend's clock), for state with a TTL. */
export interface TtlValue<T = unknown> {
  v: T;
  ts: number;
}

/** A state's TTL, resolved for the hot path. */
export interface TtlSettings {
  readonly ttlMs: number;
  /** `OnReadAndWrite`: reads restart the time-to-live too. */
  readonly updateOnRead: boolean;
  /** `ReturnExpiredIfNotCleanedUp`: an expired entry is returned once, as it is removed. */
  readonly returnExpired: boolean;
  /** Incremental sweep on access, and `cleanupExpired()`. */
  readonly background: boolean;
  readonly clock: () => number;
}

/** Entries examined by the incremental background sweep per state access (Flink's default is 5). */
export const SWEEP_PER_ACCESS = 2;

/** A descriptor's TTL resolved against the backend's clock (undefined: no TTL). */
export function ttlSettings(config: StateTtlConfig | undefined, clock: () => number): TtlSettings | undefined {
  if (config === undefined) return undefined;
  return {
    ttlMs: config.ttlMs,
    updateOnRead: config.updateType === "OnReadAndWrite",
    returnExpired: config.stateVisibility === "ReturnExpiredIfNotCleanedUp",
    background: config.cleanupInBackground,
    clock,
  };
}

/** Whether an entry last accessed at `ts` has expired at `now` (Flink: `ts + ttl <= now`). */
export function expired(ts: number, ttlMs: number, now: number): boolean {
  return ts + ttlMs <= now;
}

/** What `purge` did to a stored value. */
export const Purged = {
  Unchanged: 0,
  /** Some elements or map entries were removed in place: store the value again. */
  Changed: 1,
  /** Nothing unexpired is left: remove the entry. */
  Empty: 2,
} as const;
/** One of `Purged`'s values. */
export type Purged = (typeof Purged)[keyof typeof Purged];

/** A state kind's shape for the TTL sweep. */
export type StoredShape = "single" | "list" | "map";

/** Removes expired parts of a TTL state's stored value, in place (background cleanup ignores visibility). */
export function purge(shape: StoredShape, stored: unknown, ttlMs: number, now: number): Purged {
  if (shape === "single") return expired((stored as TtlValue).ts, ttlMs, now) ? Purged.Empty : Purged.Unchanged;
  if (shape === "list") {
    const list = stored as TtlValue[];
    let kept = 0;
    for (let i = 0; i < list.length; i++) {
      if (!expired(list[i].ts, ttlMs, now)) list[kept++] = list[i];
    }
    if (kept === list.length) return Purged.Unchanged;
    list.length = kept;
    return kept === 0 ? Purged.Empty : Purged.Changed;
  }
  const map = stored as Map<unknown, TtlValue>;
  const before = map.size;
  for (const [k, e] of map) if (expired(e.ts, ttlMs, now)) map.delete(k);
  if (map.size === before) return Purged.Unchanged;
  return map.size === 0 ? Purged.Empty : Purged.Changed;
}
