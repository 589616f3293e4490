// json/probe-then-cash-out.json as a TS rule (an .mts file): a quantified group, the window and
// the skip strategy in the file, alerts for timed-out partial matches.
import { Pattern } from "../../../../src/cep/index.js";
import { definePatternFile } from "../../../../src/service/pattern-file/pattern-file-module.js";

interface Txn {
  readonly type?: string;
  readonly amount?: number;
}

const amountOf = (e: Txn): number => (typeof e.amount === "number" ? e.amount : NaN);

const probeAndRefund = Pattern.begin<Txn>("probe")
  .where((e) => e.type === "purchase" && amountOf(e) < 5)
  .next("refund")
  .where((e, ctx) => {
    const probes = ctx.eventsFor("probe");
    return e.type === "refund" && probes.length > 0 && amountOf(e) === amountOf(probes[probes.length - 1]);
  });

export default definePatternFile<Txn>({
  id: "probe-then-cash-out",
  version: 2,
  description: "Twice a tiny purchase refunded at once, then a large purchase, within 30 minutes; probes alone are reported when the window closes",
  source: "transactions",
  key: "cardId",
  eventTime: "ts",
  within: "30m",
  afterMatch: { strategy: "skipPastLastEvent" },
  pattern: Pattern.begin<Txn>(probeAndRefund)
    .times(2)
    .followedBy("cashout")
    .where((e) => e.type === "purchase" && amountOf(e) >= 300),
  alert: {
    severity: "critical",
    fields: { probes: "$probe.amount", cashout: "last($cashout).amount", merchant: "last($cashout).merchant" },
    sinks: ["alerts"],
  },
  onTimeout: {
    severity: "low",
    fields: { probes: "count($probe)", refunded: "sum($refund.amount)" },
    sinks: ["alerts"],
  },
});
