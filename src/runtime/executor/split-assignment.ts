import type { JobNode } from "../graph/job-graph.js";
import type { SourceSplit } from "../source/source.js";

/** Lists every source's splits and assigns them round-robin: split i to subtask i mod parallelism. */
export async function assignSplits(nodes: readonly JobNode[]): Promise<Map<number, SourceSplit[][]>> {
  const out = new Map<number, SourceSplit[][]>();
  for (const node of nodes) {
    if (node.t.kind !== "source") continue;
    const splits = await node.t.source.createSplits({ parallelism: node.parallelism });
    const perSubtask: SourceSplit[][] = Array.from({ length: node.parallelism }, () => []);
    splits.forEach((s, i) => perSubtask[i % node.parallelism].push(s));
    out.set(node.id, perSubtask);
  }
  return out;
}
