/** The example of docs/cep.md "On a stream", as written there. */
import { expect, it } from "vitest";
import { AfterMatchSkipStrategy, CEP, Pattern } from "../../../src/cep/index.js";
import { CollectionSource, CollectSink, StreamExecutionEnvironment, WatermarkStrategy } from "../../../src/runtime/index.js";

it("docs/cep.md: On a stream", async () => {
  type Txn = { cardId: string; amount: number; merchant: string; ts: number };
  const cardTesting = Pattern.begin<Txn>("small", AfterMatchSkipStrategy.skipPastLastEvent())
    .where((t) => t.amount < 2).timesOrMore(3).consecutive()
    .followedBy("big").where((t, ctx) => t.amount > 500 && t.merchant !== ctx.eventsFor("small")[0].merchant)
    .within(10 * 60_000);

  const env = StreamExecutionEnvironment.getExecutionEnvironment();
  const txns = env.fromSource(
    new CollectionSource<Txn>([
      { cardId: "c1", amount: 1, merchant: "m1", ts: 0 },
      { cardId: "c2", amount: 1, merchant: "m1", ts: 500 },
      { cardId: "c1", amount: 1.5, merchant: "m1", ts: 1_000 },
      { cardId: "c1", amount: 0.5, merchant: "m2", ts: 2_000 },
      { cardId: "c1", amount: 900, merchant: "m9", ts: 60_000 },
    ]),
    WatermarkStrategy.forBoundedOutOfOrderness<Txn>(5_000).withTimestampAssigner((t) => t.ts),
    "txns",
  );

  const alerts = CEP.pattern(txns.keyBy((t) => t.cardId), cardTesting)
    .process<{ kind: string; card: string }>((match, ctx) => ctx.output({ kind: "card-testing", card: match.small[0].cardId }));
  const timedOut = alerts.getSideOutput(CEP.timedOutTag);   // { match, timestamp, key, patternId }
  const late = alerts.getSideOutput(CEP.lateTag);           // events behind the watermark

  const alertSink = new CollectSink<{ kind: string; card: string }>();
  alerts.sinkTo(alertSink);
  const timedOutSink = new CollectSink();
  timedOut.sinkTo(timedOutSink);
  late.sinkTo(new CollectSink());
  await env.execute("card testing");
  expect(alertSink.values).toEqual([{ kind: "card-testing", card: "c1" }]);
  // c2's single small transaction timed out 10 minutes after it
  expect(timedOutSink.values).toEqual([{ match: { small: [{ cardId: "c2", amount: 1, merchant: "m1", ts: 500 }] }, timestamp: 600_500, key: "c2", patternId: "pattern" }]);
});
