import { JobError } from "../../errors.js";
import type { JobNode } from "../graph/job-graph.js";
import type { OperatorSnapshot, TaskSnapshot } from "../executor/operator-instance.js";
import type { SourceSplit } from "../source/source.js";
import type { CompletedSnapshot } from "./storage.js";

/** How a job starts from a snapshot. */
export interface RestoreSettings {
  /** A checkpoint (`chk-<id>`) or savepoint directory. */
  readonly path: string;
  /** Start even if the snapshot holds state of operators the job no longer has (that state is dropped). */
  readonly allowNonRestoredState?: boolean;
}

/** What each subtask of a job gets from a snapshot. */
export interface RestorePlan {
  readonly checkpointId: number;
  /** A source subtask's splits with their positions; undefined: the source is new, it starts from its own splits. */
  splits(node: JobNode, subtask: number): SourceSplit[] | undefined;
  /** An operator subtask's snapshots (every old subtask's: each keeps the key groups it owns). */
  operators(node: JobNode, subtask: number): OperatorSnapshot[] | undefined;
}

/**
 * Matches a snapshot's operators to a job's by operator id (the `uid`, or the id derived from
 * the operator's place in the graph), as Flink does on restore. Key groups are redistributed when
 * the parallelism changed; source splits are dealt round-robin to the new subtasks. State of an
 * operator the job no longer has is refused unless `allowNonRestoredState`; a new operator starts
 * empty.
 */
export function planRestore(snapshot: CompletedSnapshot, nodes: readonly JobNode[], allowNonRestoredState: boolean, where: string): RestorePlan {
  const byId = new Map(nodes.map((n) => [n.operatorId, n]));
  const dropped = snapshot.operators.filter((o) => !byId.has(o.operatorId) && o.subtasks.some(hasState));
  if (dropped.length > 0 && !allowNonRestoredState) {
    const names = dropped.map((o) => `"${o.name}" (id ${o.operatorId})`).join(", ");
    throw new JobError(
      `cannot restore from ${where}: it holds state of ${names}, which this job does not have. Give the operators their old uid(), or allow non-restored state to drop that state`,
      { code: "STATE_NOT_RESTORED" },
    );
  }
  const ops = new Map(snapshot.operators.map((o) => [o.operatorId, o]));
  for (const n of nodes) {
    const o = ops.get(n.operatorId);
    if (o === undefined) continue;
    const kind = n.t.kind === "source" ? "source" : "operator";
    if (o.kind !== kind) {
      throw new JobError(`cannot restore from ${where}: operator id ${n.operatorId} is a ${o.kind} there and a ${kind} ("${n.name}") here`, { code: "STATE_INCOMPATIBLE" });
    }
    if (o.maxParallelism !== n.maxParallelism && o.subtasks.some((s) => s.kind === "operator" && s.keyed !== undefined)) {
      throw new JobError(
        `cannot restore from ${where}: operator "${n.name}" had maxParallelism ${o.maxParallelism} and has ${n.maxParallelism} now; keyed state is split into that many key groups, so it must not change`,
        { code: "STATE_INCOMPATIBLE" },
      );
    }
  }
  return {
    checkpointId: snapshot.checkpointId,
    splits(node, subtask) {
      const o = ops.get(node.operatorId);
      if (o === undefined) return undefined;
      const all = o.subtasks.flatMap((s) => (s.kind === "source" ? s.splits : [])).sort((a, b) => (a.splitId < b.splitId ? -1 : a.splitId > b.splitId ? 1 : 0));
      return all.filter((_, i) => i % node.parallelism === subtask);
    },
    operators(node) {
      const o = ops.get(node.operatorId);
      if (o === undefined) return undefined;
      return o.subtasks.filter((s): s is { kind: "operator" } & OperatorSnapshot => s.kind === "operator").map(({ kind: _, ...rest }) => rest);
    },
  };
}

function hasState(s: TaskSnapshot): boolean {
  if (s.kind === "source") return s.splits.length > 0;
  return (
    (s.keyed !== undefined && (Object.values(s.keyed.keyGroups).some((e) => e.length > 0) || Object.keys(s.keyed.packed ?? {}).length > 0)) ||
    s.operator !== undefined ||
    Object.keys(s.operatorState).length > 0 ||
    s.timers.event.length + s.timers.processing.length > 0
  );
}
