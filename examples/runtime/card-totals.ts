/**
 * A DataStream job: per card and per minute of event time, the number and sum of transactions,
 * plus an alert side output for single transactions above a limit that a broadcast rule sets.
 * Run: npx tsx examples/runtime/card-totals.ts
 */
import {
  CollectSink,
  CollectionSource,
  MapStateDescriptor,
  OutputTag,
  StreamExecutionEnvironment,
  WatermarkStrategy,
  type Collector,
  type KeyedBroadcastContext,
  type KeyedBroadcastProcessFunction,
  type KeyedOnTimerContext,
  type KeyedReadOnlyContext,
  type RuntimeContext,
  type MapState,
} from "../../src/index.js";

interface Txn {
  card: string;
  amount: number;
  ts: number;
}

const txns: Txn[] = [
  { card: "c1", amount: 12, ts: 1_000 },
  { card: "c2", amount: 700, ts: 5_000 },
  { card: "c1", amount: 30, ts: 59_000 },
  { card: "c1", amount: 2_500, ts: 61_000 },
  { card: "c2", amount: 8, ts: 62_000 },
];

const limits = new MapStateDescriptor<string, number>("limits");
const overLimit = new OutputTag<string>("over-limit");

/** Sums per card per minute; emits when the watermark passes the minute; checks the broadcast limit. */
class MinuteTotals implements KeyedBroadcastProcessFunction<string, Txn, { limit: number }, string> {
  /** minute end -> [count, sum]: records of later minutes may arrive before a minute closes */
  private minutes!: MapState<number, [number, number]>;

  open(ctx: RuntimeContext) {
    this.minutes = ctx.getMapState(new MapStateDescriptor<number, [number, number]>("minutes"));
  }

  processBroadcastElement(rule: { limit: number }, ctx: KeyedBroadcastContext) {
    ctx.getBroadcastState(limits).put("limit", rule.limit);
  }

  processElement(t: Txn, ctx: KeyedReadOnlyContext<string>) {
    const limit = ctx.getBroadcastState(limits).get("limit");
    if (limit !== undefined && t.amount > limit) ctx.output(overLimit, `${t.card} spent ${t.amount}`);
    const end = Math.floor(t.ts / 60_000) * 60_000 + 59_999;
    const [count, sum] = this.minutes.get(end) ?? [0, 0];
    this.minutes.put(end, [count + 1, sum + t.amount]);
    ctx.timerService().registerEventTimeTimer(end);
  }

  onTimer(ts: number, ctx: KeyedOnTimerContext<string>, out: Collector<string>) {
    const [count, sum] = this.minutes.get(ts)!;
    out.collect(`${ctx.getCurrentKey()} minute ending ${ts}: ${count} txns, ${sum}`);
    this.minutes.remove(ts);
  }
}

export async function main(): Promise<{ totals: string[]; alerts: string[] }> {
  const env = StreamExecutionEnvironment.getExecutionEnvironment().setParallelism(2).setRuntimeMode("batch");
  const rules = env.fromElements({ limit: 1_000 }).broadcast(limits);
  const totals = env
    .fromSource(new CollectionSource(txns), WatermarkStrategy.forBoundedOutOfOrderness<Txn>(5_000).withTimestampAssigner((t) => t.ts), "txns")
    .keyBy((t) => t.card)
    .connect(rules)
    .process(new MinuteTotals());
  const totalsSink = new CollectSink<string>();
  const alertSink = new CollectSink<string>();
  totals.sinkTo(totalsSink);
  totals.getSideOutput(overLimit).sinkTo(alertSink);
  await env.execute("card totals");
  return { totals: totalsSink.values.sort(), alerts: alertSink.values };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { totals, alerts } = await main();
  for (const line of totals) process.stdout.write(`${line}\n`);
  for (const line of alerts) process.stdout.write(`ALERT ${line}\n`);
}
