// json/card-testing.json as a TS rule: the window and the skip strategy set on the Pattern.
import { AfterMatchSkipStrategy, Pattern } from "../../../../src/cep/index.js";
import { definePatternFile } from "../../../../src/service/pattern-file/pattern-file-module.js";

interface Txn {
  readonly cardId: string;
  readonly merchant?: string;
  readonly amount?: number;
}

const isNumber = (x: unknown): x is number => typeof x === "number";

export default definePatternFile<Txn>({
  id: "card-testing",
  version: 3,
  description: "Three or more tiny charges, then a large one at another merchant, within 10 minutes",
  source: "transactions",
  key: "cardId",
  eventTime: "ts",
  pattern: Pattern.begin<Txn>("small", AfterMatchSkipStrategy.skipPastLastEvent())
    .where((e) => isNumber(e.amount) && e.amount < 2)
    .timesOrMore(3)
    .consecutive()
    .followedBy("big")
    .where((e, ctx) => isNumber(e.amount) && e.amount > 500 && e.merchant !== ctx.eventsFor("small")[0]?.merchant)
    .within(10 * 60_000),
  alert: {
    severity: "high",
    fields: { card: "first($small).cardId", total: "sum($small.amount) + last($big).amount" },
    sinks: ["alerts"],
  },
});
