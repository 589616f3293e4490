// No id, a version that is not an integer, and stages where the pattern belongs: the default
// export is checked by the same schema as a JSON file's keys.
import { Pattern } from "../../../../src/cep/index.js";

export default {
  version: 1.5,
  source: "transactions",
  key: "cardId",
  eventTime: "ts",
  pattern: Pattern.begin("a").where(() => true),
  stages: [{ name: "a", where: "true" }],
  alert: { severity: "urgent" },
};
