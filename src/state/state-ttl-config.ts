import { StateError } from "../errors.js";
import type * as api from "./api.js";

/**
 * Time-to-live of state entries, as Flink's `StateTtlConfig`, built with
 * `StateTtlConfig.newBuilder(ttlMs)...build()`. Time is processing time: the backend's clock, in
 * milliseconds. An entry (a value, a list element, a map entry) expires `ttlMs` after its last
 * write (`OnCreateAndWrite`, the default) or its last read or write (`OnReadAndWrite`). An
 * expired entry is removed when it is next accessed; `NeverReturnExpired` (the default) hides it
 * even then, `ReturnExpiredIfNotCleanedUp` returns it that one last time. `cleanupInBackground`
 * also removes expired entries that are not accessed (see the backends).
 */
export class StateTtlConfig implements api.StateTtlConfig {
  /** Prefer `StateTtlConfig.newBuilder(ttlMs)`; this validates the same way. */
  constructor(
    readonly ttlMs: number,
    readonly updateType: api.TtlUpdateType = "OnCreateAndWrite",
    readonly stateVisibility: api.TtlStateVisibility = "NeverReturnExpired",
    readonly cleanupInBackground: boolean = false,
  ) {
    checkTtl(ttlMs);
    checkUpdateType(updateType);
    checkVisibility(stateVisibility);
  }

  /** A builder with a time-to-live of `ttlMs` (a positive number of milliseconds) and the defaults. */
  static newBuilder(ttlMs: number): StateTtlConfigBuilder {
    return new StateTtlConfigBuilder(ttlMs);
  }
}

/** Builds a `StateTtlConfig`; defaults: `OnCreateAndWrite`, `NeverReturnExpired`, no background cleanup. */
export class StateTtlConfigBuilder {
  private updateType: api.TtlUpdateType = "OnCreateAndWrite";
  private stateVisibility: api.TtlStateVisibility = "NeverReturnExpired";
  private background = false;

  constructor(private ttlMs: number) {
    checkTtl(ttlMs);
  }

  /** When an entry's time-to-live restarts. */
  setUpdateType(updateType: api.TtlUpdateType): this {
    checkUpdateType(updateType);
    this.updateType = updateType;
    return this;
  }

  /** Shorthand for `setUpdateType("OnReadAndWrite")`. */
  updateTtlOnReadAndWrite(): this {
    return this.setUpdateType("OnReadAndWrite");
  }

  /** Whether an expired entry may be returned once before it is removed. */
  setStateVisibility(visibility: api.TtlStateVisibility): this {
    checkVisibility(visibility);
    this.stateVisibility = visibility;
    return this;
  }

  /** Changes the time-to-live. */
  setTtl(ttlMs: number): this {
    checkTtl(ttlMs);
    this.ttlMs = ttlMs;
    return this;
  }

  /** Also removes expired entries nobody reads: a few per state access, and all on `cleanupExpired()`. */
  cleanupInBackground(): this {
    this.background = true;
    return this;
  }

  /** Turns background cleanup off again (the default). */
  disableCleanupInBackground(): this {
    this.background = false;
    return this;
  }

  build(): StateTtlConfig {
    return new StateTtlConfig(this.ttlMs, this.updateType, this.stateVisibility, this.background);
  }
}

function checkTtl(ttlMs: number): void {
  if (typeof ttlMs !== "number" || !(ttlMs > 0) || !Number.isFinite(ttlMs)) {
    throw new StateError(`TTL must be a positive finite number of milliseconds, got ${String(ttlMs)}`, { code: "STATE_INVALID_ARGUMENT" });
  }
}

function checkUpdateType(updateType: api.TtlUpdateType): void {
  if (updateType !== "OnCreateAndWrite" && updateType !== "OnReadAndWrite") {
    throw new StateError(`TTL update type must be "OnCreateAndWrite" or "OnReadAndWrite", got ${JSON.stringify(updateType)}`, { code: "STATE_INVALID_ARGUMENT" });
  }
}

function checkVisibility(visibility: api.TtlStateVisibility): void {
  if (visibility !== "NeverReturnExpired" && visibility !== "ReturnExpiredIfNotCleanedUp") {
    throw new StateError(`TTL state visibility must be "NeverReturnExpired" or "ReturnExpiredIfNotCleanedUp", got ${JSON.stringify(visibility)}`, { code: "STATE_INVALID_ARGUMENT" });
  }
}
