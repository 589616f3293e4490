/**
 * The window input of `window-events.ts` as a source already partitioned by Vigil's key groups, as
 * a topic whose partitions follow them: split i holds the events of the key groups subtask i owns,
 * in index order, so `DataStreamUtils.reinterpretAsKeyedStream` can key it with no exchange.
 *
 * Every reader scans all indexes and skips the other subtasks' (a key's group is looked up in a
 * table made once per reader), so it pays something per event a real partitioned source never
 * reads: the measurement is conservative.
 */
import type { InputStatus, ReaderOutput, Source, SourceReader, SourceSplit } from "../../src/runtime/index.js";
import { keyGroupFor, keyGroupRangeForSubtask } from "../../src/state/index.js";

interface KeyGroupSplit extends SourceSplit {
  /** Key groups of the split, inclusive. */
  readonly start: number;
  readonly end: number;
  /** Next index to scan. */
  readonly next: number;
}

const SCAN = 4096;

export class KeyPartitionedGeneratorSource<T> implements Source<T, KeyGroupSplit> {
  readonly boundedness = "bounded" as const;

  constructor(
    private readonly generate: (index: number) => T,
    /** The key of event `index` without making the event; keys are integers in [0, keys). */
    private readonly keyAt: (index: number) => number,
    private readonly keys: number,
    private readonly count: number,
    private readonly keyGroups: number,
  ) {}

  createSplits(ctx: { parallelism: number }): KeyGroupSplit[] {
    const p = Math.max(1, ctx.parallelism);
    return Array.from({ length: p }, (_, i) => {
      const r = keyGroupRangeForSubtask(this.keyGroups, p, i);
      return { splitId: `key-groups-${r.start}-${r.end}`, start: r.start, end: r.end, next: 0 };
    });
  }

  createReader(): SourceReader<T, KeyGroupSplit> {
    const splits: Array<{ split: KeyGroupSplit; next: number }> = [];
    const groupOf = new Int16Array(this.keys);
    for (let k = 0; k < this.keys; k++) groupOf[k] = keyGroupFor(k, this.keyGroups);
    const { generate, keyAt, count } = this;
    return {
      addSplits(added) {
        for (const split of added) splits.push({ split, next: split.next });
      },
      pollNext(output: ReaderOutput<T>): InputStatus {
        for (const s of splits) {
          if (s.next >= count) continue;
          const { start, end: last, splitId } = s.split;
          const end = Math.min(count, s.next + SCAN);
          for (let i = s.next; i < end; i++) {
            const g = groupOf[keyAt(i)];
            if (g >= start && g <= last) output.collect(generate(i), splitId);
          }
          s.next = end;
          if (end >= count) output.splitFinished(splitId);
          return "more";
        }
        return "end";
      },
      snapshotState: () => splits.map((s) => ({ ...s.split, next: s.next })),
    };
  }
}
