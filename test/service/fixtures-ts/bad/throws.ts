// A rule whose code throws while the module is imported.
import { Pattern } from "../../../../src/cep/index.js";

function limits(): { readonly small: number } {
  throw new Error("limits are not configured");
}

export default {
  id: "throws",
  version: 1,
  source: "transactions",
  key: "cardId",
  eventTime: "ts",
  pattern: Pattern.begin<{ amount: number }>("small").where((e) => e.amount < limits().small),
  small: limits().small,
  alert: { severity: "low" },
};
