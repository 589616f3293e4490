// json/auth-not-captured.json as a TS rule: the window in the file, a compound key, a pattern
// ending in notFollowedBy.
import { Pattern } from "../../../../src/cep/index.js";
import { definePatternFile } from "../../../../src/service/pattern-file/pattern-file-module.js";

interface Txn {
  readonly type?: string;
  readonly amount?: number;
}

export default definePatternFile<Txn>({
  id: "auth-not-captured",
  version: 1,
  description: "A large authorization that the same merchant does not capture within 30 minutes",
  source: "transactions",
  key: ["cardId", "merchant"],
  eventTime: "ts",
  within: "30m",
  pattern: Pattern.begin<Txn>("auth")
    .where((e) => e.type === "auth" && typeof e.amount === "number" && e.amount >= 1000)
    .notFollowedBy("capture")
    .where((e) => e.type === "capture"),
  alert: {
    severity: "medium",
    fields: { amount: "last($auth).amount", merchant: "last($auth).merchant", authorizedAt: "time(last($auth))" },
    sinks: ["alerts"],
  },
});
