// The pattern written as JSON stages instead of a fluent Pattern.
export default {
  id: "not-a-pattern",
  version: 1,
  source: "transactions",
  key: "cardId",
  eventTime: "ts",
  pattern: { name: "small", where: "amount < 2" },
  alert: { severity: "high" },
};
