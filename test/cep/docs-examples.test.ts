import { describe, expect, it } from "vitest";
import { AfterMatchSkipStrategy, compile, Pattern, PatternError, runPattern } from "../../src/index.js";

describe("examples in README.md and docs/cep.md", () => {
  it("README: card testing", () => {
    type Txn = { cardId: string; amount: number; merchant: string; ts: number };
    const cardTesting = Pattern.begin<Txn>("small", AfterMatchSkipStrategy.skipPastLastEvent())
      .where((t) => t.amount < 2)
      .timesOrMore(3).consecutive()
      .followedBy("big")
      .where((t, ctx) => t.amount > 500 && t.merchant !== ctx.eventsFor("small")[0].merchant)
      .within(10 * 60_000);
    const txns: Txn[] = [
      { cardId: "c1", amount: 1, merchant: "m1", ts: 0 },
      { cardId: "c1", amount: 1.5, merchant: "m1", ts: 1_000 },
      { cardId: "c1", amount: 0.5, merchant: "m2", ts: 2_000 },
      { cardId: "c1", amount: 900, merchant: "m9", ts: 60_000 },
    ];
    const { matches, timeouts } = runPattern(cardTesting, [...txns.map((t) => ({ event: t, timestamp: t.ts })), { watermark: Infinity }]);
    expect(matches).toEqual([{ small: txns.slice(0, 3), big: [txns[3]] }]);
    expect(timeouts).toEqual([]); // skipPastLastEvent pruned the shorter runs that started inside the match
  });

  it("docs/cep.md: brute force", () => {
    type Login = { user: string; ok: boolean; ts: number };
    const bruteForce = Pattern.begin<Login>("failed").where((l) => !l.ok).timesOrMore(3).consecutive()
      .next("success").where((l) => l.ok)
      .within(5 * 60_000);
    const input = [0, 10, 20, 30].map((t, i) => ({ event: { user: "u1", ok: i === 3, ts: t }, timestamp: t }));
    const { matches } = runPattern(bruteForce, [...input, { watermark: Infinity }], { mode: "eventTime" });
    expect(matches).toEqual([{ failed: input.slice(0, 3).map((i) => i.event), success: [input[3].event] }]);
  });

  it("docs/cep.md: contiguity table", () => {
    type E = { id: string };
    const is = (k: string) => (e: E) => e.id.startsWith(k);
    const input = "a b1 d1 b2 d2 b3 c".split(" ").map((id, t) => ({ event: { id }, timestamp: t }));
    const run = (p: Pattern<E, any>) => runPattern(p, input).matches.map((m) => Object.values(m).flat().map((e) => e.id).join(" ")).sort();
    const base = () => Pattern.begin<E>("a").where(is("a")).followedBy("b").where(is("b")).oneOrMore();
    expect(run(base().consecutive().followedBy("c").where(is("c")))).toEqual(["a b1 c"]);
    expect(run(base().followedBy("c").where(is("c")))).toEqual(["a b1 b2 b3 c", "a b1 b2 c", "a b1 c"]);
    expect(run(base().allowCombinations().followedBy("c").where(is("c")))).toEqual(["a b1 b2 b3 c", "a b1 b2 c", "a b1 b3 c", "a b1 c"]);
  });

  it("describe() and toDot() show every state and edge", () => {
    const nfa = compile(Pattern.begin<number>("a").where((x) => x > 1).followedBy("b").where((x) => x < 0).within(10));
    const text = nfa.describe();
    expect(text).toContain("window: 10 ms");
    expect(text).toMatch(/^a \(start\)$/m);
    expect(text).toMatch(/take +-> b +when \(x\) => x > 1/);
    expect(text).toMatch(/ignore +-> \(self\) +when NOT \(\(x\) => x < 0\)/);
    const dot = nfa.toDot();
    expect(dot.startsWith("digraph nfa {")).toBe(true);
    expect(dot).toContain('"$endState$" [shape=doublecircle]');
  });

  it("PatternError names the stage and the rule", () => {
    const err = (() => {
      try {
        compile(Pattern.begin<number>("a").followedBy("a"));
      } catch (e) {
        return e;
      }
    })() as PatternError;
    expect(err).toBeInstanceOf(PatternError);
    expect(err.rule).toBe("duplicate-name");
    expect(err.stage).toBe("a");
    expect(err.message).toContain('stage "a"');
  });
});
