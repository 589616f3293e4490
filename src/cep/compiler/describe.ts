import type { State } from "./state.js";

/**
 * A text listing of the NFA: one block per state, one line per edge, e.g.
 * `  take    -> big            when (e) => e.amount > 500`.
 */
export function describeStates(states: readonly State<any>[], windowMs: number): string {
  const lines: string[] = [];
  if (windowMs > 0) lines.push(`window: ${windowMs} ms (first to last event)`);
  for (const s of order(states)) {
    const extra = s.windowMs !== undefined ? `  [within ${s.windowMs} ms of previous event]` : "";
    lines.push(`${s.name} (${s.type})${extra}`);
    for (const t of s.transitions) {
      const target = t.target === s ? "(self)" : t.target.name;
      lines.push(`  ${t.action.padEnd(7)} -> ${target.padEnd(14)} when ${t.cond.text}`);
    }
  }
  return lines.join("\n");
}

/** Graphviz DOT of the NFA: take edges solid, ignore dashed, proceed dotted. */
export function statesToDot(states: readonly State<any>[]): string {
  const id = (s: State<any>) => JSON.stringify(s.name);
  const style = { take: "solid", ignore: "dashed", proceed: "dotted" } as const;
  const lines = ["digraph nfa {", "  rankdir=LR;"];
  for (const s of order(states)) {
    const shape = s.isFinal ? "doublecircle" : s.isStop ? "octagon" : s.isPending ? "diamond" : "circle";
    const attrs = [`shape=${shape}`, s.isStart ? "style=bold" : ""].filter(Boolean).join(", ");
    lines.push(`  ${id(s)} [${attrs}];`);
    for (const t of s.transitions) {
      const label = `${t.action}: ${t.cond.text}`.replace(/"/g, '\\"');
      lines.push(`  ${id(s)} -> ${id(t.target)} [label="${label}", style=${style[t.action]}];`);
    }
  }
  lines.push("}");
  return lines.join("\n");
}

/** Start state first, then breadth-first along edges, then anything unreachable. */
function order(states: readonly State<any>[]): State<any>[] {
  const start = states.find((s) => s.isStart);
  const out: State<any>[] = [];
  const seen = new Set<State<any>>();
  const queue = start ? [start] : [];
  while (queue.length > 0) {
    const s = queue.shift()!;
    if (seen.has(s)) continue;
    seen.add(s);
    out.push(s);
    for (const t of s.transitions) queue.push(t.target);
  }
  for (const s of states) if (!seen.has(s)) out.push(s);
  return out;
}
