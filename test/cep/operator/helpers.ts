import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CepOperator, type CepOperatorOptions, type CepTimedOut, type Match, type Pattern } from "../../../src/cep/index.js";
import {
  OperatorHarness,
  type HarnessOptions,
  type InputStatus,
  type ReaderOutput,
  type Source,
  type SourceReader,
  type SourceSplit,
} from "../../../src/runtime/index.js";
import { heapBackend, levelDbBackend, type StateBackendFactory } from "../../../src/state/index.js";

/** The event of these tests: a key, a type letter, a value, an id for readable matches. */
export interface Ev {
  readonly key: string;
  readonly type: string;
  readonly id: number;
  readonly v?: number;
}

export interface Backend {
  readonly name: "heap" | "leveldb";
  make(): Promise<StateBackendFactory>;
}

const dirs: string[] = [];

export const HEAP: Backend = { name: "heap", make: async () => heapBackend() };
/** LevelDB with a tiny cache, so that state really goes through the serialisers. */
export const LEVELDB: Backend = {
  name: "leveldb",
  async make() {
    const dir = await mkdtemp(join(tmpdir(), "vigil-cep-"));
    dirs.push(dir);
    return levelDbBackend({ directory: dir, cacheEntries: 2, flushThreshold: 1 });
  },
};
export const BACKENDS: readonly Backend[] = [HEAP, LEVELDB];

export async function cleanupDirs(): Promise<void> {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
}

/** What a test operator emits: the pattern id, the key and the match. */
export interface Out {
  readonly patternId: string;
  readonly key: string;
  readonly match: Match<Ev>;
}

/** A harness for a CEP operator over `patterns` that emits `Out` records. */
export function cepHarness(
  patterns: ReadonlyArray<{ id: string; pattern: Pattern<Ev, any> }>,
  options: CepOperatorOptions<Ev> = {},
  harness: HarnessOptions = {},
): Promise<OperatorHarness<Ev, Out>> {
  return OperatorHarness.forOperator<Ev, Out>(
    () =>
      new CepOperator<Ev, Out, string>(
        patterns,
        (match, ctx) => ctx.output({ patternId: ctx.patternId, key: ctx.getCurrentKey(), match }),
        options,
      ),
    (e) => e.key,
    harness,
  );
}

/** `A:1,2 B:3` for a match (event ids per stage, stages in pattern order). */
export function show(match: Match<Ev>): string {
  return Object.entries(match)
    .map(([stage, events]) => `${stage}:${events.map((e) => e.id).join(",")}`)
    .join(" ");
}

/** Sorted `key pattern| A:1 B:2` strings: results compared as multisets. */
export function shown(outs: readonly Out[]): string[] {
  return outs.map((o) => `${o.key} ${o.patternId}| ${show(o.match)}`).sort();
}

export function shownTimeouts(outs: ReadonlyArray<{ value: unknown }>): string[] {
  return outs
    .map((r) => r.value as CepTimedOut<Ev, string>)
    .map((t) => `${t.key} ${t.patternId}| ${show(t.match)} @${t.timestamp}`)
    .sort();
}

/** An event. */
export function ev(id: number, key: string, type: string, v?: number): Ev {
  return v === undefined ? { key, type, id } : { key, type, id, v };
}

interface ListSplit extends SourceSplit {
  readonly position: number;
}

/**
 * A bounded one-split source that reads `batch` records per poll, each with its timestamp: the
 * runtime emits a watermark after every poll but the last (when the split has finished), so a
 * test knows exactly which watermarks downstream operators see.
 */
export class BatchedSource<T> implements Source<T, ListSplit> {
  readonly boundedness = "bounded" as const;
  readonly maxParallelism = 1;

  constructor(
    private readonly items: ReadonlyArray<{ readonly value: T; readonly timestamp: number }>,
    private readonly batch: number,
  ) {}

  createSplits(): ListSplit[] {
    return [{ splitId: "list", position: 0 }];
  }

  createReader(): SourceReader<T, ListSplit> {
    let position = 0;
    let owned = false;
    return {
      addSplits: (splits) => {
        for (const s of splits) {
          owned = true;
          position = s.position;
        }
      },
      pollNext: (out: ReaderOutput<T>): InputStatus => {
        if (!owned) return "end";
        const end = Math.min(this.items.length, position + this.batch);
        for (; position < end; position++) out.collect(this.items[position].value, "list", this.items[position].timestamp);
        if (position < this.items.length) return "more";
        out.splitFinished("list");
        return "end";
      },
      snapshotState: () => (owned ? [{ splitId: "list", position }] : []),
    };
  }
}
