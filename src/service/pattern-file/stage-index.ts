import type { CheckScope } from "../expr/index.js";
import { childPointer, type RuleIssue } from "./issue.js";
import { isGroup, type SingleStageDoc, type StageDoc } from "./rule-doc.js";

/** A single (non-group) stage with where it is in the file and in the pattern. */
export interface StageInfo {
  readonly doc: SingleStageDoc;
  readonly name: string;
  readonly pointer: string;
  /** Position among all single stages, in pattern order (0-based). */
  readonly order: number;
  /** Orders of the stages of each enclosing group that can repeat (has a quantifier). */
  readonly repeatingSiblings: ReadonlySet<number>;
}

/** Every single stage of a rule, in pattern order, with lookups by name. */
export interface StageIndex {
  readonly stages: readonly StageInfo[];
  readonly names: readonly string[];
  readonly byName: ReadonlyMap<string, StageInfo>;
  /** `notNext` / `notFollowedBy` stages, with their contiguity. */
  readonly negative: ReadonlyMap<string, string>;
}

/**
 * Walks the (possibly nested) stages of a validated rule. Reports duplicate names and the
 * misplaced options that a file can express but the fluent builder cannot: a contiguity on the
 * first stage of a pattern or group, and a `within` on the rule's very first stage.
 */
export function indexStages(file: string, stages: readonly StageDoc[]): { index: StageIndex; issues: RuleIssue[] } {
  const issues: RuleIssue[] = [];
  const infos: StageInfo[] = [];
  const byName = new Map<string, StageInfo>();
  const negative = new Map<string, string>();
  const enclosingOf = new Map<StageInfo, ReadonlyArray<Set<number>>>();

  const walk = (list: readonly StageDoc[], pointer: string, enclosing: Array<Set<number>>): void => {
    list.forEach((stage, i) => {
      const at = childPointer(pointer, i);
      if (i === 0 && stage.contiguity !== undefined) {
        issues.push({
          file,
          pointer: childPointer(at, "contiguity"),
          message: `the first stage of a ${pointer === "/stages" ? "pattern" : "group"} has no contiguity (it says how a stage follows the previous one)`,
        });
      }
      if (isGroup(stage)) {
        const members = new Set<number>();
        const groups = stage.quantifier === undefined ? enclosing : [...enclosing, members];
        const before = infos.length;
        walk(stage.group, childPointer(at, "group"), groups);
        for (let k = before; k < infos.length; k++) members.add(k);
        return;
      }
      if (infos.length === 0 && stage.within !== undefined) {
        issues.push({
          file,
          pointer: childPointer(at, "within"),
          message: "the first stage has no previous stage to measure a gap from; use the rule's within",
        });
      }
      const previous = byName.get(stage.name);
      if (previous !== undefined) {
        issues.push({ file, pointer: childPointer(at, "name"), message: `duplicate stage name ${stage.name} (also at ${previous.pointer})` });
        return;
      }
      const info: StageInfo = { doc: stage, name: stage.name, pointer: at, order: infos.length, repeatingSiblings: new Set() };
      // the member sets of the enclosing groups are complete only after the walk
      enclosingOf.set(info, enclosing);
      infos.push(info);
      byName.set(stage.name, info);
      if (stage.contiguity === "notNext" || stage.contiguity === "notFollowedBy") negative.set(stage.name, stage.contiguity);
    });
  };
  walk(stages, "/stages", []);
  for (const info of infos) {
    for (const members of enclosingOf.get(info) ?? []) for (const n of members) (info.repeatingSiblings as Set<number>).add(n);
  }
  return { index: { stages: infos, names: infos.map((s) => s.name), byName, negative }, issues };
}

/**
 * What a condition of `stage` may name: every stage up to and including itself, plus the
 * stages of any repeating group around it (an earlier round may have taken them).
 */
export function conditionScope(index: StageIndex, stage: StageInfo): CheckScope {
  const visible = new Set<string>();
  for (const s of index.stages) if (s.order <= stage.order || stage.repeatingSiblings.has(s.order)) visible.add(s.name);
  return { stages: index.names, visible, negative: index.negative, current: stage.name };
}

/** What an alert field may name: every stage (of a completed or timed-out match). */
export function alertScope(index: Pick<StageIndex, "names" | "negative">): CheckScope {
  return { stages: index.names, visible: new Set(index.names), negative: index.negative };
}
