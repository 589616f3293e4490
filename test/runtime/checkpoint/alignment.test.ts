import { describe, expect, it } from "vitest";
import { OperatorHarness, type KeyedCoProcessFunction, type RuntimeContext } from "../../../src/runtime/index.js";
import { ValueStateDescriptor } from "../../../src/state/descriptors.js";
import type { ValueState } from "../../../src/state/api.js";

type Ev = { k: string; n: number };

/** Counts records per key over both inputs and emits the running count. */
class Count implements KeyedCoProcessFunction<string, Ev, Ev, string> {
  private count!: ValueState<number>;
  open(ctx: RuntimeContext) {
    this.count = ctx.getState(new ValueStateDescriptor<number>("count"));
  }
  processElement1(e: Ev, _ctx: unknown, out: { collect(s: string): void }) {
    this.count.update((this.count.value() ?? 0) + 1);
    out.collect(`1:${e.k}${e.n}`);
  }
  processElement2(e: Ev, _ctx: unknown, out: { collect(s: string): void }) {
    this.count.update((this.count.value() ?? 0) + 1);
    out.collect(`2:${e.k}${e.n}`);
  }
}

const harness = () => OperatorHarness.forCoProcessFunction(new Count(), (e: Ev) => e.k, (e: Ev) => e.k);

describe("barrier alignment with two inputs", () => {
  it("holds the input whose barrier came first, snapshots when both arrived, forwards one barrier, then replays in order", async () => {
    const h = await harness();
    h.processElement1({ k: "a", n: 1 }).processElement2({ k: "a", n: 2 });
    h.processBarrier(7, 1);
    // input 1 is blocked: its records wait; input 2 still flows
    h.processElement1({ k: "a", n: 3 }).processElement1({ k: "a", n: 4 });
    h.processElement2({ k: "a", n: 5 });
    expect(h.extractOutputValues()).toEqual(["1:a1", "2:a2", "2:a5"]);
    expect(h.getBarriers()).toEqual([]);
    expect(await h.checkpointSnapshot(7)).toBeUndefined();

    h.processBarrier(7, 2);
    expect(h.getBarriers().map((b) => b.id)).toEqual([7]);
    // the held records are processed after the barrier, in their order
    expect(h.extractOutputValues()).toEqual(["1:a1", "2:a2", "2:a5", "1:a3", "1:a4"]);

    // the snapshot holds a's count before the barrier: a1, a2 (input 1 before its barrier) and a5 (input 2 before its barrier)
    const snap = (await h.checkpointSnapshot(7))!;
    const restored = await h.restore(snap);
    restored.processElement1({ k: "a", n: 9 });
    expect(restored.keyedState!.getPartitionedState(new ValueStateDescriptor<number>("count")).value()).toBe(4);
  });

  it("a barrier replayed from the held records starts the next alignment, and what follows it stays held", async () => {
    const h = await harness();
    h.processBarrier(1, 1);
    h.processElement1({ k: "x", n: 1 });
    h.processBarrier(2, 1); // input 1 already delivered checkpoint 2's barrier too: held behind x1
    h.processElement1({ k: "x", n: 2 });
    h.processBarrier(1, 2); // aligns 1; replaying input 1 processes x1, then meets barrier 2 and blocks again
    expect(h.getBarriers().map((b) => b.id)).toEqual([1]);
    expect(h.extractOutputValues()).toEqual(["1:x1"]);
    h.processElement2({ k: "x", n: 3 });
    h.processBarrier(2, 2);
    expect(h.getBarriers().map((b) => b.id)).toEqual([1, 2]);
    expect(h.extractOutputValues()).toEqual(["1:x1", "2:x3", "1:x2"]);
    const c = new ValueStateDescriptor<number>("count");
    const r2 = await h.restore((await h.checkpointSnapshot(2))!);
    r2.processElement1({ k: "x", n: 0 });
    expect(r2.keyedState!.getPartitionedState(c).value()).toBe(3); // x1, x3 + this one
  });

  it("an input that ended counts as aligned", async () => {
    const h = await harness();
    h.processElement2({ k: "b", n: 1 });
    h.processBarrier(3, 1);
    h.processElement1({ k: "b", n: 2 });
    expect(h.getBarriers()).toEqual([]);
    h.endInput2();
    expect(h.getBarriers().map((b) => b.id)).toEqual([3]);
    expect(h.extractOutputValues()).toEqual(["2:b1", "1:b2"]);
  });

  it("a newer barrier abandons an alignment that never completed", async () => {
    const h = await harness();
    h.processBarrier(1, 1);
    h.processElement1({ k: "c", n: 1 });
    h.processBarrier(2, 2); // checkpoint 1 was given up upstream; 2 overtakes it on input 2
    expect(h.extractOutputValues()).toEqual(["1:c1"]);
    h.processBarrier(2, 1);
    expect(h.getBarriers().map((b) => b.id)).toEqual([2]);
  });
});
