import { expect, it } from "vitest";
import { main } from "../../examples/runtime/card-totals.js";

it("the example in docs/runtime.md runs and gives per-minute totals and the broadcast-limit alert", async () => {
  const { totals, alerts } = await main();
  expect(totals).toEqual([
    "c1 minute ending 119999: 1 txns, 2500",
    "c1 minute ending 59999: 2 txns, 42",
    "c2 minute ending 119999: 1 txns, 8",
    "c2 minute ending 59999: 1 txns, 700",
  ]);
  expect(alerts).toEqual(["c1 spent 2500"]);
});
