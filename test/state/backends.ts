import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AggregateFunction, KeyedStateBackend, KeyGroupRange, StateBackendFactory, StateKey } from "../../src/state/index.js";
import { heapBackend, levelDbBackend, type LevelDbCacheOptions } from "../../src/state/index.js";

/** A manually advanced processing-time clock. */
export class ManualClock {
  constructor(public now = 1_000) {}
  readonly fn = (): number => this.now;
  advance(ms: number): void {
    this.now += ms;
  }
}

export interface BackendKind {
  readonly name: "heap" | "leveldb";
  /** A factory; LevelDB ones live in a temp directory removed by `cleanup`. */
  factory(cache?: LevelDbCacheOptions): Promise<StateBackendFactory>;
}

const dirs: string[] = [];

export const HEAP: BackendKind = { name: "heap", factory: async () => heapBackend() };
export const LEVELDB: BackendKind = {
  name: "leveldb",
  async factory(cache) {
    const dir = await mkdtemp(join(tmpdir(), "vigil-state-"));
    dirs.push(dir);
    return levelDbBackend({ directory: dir, ...cache });
  },
};
export const KINDS: readonly BackendKind[] = [HEAP, LEVELDB];

let operatorSeq = 0;

/** Creates a backend of `kind` owning `range` (default: all 128 key groups). */
export async function createBackend(
  kind: BackendKind,
  options: { clock?: () => number; range?: KeyGroupRange; maxParallelism?: number; subtaskIndex?: number; cache?: LevelDbCacheOptions } = {},
): Promise<KeyedStateBackend> {
  const maxParallelism = options.maxParallelism ?? 128;
  const factory = await kind.factory(options.cache);
  return factory.create({
    maxParallelism,
    keyGroupRange: options.range ?? { start: 0, end: maxParallelism - 1 },
    clock: options.clock,
    operatorId: `op${operatorSeq++}`,
    subtaskIndex: options.subtaskIndex ?? 0,
  });
}

/** Removes every temp directory made so far. */
export async function cleanupDirs(): Promise<void> {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
}

/** Average of numbers, with `merge` (for merging windows). */
export const average: AggregateFunction<number, { sum: number; count: number }, number> = {
  createAccumulator: () => ({ sum: 0, count: 0 }),
  add: (v, acc) => ({ sum: acc.sum + v, count: acc.count + 1 }),
  getResult: (acc) => acc.sum / acc.count,
  merge: (a, b) => ({ sum: a.sum + b.sum, count: a.count + b.count }),
};

/** Keys in a stable order, for comparing sets of keys. */
export function sortKeys(keys: readonly StateKey[]): StateKey[] {
  const show = (k: StateKey) => (typeof k === "bigint" ? `${k}n` : `${typeof k}:${JSON.stringify(k)}`);
  return [...keys].sort((a, b) => (show(a) < show(b) ? -1 : show(a) > show(b) ? 1 : 0));
}
