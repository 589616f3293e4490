import { keyGroupFor, subtaskForKeyGroup } from "../../src/state/key-group.js";
import type { InputStatus, ReaderOutput, Source, SourceReader, SourceSplit } from "../../src/runtime/index.js";

interface ListSplit extends SourceSplit {
  readonly index: number;
  readonly position: number;
}

/**
 * A bounded source of several splits (lists), each read in order, with a timestamp function:
 * what a partitioned topic looks like to the runtime. Reads `batch` records per poll per split.
 */
export class ListSplitsSource<T> implements Source<T, ListSplit> {
  readonly boundedness = "bounded" as const;

  constructor(
    private readonly splits: T[][],
    private readonly timestampOf?: (value: T) => number,
    private readonly batch = 7,
  ) {}

  createSplits(): ListSplit[] {
    return this.splits.map((_, index) => ({ splitId: `split-${index}`, index, position: 0 }));
  }

  createReader(): SourceReader<T, ListSplit> {
    const owned: Array<{ split: ListSplit; position: number; done: boolean }> = [];
    return {
      addSplits: (splits) => {
        for (const split of splits) owned.push({ split, position: split.position, done: false });
      },
      pollNext: (out: ReaderOutput<T>): InputStatus => {
        let more = false;
        for (const o of owned) {
          if (o.done) continue;
          const data = this.splits[o.split.index];
          const end = Math.min(data.length, o.position + this.batch);
          for (let i = o.position; i < end; i++) {
            const v = data[i];
            out.collect(v, o.split.splitId, this.timestampOf?.(v));
          }
          o.position = end;
          if (end >= data.length) {
            o.done = true;
            out.splitFinished(o.split.splitId);
          } else more = true;
        }
        return more ? "more" : "end";
      },
      snapshotState: () => owned.map((o) => ({ ...o.split, position: o.position })),
    };
  }
}

/** Sorted JSON strings: compares results as multisets. */
export function multiset(values: readonly unknown[]): string[] {
  return values.map((v) => JSON.stringify(v)).sort();
}

/** Splits `all` (in order) by the subtask that owns each key's key group: a source partitioned as Vigil partitions keys. */
export function partitionByKeyGroup<T>(all: readonly T[], keyOf: (t: T) => number, parallelism: number, maxParallelism = 128): T[][] {
  const out: T[][] = Array.from({ length: parallelism }, () => []);
  for (const t of all) out[subtaskForKeyGroup(maxParallelism, parallelism, keyGroupFor(keyOf(t), maxParallelism))].push(t);
  return out;
}
