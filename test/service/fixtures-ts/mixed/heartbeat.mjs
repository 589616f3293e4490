// A rule as plain JavaScript (ESM): the same shape as a TS rule.
import { Pattern } from "../../../../src/cep/index.js";

export default {
  id: "mixed-heartbeat",
  version: 1,
  source: "transactions",
  key: "device.id",
  eventTime: null,
  pattern: Pattern.begin("beat").where((e) => e.type === "heartbeat"),
  alert: { severity: "info" },
};
