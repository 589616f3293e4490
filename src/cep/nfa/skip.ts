import { PatternError } from "../../errors.js";
import type { AfterMatchSkipStrategy } from "../pattern/skip-strategy.js";
import type { BufferNode } from "../shared-buffer/shared-buffer.js";
import type { ComputationState } from "./nfa-state.js";

/** An event's identity for ordering: event time, then arrival (FlinkCEP's `EventId`). */
export interface EventRef {
  readonly ts: number;
  readonly seq: number;
}

function compareRef(a: EventRef, b: EventRef): number {
  return a.ts !== b.ts ? (a.ts < b.ts ? -1 : 1) : a.seq - b.seq;
}

/**
 * The event relative to which a skip strategy prunes after the match ending at `node`
 * (FlinkCEP's `getPruningId`), or undefined for no pruning.
 */
export function pruningSeq(skip: AfterMatchSkipStrategy, node: BufferNode<any> | null): EventRef | undefined {
  let first: EventRef | undefined;
  let last: EventRef | undefined;
  let stageFirst: EventRef | undefined;
  let stageLast: EventRef | undefined;
  for (let n = node; n !== null; n = n.prev) {
    const stage = n.stage;
    const ref = { ts: n.entry.ts, seq: n.entry.seq };
    if (first === undefined || compareRef(ref, first) < 0) first = ref;
    if (last === undefined || compareRef(ref, last) > 0) last = ref;
    if (stage === skip.patternName) {
      // the walk goes newest to oldest: the first seen is the stage's last event
      stageLast ??= ref;
      stageFirst = ref;
    }
  }
  switch (skip.kind) {
    case "noSkip":
      return undefined;
    case "skipToNext":
      return first;
    case "skipPastLastEvent":
      return last;
    case "skipToFirst":
    case "skipToLast": {
      const at = skip.kind === "skipToFirst" ? stageFirst : stageLast;
      if (skip.throwOnMiss) {
        if (at === undefined) {
          throw new PatternError("skip-stage-missing", `could not skip to ${skip.patternName}: the match has no such event`, skip.patternName);
        }
        if (first !== undefined && compareRef(at, first) === 0) {
          throw new PatternError("skip-to-first-event", "could not skip to the first event of a match (it would loop)", skip.patternName);
        }
      }
      return at;
    }
  }
}

/** Whether a branch that started at `cs` is discarded (FlinkCEP's `shouldPrune`). */
export function shouldPrune(skip: AfterMatchSkipStrategy, cs: ComputationState<any>, at: EventRef): boolean {
  const c = compareRef({ ts: cs.startTs, seq: cs.startSeq }, at);
  // relative to the whole match: prune up to and including the event; to an element: strictly before it
  return skip.kind === "skipToFirst" || skip.kind === "skipToLast" ? c < 0 : c <= 0;
}
