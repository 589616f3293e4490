import { JobError } from "../../errors.js";
import type { OutputTag } from "../output-tag.js";
import type { PartitionerSpec } from "./partitioner.js";
import { isPhysical, type PhysicalTransformation, type Transformation } from "./transformation.js";

/** A physical operator with its parallelism resolved. */
export interface JobNode {
  readonly t: PhysicalTransformation;
  readonly id: number;
  /** `uid`, or a default derived from the node's kind and position (stable for the same program). */
  readonly operatorId: string;
  readonly name: string;
  readonly parallelism: number;
  readonly maxParallelism: number;
  readonly inputs: JobEdge[];
  readonly outputs: JobEdge[];
}

/** A connection from one operator's output (main, or a side output) to one input of another. */
export interface JobEdge {
  readonly from: JobNode;
  readonly to: JobNode;
  /** 1 or 2: which input of `to`. */
  readonly inputIndex: 1 | 2;
  readonly partitioner: PartitionerSpec;
  /** Set when the edge carries a side output rather than the main output. */
  readonly tag: OutputTag<any> | undefined;
  /** Same parallelism, forward, sole input: the records go by a direct call, no channel. */
  readonly chained: boolean;
}

export interface JobGraphOptions {
  defaultParallelism: number;
  maxParallelism: number;
  chaining: boolean;
}

/**
 * Turns the transformations a program built into physical nodes and edges, as Flink's
 * `StreamGraphGenerator` + `StreamingJobGraphGenerator`: virtual nodes (union, partition, side
 * output) dissolve into edge properties, parallelism defaults are applied, and forward edges
 * between equal parallelism are chained.
 */
export function buildJobGraph(transformations: readonly Transformation[], options: JobGraphOptions): JobNode[] {
  const nodes = new Map<Transformation, JobNode>();
  const usedIds = new Set<string>();
  const physical = transformations.filter(isPhysical);

  for (const t of physical) {
    let parallelism = t.parallelism ?? options.defaultParallelism;
    if (t.kind === "source") {
      const max = t.source.maxParallelism ?? Infinity;
      if (parallelism > max) {
        if (t.parallelism !== undefined) {
          throw new JobError(`source "${t.name}" supports parallelism ${max} at most, but setParallelism(${t.parallelism}) was called`);
        }
        parallelism = max;
      }
    }
    if (!Number.isInteger(parallelism) || parallelism < 1) {
      throw new JobError(`operator "${t.name}": parallelism must be an integer >= 1, got ${parallelism}`);
    }
    const maxParallelism = t.maxParallelism ?? options.maxParallelism;
    if (parallelism > maxParallelism) {
      throw new JobError(`operator "${t.name}": parallelism ${parallelism} exceeds max parallelism ${maxParallelism}`);
    }
    const operatorId = t.uid ?? `${t.kind}-${t.id}`;
    if (usedIds.has(operatorId)) throw new JobError(`two operators have the uid "${operatorId}"; uids must be unique in a job`);
    usedIds.add(operatorId);
    nodes.set(t, { t, id: t.id, operatorId, name: t.name, parallelism, maxParallelism, inputs: [], outputs: [] });
  }

  for (const t of physical) {
    const to = nodes.get(t)!;
    const inputs: Array<[Transformation, 1 | 2]> =
      t.kind === "source" ? [] : t.kind === "two-input" ? [[t.input1, 1], [t.input2, 2]] : [[t.input, 1]];
    for (const [input, inputIndex] of inputs) {
      for (const r of resolve(input, undefined, undefined)) {
        const from = nodes.get(r.node)!;
        let partitioner = r.partitioner;
        if (partitioner === undefined) {
          partitioner = from.parallelism === to.parallelism ? { kind: "forward" } : { kind: "rebalance" };
        } else if (partitioner.kind === "forward" && from.parallelism !== to.parallelism) {
          throw new JobError(
            `forward() from "${from.name}" (parallelism ${from.parallelism}) to "${to.name}" (parallelism ${to.parallelism}): forward needs equal parallelism`,
          );
        }
        const edge = { from, to, inputIndex, partitioner, tag: r.tag, chained: false };
        to.inputs.push(edge);
        from.outputs.push(edge);
      }
    }
  }

  if (options.chaining) {
    for (const node of nodes.values()) {
      if (node.inputs.length !== 1 || node.t.kind === "two-input" || !node.t.chainable) continue;
      const e = node.inputs[0];
      if (e.partitioner.kind === "forward" && e.tag === undefined && e.from.parallelism === node.parallelism) {
        (e as { chained: boolean }).chained = true;
      }
    }
  }
  return [...nodes.values()];
}

interface Resolved {
  node: PhysicalTransformation;
  partitioner: PartitionerSpec | undefined;
  tag: OutputTag<any> | undefined;
}

function resolve(t: Transformation, partitioner: PartitionerSpec | undefined, tag: OutputTag<any> | undefined): Resolved[] {
  switch (t.kind) {
    case "partition":
      return resolve(t.input, partitioner ?? t.partitioner, tag);
    case "side-output":
      if (tag !== undefined) throw new JobError(`getSideOutput(${t.tag.id}) of a side output is not a stream`);
      return resolve(t.input, partitioner, t.tag);
    case "union":
      return t.inputs.flatMap((i) => resolve(i, partitioner, tag));
    case "sink":
      throw new JobError(`a sink ("${t.name}") has no output to read`);
    default:
      return [{ node: t, partitioner, tag }];
  }
}

/** One line per node: what runs where, for logs and `describe()`. */
export function describeJobGraph(nodes: readonly JobNode[]): string {
  return nodes
    .map((n) => {
      const ins = n.inputs
        .map((e) => `${e.chained ? "chained" : e.partitioner.kind}${e.tag ? `[${e.tag.id}]` : ""} from ${e.from.operatorId}`)
        .join(", ");
      return `${n.operatorId} "${n.name}" x${n.parallelism}${ins ? ` <- ${ins}` : ""}`;
    })
    .join("\n");
}
