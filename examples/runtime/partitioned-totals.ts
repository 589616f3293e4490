/**
 * A keyed job over input that is already partitioned by key group: per card and minute of event
 * time, the number and sum of transactions, with no exchange between subtasks
 * (`DataStreamUtils.reinterpretAsKeyedStream`). The "partitions" stand for a topic whose producer
 * routed each card to the partition of the subtask that owns its key group.
 * Run: npx tsx examples/runtime/partitioned-totals.ts
 */
import {
  CollectSink,
  DataStreamUtils,
  StreamExecutionEnvironment,
  TumblingEventTimeWindows,
  WatermarkStrategy,
  keyGroupFor,
  subtaskForKeyGroup,
  type InputStatus,
  type ReaderOutput,
  type Source,
  type SourceReader,
  type SourceSplit,
} from "../../src/index.js";

interface Txn {
  card: string;
  amount: number;
  ts: number;
}

const PARALLELISM = 2;
const MAX_PARALLELISM = 128;

/** The subtask (of `PARALLELISM`) whose key groups hold `card`: what the producer partitions by. */
export function partitionOf(card: string): number {
  return subtaskForKeyGroup(MAX_PARALLELISM, PARALLELISM, keyGroupFor(card, MAX_PARALLELISM));
}

interface PartitionSplit extends SourceSplit {
  readonly partition: number;
  readonly offset: number;
}

/** A bounded source of partitions: split i is partition i, assigned to subtask i. */
class PartitionsSource<T> implements Source<T, PartitionSplit> {
  readonly boundedness = "bounded" as const;
  constructor(private readonly partitions: T[][]) {}

  createSplits(): PartitionSplit[] {
    return this.partitions.map((_, partition) => ({ splitId: `partition-${partition}`, partition, offset: 0 }));
  }

  createReader(): SourceReader<T, PartitionSplit> {
    const owned: Array<{ split: PartitionSplit; offset: number }> = [];
    return {
      addSplits: (splits) => {
        for (const split of splits) owned.push({ split, offset: split.offset });
      },
      pollNext: (out: ReaderOutput<T>): InputStatus => {
        for (const o of owned) {
          const records = this.partitions[o.split.partition];
          if (o.offset >= records.length) continue;
          for (; o.offset < records.length; o.offset++) out.collect(records[o.offset], o.split.splitId);
          out.splitFinished(o.split.splitId);
          return "more";
        }
        return "end";
      },
      snapshotState: () => owned.map((o) => ({ ...o.split, offset: o.offset })),
    };
  }
}

const txns: Txn[] = [
  { card: "c1", amount: 12, ts: 1_000 },
  { card: "c2", amount: 700, ts: 5_000 },
  { card: "c3", amount: 40, ts: 7_000 },
  { card: "c1", amount: 30, ts: 59_000 },
  { card: "c1", amount: 2_500, ts: 61_000 },
  { card: "c2", amount: 8, ts: 62_000 },
  { card: "c4", amount: 99, ts: 63_000 },
];

/** Per card and minute, "card minute-start: count txns, sum"; with `byKeyBy`, the same job with keyBy (for comparison). */
export async function main(byKeyBy = false): Promise<string[]> {
  const env = new StreamExecutionEnvironment().setParallelism(PARALLELISM).setMaxParallelism(MAX_PARALLELISM);
  const partitions: Txn[][] = Array.from({ length: PARALLELISM }, () => []);
  for (const t of txns) partitions[partitionOf(t.card)].push(t);
  const stream = env.fromSource(
    new PartitionsSource(partitions),
    WatermarkStrategy.forMonotonousTimestamps<Txn>().withTimestampAssigner((t) => t.ts),
    "txns",
  );
  const keyed = byKeyBy ? stream.keyBy((t) => t.card) : DataStreamUtils.reinterpretAsKeyedStream(stream, (t) => t.card);
  const sink = new CollectSink<string>();
  keyed
    .window(TumblingEventTimeWindows.of(60_000))
    .aggregate(
      {
        createAccumulator: () => ({ count: 0, sum: 0 }),
        add: (t: Txn, acc: { count: number; sum: number }) => ({ count: acc.count + 1, sum: acc.sum + t.amount }),
        getResult: (acc: { count: number; sum: number }) => acc,
        merge: (a: { count: number; sum: number }, b: { count: number; sum: number }) => ({ count: a.count + b.count, sum: a.sum + b.sum }),
      },
      (card: string, ctx, [acc], out) => out.collect(`${card} ${ctx.window().start}: ${acc.count} txns, ${acc.sum}`),
    )
    .sinkTo(sink);
  await env.execute("partitioned totals");
  return sink.values.sort();
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const line of await main()) process.stdout.write(`${line}\n`);
}
