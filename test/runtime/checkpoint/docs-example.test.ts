import { expect, it } from "vitest";
import { main } from "../../../examples/checkpoints/exactly-once.js";

it("the example in docs/checkpoints.md runs with checkpoints and commits each card's final total once", async () => {
  expect(await main([])).toEqual(["c0 2500", "c1 2500", "c2 2500", "c3 2500"]);
});
