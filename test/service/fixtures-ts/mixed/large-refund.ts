import { Pattern } from "../../../../src/cep/index.js";
import { definePatternFile } from "../../../../src/service/pattern-file/pattern-file-module.js";
import { amountAtLeast } from "./lib/amounts.js";

interface Txn {
  readonly type?: string;
  readonly amount?: number;
}

export default definePatternFile<Txn>({
  id: "mixed-large-refund",
  version: 4,
  source: "transactions",
  key: "cardId",
  eventTime: "ts",
  pattern: Pattern.begin<Txn>("refund").where((e) => e.type === "refund" && amountAtLeast(e, 100)),
  alert: { severity: "low", fields: { amount: "last($refund).amount" } },
});
