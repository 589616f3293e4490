import type { ReaderOutput, Source, SourceReader, SourceSplit, InputStatus } from "./source.js";

/** The one split of a collection: how many elements have been emitted. */
export interface CollectionSplit extends SourceSplit {
  readonly position: number;
}

const BATCH = 1024;

/**
 * A bounded, non-parallel source over an array, as Flink's `fromCollection`. Elements may carry
 * timestamps through `timestampOf` (otherwise they have none until a watermark strategy assigns
 * them). Its position is the index of the next element, so it replays exactly from a checkpoint.
 */
export class CollectionSource<T> implements Source<T, CollectionSplit> {
  readonly boundedness = "bounded" as const;
  readonly maxParallelism = 1;

  constructor(
    private readonly elements: readonly T[],
    private readonly timestampOf?: (element: T, index: number) => number,
  ) {}

  createSplits(): CollectionSplit[] {
    return [{ splitId: "collection", position: 0 }];
  }

  createReader(): SourceReader<T, CollectionSplit> {
    const elements = this.elements;
    const timestampOf = this.timestampOf;
    let split: CollectionSplit | undefined;
    let position = 0;
    return {
      addSplits(splits) {
        for (const s of splits) {
          split = s;
          position = s.position;
        }
      },
      pollNext(output: ReaderOutput<T>): InputStatus {
        if (split === undefined) return "end";
        const end = Math.min(elements.length, position + BATCH);
        const id = split.splitId;
        for (let i = position; i < end; i++) {
          if (timestampOf === undefined) output.collect(elements[i], id);
          else output.collect(elements[i], id, timestampOf(elements[i], i));
        }
        position = end;
        if (position < elements.length) return "more";
        output.splitFinished(id);
        return "end";
      },
      snapshotState() {
        return split === undefined ? [] : [{ splitId: split.splitId, position }];
      },
    };
  }
}
