import { describe, expect, it } from "vitest";
import { compile, Pattern, WithinType } from "../../../src/index.js";

type E = { k: string };
const is = (k: string) => (e: E) => e.k === k;

/** The graph as a set of `source(type) -action-> target` lines, as FlinkCEP's compiler tests assert it. */
function edges(p: Pattern<E, any>): string[] {
  const nfa = compile(p);
  return nfa.states
    .flatMap((s) => s.transitions.map((t) => `${s.name}(${s.type}) -${t.action}-> ${t.target.name}`))
    .sort();
}

describe("NFA compiler", () => {
  it("followedBy: take into the next stage, ignore non-matching events there", () => {
    expect(edges(Pattern.begin<E>("a").where(is("a")).followedBy("b").where(is("b")))).toEqual([
      "a(start) -take-> b",
      "b(normal) -ignore-> b",
      "b(normal) -take-> $endState$",
    ]);
  });

  it("next: no ignore edge", () => {
    expect(edges(Pattern.begin<E>("a").next("b"))).toEqual(["a(start) -take-> b", "b(normal) -take-> $endState$"]);
  });

  it("oneOrMore: a first state, a looping state with proceed, and an ignore state", () => {
    expect(edges(Pattern.begin<E>("a").followedBy("b").where(is("b")).oneOrMore().followedBy("c"))).toEqual([
      "a(start) -take-> b:1",
      "b(normal) -ignore-> b:0",
      "b(normal) -proceed-> c",
      "b(normal) -take-> b",
      "b:0(normal) -ignore-> b:0",
      "b:0(normal) -take-> b",
      "b:1(normal) -ignore-> b:1",
      "b:1(normal) -take-> b",
      "c(normal) -ignore-> c",
      "c(normal) -take-> $endState$",
    ]);
  });

  it("optional: a proceed edge past the stage and an ignore state without one", () => {
    expect(edges(Pattern.begin<E>("a").followedBy("b").optional().followedBy("c"))).toEqual([
      "a(start) -take-> b",
      "b(normal) -ignore-> b:0",
      "b(normal) -proceed-> c",
      "b(normal) -take-> c",
      "b:0(normal) -ignore-> b:0",
      "b:0(normal) -take-> c",
      "c(normal) -ignore-> c",
      "c(normal) -take-> $endState$",
    ]);
  });

  it("notNext in the middle: proceed when it does not match, stop when it does", () => {
    expect(edges(Pattern.begin<E>("a").notNext("x").where(is("x")).followedBy("c"))).toEqual([
      "a(start) -take-> x",
      "c(normal) -ignore-> c",
      "c(normal) -take-> $endState$",
      "x(normal) -proceed-> c",
      "x(normal) -proceed-> x:0",
      "x:0(stop) -take-> x:0",
    ]);
  });

  it("notFollowedBy at the end with within: a pending state", () => {
    const nfa = compile(Pattern.begin<E>("a").notFollowedBy("x").where(is("x")).within(10));
    const pending = nfa.states.filter((s) => s.type === "pending");
    expect(pending.map((s) => s.transitions.map((t) => `${t.action}->${t.target.type}`).sort())).toEqual([["ignore->pending", "proceed->stop"]]);
  });

  it("PREVIOUS_AND_CURRENT windows sit on the stage's take states", () => {
    const nfa = compile(Pattern.begin<E>("a").followedBy("b").within(5, WithinType.PREVIOUS_AND_CURRENT).within(20));
    expect(nfa.windowMs).toBe(20);
    expect(nfa.states.filter((s) => s.windowMs === 5).map((s) => s.name)).toEqual(["b"]);
  });

  it("stage order lists group stages in place and leaves not-stages out", () => {
    const group = Pattern.begin<E>("g1").next("g2");
    const nfa = compile(Pattern.begin<E>("a").notNext("n").followedBy(group).oneOrMore().followedBy("z"));
    expect(nfa.stageOrder).toEqual(["a", "g1", "g2", "z"]);
  });
});
