// The window and the skip strategy set twice, differently: in the file and on the Pattern.
import { AfterMatchSkipStrategy, Pattern } from "../../../../src/cep/index.js";
import { definePatternFile } from "../../../../src/service/pattern-file/pattern-file-module.js";

export default definePatternFile({
  id: "conflicts",
  version: 1,
  source: "transactions",
  key: "cardId",
  eventTime: "ts",
  within: "5m",
  afterMatch: { strategy: "skipToNext" },
  pattern: Pattern.begin("a", AfterMatchSkipStrategy.skipPastLastEvent()).where(() => true).next("b").where(() => true).within(600_000),
  alert: { severity: "low" },
});
