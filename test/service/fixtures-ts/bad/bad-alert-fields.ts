// Alert fields are expressions of the condition language, checked against the Pattern's stages.
import { Pattern } from "../../../../src/cep/index.js";
import { definePatternFile } from "../../../../src/service/pattern-file/pattern-file-module.js";

export default definePatternFile<{ amount?: number }>({
  id: "bad-alert-fields",
  version: 1,
  source: "transactions",
  key: "cardId",
  eventTime: "ts",
  within: "10m",
  pattern: Pattern.begin<{ amount?: number }>("small").where((e) => (e.amount ?? 0) < 2).oneOrMore()
    .notFollowedBy("refund").where(() => false)
    .followedBy("big").where((e) => (e.amount ?? 0) > 500),
  alert: {
    severity: "high",
    fields: { total: "sum($small.amount, 1)", card: "first($smal).cardId", refunds: "count($refund)", ok: "last($big).amount" },
  },
});
