import type { InputStatus, ReaderOutput, Source, SourceReader, SourceSplit } from "./source.js";

/** A range of indexes of a generator source, with the next index to emit. */
export interface GeneratorSplit extends SourceSplit {
  readonly from: number;
  readonly to: number;
  readonly next: number;
}

const BATCH = 4096;

/**
 * A bounded, parallel source of `count` records made by a function of their index, as Flink's
 * `DataGeneratorSource` (and `fromSequence`): the index range is cut into one split per subtask,
 * and a split's position is its next index, so it replays exactly.
 */
export class DataGeneratorSource<T> implements Source<T, GeneratorSplit> {
  readonly boundedness = "bounded" as const;

  constructor(
    private readonly generate: (index: number) => T,
    private readonly count: number,
    private readonly timestampOf?: (value: T, index: number) => number,
  ) {}

  createSplits(ctx: { parallelism: number }): GeneratorSplit[] {
    const n = Math.max(1, ctx.parallelism);
    const out: GeneratorSplit[] = [];
    for (let i = 0; i < n; i++) {
      const from = Math.floor((this.count * i) / n);
      const to = Math.floor((this.count * (i + 1)) / n);
      out.push({ splitId: `range-${i}`, from, to, next: from });
    }
    return out;
  }

  createReader(): SourceReader<T, GeneratorSplit> {
    const splits: Array<{ id: string; from: number; to: number; next: number }> = [];
    const generate = this.generate;
    const timestampOf = this.timestampOf;
    return {
      addSplits(added) {
        for (const s of added) splits.push({ id: s.splitId, from: s.from, to: s.to, next: s.next });
      },
      pollNext(output: ReaderOutput<T>): InputStatus {
        for (const s of splits) {
          if (s.next >= s.to) continue;
          const end = Math.min(s.to, s.next + BATCH);
          const id = s.id;
          if (timestampOf === undefined) {
            for (let i = s.next; i < end; i++) output.collect(generate(i), id);
          } else {
            for (let i = s.next; i < end; i++) {
              const v = generate(i);
              output.collect(v, id, timestampOf(v, i));
            }
          }
          s.next = end;
          if (end >= s.to) output.splitFinished(id);
          return "more";
        }
        return "end";
      },
      snapshotState: () => splits.map((s) => ({ splitId: s.id, from: s.from, to: s.to, next: s.next })),
    };
  }
}
