import { VigilError } from "../../errors.js";
import type { CompiledGraph } from "../compiler/compiler.js";
import type { State, Transition } from "../compiler/state.js";
import type { PatternContext } from "../pattern/condition.js";
import type { AfterMatchSkipStrategy } from "../pattern/skip-strategy.js";
import type { BufferNode, SharedBuffer } from "../shared-buffer/shared-buffer.js";
import { compareStart, NfaState, startComputation, type ComputationState } from "./nfa-state.js";
import { pruningSeq, shouldPrune } from "./skip.js";
import { describeStates, statesToDot } from "../compiler/describe.js";

/** A match: stage name to the events it took, keys in pattern order. */
export type Match<T> = Record<string, T[]>;

/** Receives what the NFA emits. `timeout` may be left out when timed-out matches are not wanted. */
export interface MatchCollector<T> {
  match(match: Match<T>): void;
  timeout?(partial: Match<T>, timestamp: number): void;
}

/**
 * A compiled pattern (FlinkCEP's `NFA`): immutable and shared by every key; all per-key state
 * comes in as an `NfaState`. Evaluation follows FlinkCEP's `NFA.process`/`advanceTime`: for
 * each branch, the edges whose conditions hold are found by following proceed edges
 * (epsilon moves evaluated on the current event); each take or ignore edge becomes a new
 * branch; branches reaching a stop state are dropped with their siblings; branches reaching
 * the final state are matches.
 */
export class Nfa<T> {
  readonly states: readonly State<T>[];
  readonly start: State<T>;
  /** FIRST_AND_LAST window in ms (0: none). */
  readonly windowMs: number;
  readonly stageOrder: readonly string[];
  readonly skip: AfterMatchSkipStrategy;
  /** Whether time alone can change anything (windows or a trailing notFollowedBy). */
  private readonly timed: boolean;
  private readonly hasStageWindows: boolean;
  /** The user conditions to test for `isInert`, or null when inert events cannot be skipped. */
  private readonly inertLeaves: ReadonlyArray<(event: T, ctx: PatternContext<T>) => boolean> | null;
  /** Scratch lists reused on every event (no per-event allocation): a branch's successors and edges. */
  private readonly results: ComputationState<T>[] = [];
  private readonly edges: Transition<T>[] = [];
  private readonly ctx = new EvalContext<T>();
  /** The start state's branch, shared by every key's state. */
  readonly startCs: ComputationState<T>;

  constructor(graph: CompiledGraph<T>, skip: AfterMatchSkipStrategy) {
    this.states = graph.states;
    this.start = graph.start;
    this.windowMs = graph.windowMs;
    this.stageOrder = graph.stageOrder;
    this.skip = skip;
    this.startCs = startComputation(graph.start);
    this.hasStageWindows = graph.states.some((s) => s.windowMs !== undefined);
    this.inertLeaves = inertLeaves(graph.states);
    this.timed = graph.windowMs > 0 || this.hasStageWindows;
  }

  /** A text listing of the states and their take / ignore / proceed edges. */
  describe(): string {
    return describeStates(this.states, this.windowMs);
  }

  /** Graphviz DOT of the same graph. */
  toDot(): string {
    return statesToDot(this.states);
  }

  /**
   * Whether `event` provably changes no key's state except its time: it fails every user
   * condition of the pattern, and the compiler's analysis shows that such an event starts no
   * match and is ignored by every state without branching or stopping. A keyed caller may skip
   * the key lookup and `process` for it; results are the same, only timeouts of that key surface
   * at its next event or time advance instead of at this one. False whenever the pattern has a
   * condition that reads `ctx` (it cannot be evaluated without a partial match).
   */
  isInert(event: T): boolean {
    const leaves = this.inertLeaves;
    if (leaves === null) return false;
    for (let i = 0; i < leaves.length; i++) if (leaves[i](event, NO_CONTEXT)) return false;
    return true;
  }

  /**
   * Whether `event` at `timestamp` would start a match from a key with nothing in progress.
   * Always decidable without per-key state: the first stage's conditions see no earlier events.
   */
  canStart(event: T, timestamp: number): boolean {
    this.ctx.reset(null, null, timestamp);
    const count = this.decisionGraph(this.start, event, this.ctx);
    for (let i = 0; i < count; i++) if (this.edges[i].action === "take") return true;
    return false;
  }

  /** Whether `isInert` can ever be true for this pattern. */
  get canSkipInert(): boolean {
    return this.inertLeaves !== null;
  }

  /**
   * The conditions `isInert` tests, for callers that inline the check: an event is inert when
   * each returns false for `(event, inertContext)`. Null when inert events cannot be skipped.
   */
  get inertConditions(): ReadonlyArray<(event: T, ctx: PatternContext<T>) => boolean> | null {
    return this.inertLeaves;
  }

  /** Fresh per-key state: only the start state, an empty buffer. */
  createState(): NfaState<T> {
    return new NfaState<T>(this.startCs);
  }

  /**
   * Feeds one event of this key. Advances the key's time to `max(time, timestamp)` first, so
   * expired branches time out before the event is seen (`within` is strict). With `startAllowed`
   * false the event may extend partial matches in progress but starts none (the start state
   * ignores it): how a pattern that is being replaced finishes what it started.
   */
  process(nfaState: NfaState<T>, event: T, timestamp: number, out: MatchCollector<T>, startAllowed = true): void {
    this.advanceTime(nfaState, timestamp, out);
    const seq = nfaState.nextSeq++;
    const buffer = nfaState.buffer;
    const partials = nfaState.partials;
    // `next` stays null while every branch is unchanged (the common case: nothing taken)
    let next: ComputationState<T>[] | null = null;
    let potential: ComputationState<T>[] | null = null;
    const results = this.results;
    for (let i = 0; i < partials.length; i++) {
      const cs = partials[i];
      if (!startAllowed && cs.startSeq < 0) {
        if (next !== null) next.push(cs);
        continue;
      }
      const count = this.computeNextStates(buffer, cs, event, timestamp, seq);
      if (next === null) {
        if (count === 1 && results[0] === cs) continue;
        next = partials.slice(0, i);
      }
      let stopped = false;
      const firstRetained = next.length;
      for (let j = 0; j < count; j++) {
        const r = results[j];
        if (r.state.isFinal) (potential ??= []).push(r);
        else if (r.state.isStop) {
          stopped = true;
          buffer.release(r.node);
        } else next.push(r);
      }
      if (stopped) {
        // a not-stage matched on this branch: drop everything it produced
        for (let i = firstRetained; i < next.length; i++) buffer.release(next[i].node);
        next.length = firstRetained;
      }
    }
    buffer.endEvent();
    if (next === null) {
      if (nfaState.completed.length > 0 && this.skip.isSkipStrategy()) this.emitAccordingToSkipStrategy(nfaState, [], out);
      return;
    }
    // branches started by this event go last; only an out-of-order event (arrival mode) can unsort them
    if (timestamp < nfaState.time) next.sort(compareStart);
    if (potential !== null) potential.sort((a, b) => this.compareMatch(buffer, a, b));
    if (this.skip.isSkipStrategy()) {
      nfaState.partials = next;
      if (potential !== null || nfaState.completed.length > 0) this.emitAccordingToSkipStrategy(nfaState, potential ?? [], out);
    } else {
      nfaState.partials = next;
      if (potential !== null) {
        for (const m of potential) {
          out.match(buffer.materialize(m.node, this.stageOrder));
          buffer.release(m.node);
        }
      }
    }
  }

  /**
   * Advances the key's time (never backwards): branches whose window has closed time out and
   * are reported with the time their window ended; a trailing notFollowedBy completes.
   */
  advanceTime(nfaState: NfaState<T>, timestamp: number, out: MatchCollector<T>): void {
    if (timestamp > nfaState.time) nfaState.time = timestamp;
    if (!this.timed) return;
    const time = nfaState.time;
    const windowMs = this.windowMs;
    // branches are sorted by first event: if the oldest has not expired, none has
    if (!this.hasStageWindows && nfaState.completed.length === 0 && time < nfaState.partials[0].startTs + windowMs) return;
    const buffer = nfaState.buffer;
    let potential: ComputationState<T>[] | null = null;
    let kept: ComputationState<T>[] | null = null;
    const partials = nfaState.partials;
    for (let i = 0; i < partials.length; i++) {
      const cs = partials[i];
      const stageWindow = cs.state.windowMs;
      const prevDeadline = stageWindow === undefined ? Infinity : cs.prevTs + stageWindow;
      const firstDeadline = windowMs > 0 ? cs.startTs + windowMs : Infinity;
      // compare only real deadlines: "no window" must not expire at a final watermark of Infinity
      const expired =
        cs.startSeq >= 0 && ((stageWindow !== undefined && time >= prevDeadline) || (windowMs > 0 && time >= firstDeadline));
      if (!expired) {
        if (kept !== null) kept.push(cs);
        continue;
      }
      if (kept === null) kept = partials.slice(0, i);
      if (cs.state.isPending) {
        (potential ??= []).push(cs);
        continue;
      }
      if (out.timeout !== undefined) {
        out.timeout(buffer.materialize(cs.node, this.stageOrder), Math.min(prevDeadline, firstDeadline));
      }
      buffer.release(cs.node);
    }
    if (kept !== null) nfaState.partials = kept;
    if (potential !== null || nfaState.completed.length > 0) {
      if (potential !== null) potential.sort((a, b) => this.compareMatch(buffer, a, b));
      this.emitAccordingToSkipStrategy(nfaState, potential ?? [], out);
    }
  }

  /**
   * Holds completed matches until no branch that started earlier is alive, then emits them in
   * order of their first event, each pruning the branches and held matches its skip strategy
   * discards (FlinkCEP's `processMatchesAccordingToSkipStrategy`).
   */
  private emitAccordingToSkipStrategy(nfaState: NfaState<T>, potential: ComputationState<T>[], out: MatchCollector<T>): void {
    const buffer = nfaState.buffer;
    let completed = nfaState.completed;
    if (potential.length > 0) {
      completed = completed.length === 0 ? potential : completed.concat(potential).sort((a, b) => this.compareMatch(buffer, a, b));
    }
    while (completed.length > 0) {
      const earliest = completed[0];
      const firstPartial = nfaState.partials[0];
      if (firstPartial.startSeq >= 0 && compareStart(earliest, firstPartial) > 0) break;
      completed.shift();
      const pruneAt = pruningSeq(this.skip, earliest.node);
      if (pruneAt !== undefined) {
        nfaState.partials = this.prune(buffer, nfaState.partials, pruneAt);
        completed = this.prune(buffer, completed, pruneAt);
      }
      out.match(buffer.materialize(earliest.node, this.stageOrder));
      buffer.release(earliest.node);
    }
    nfaState.completed = completed;
  }

  private prune(buffer: SharedBuffer<T>, list: ComputationState<T>[], at: { ts: number; seq: number }): ComputationState<T>[] {
    const kept: ComputationState<T>[] = [];
    for (const cs of list) {
      if (cs.startSeq >= 0 && shouldPrune(this.skip, cs, at)) buffer.release(cs.node);
      else kept.push(cs);
    }
    return kept;
  }

  /** Completed matches: by first event, then by their events' arrival order (a prefix first). */
  private compareMatch(buffer: SharedBuffer<T>, a: ComputationState<T>, b: ComputationState<T>): number {
    const c = compareStart(a, b);
    if (c !== 0 || a === b) return c;
    const sa = buffer.sequence(a.node);
    const sb = buffer.sequence(b.node);
    for (let i = 0; i < sa.length && i < sb.length; i++) if (sa[i] !== sb[i]) return sa[i] - sb[i];
    return sa.length - sb.length;
  }

  /**
   * The branches that one branch becomes on one event (FlinkCEP's `computeNextStates`), written
   * to `this.results`; returns how many. A branch that only ignores the event stays the same object.
   */
  private computeNextStates(buffer: SharedBuffer<T>, cs: ComputationState<T>, event: T, ts: number, seq: number): number {
    const ctx = this.ctx;
    const out = this.results;
    ctx.reset(buffer, cs.node, ts);
    const edgeCount = this.decisionGraph(cs.state, event, ctx);
    const edges = this.edges;
    const isStart = cs.startSeq < 0;
    if (edgeCount === 0) {
      if (isStart) {
        out[0] = cs;
        return 1;
      }
      buffer.release(cs.node);
      return 0;
    }
    // the common case of a branch waiting and ignoring: it stays as it is
    if (!isStart && edgeCount === 1 && edges[0].action === "ignore" && edges[0].target === cs.state) {
      out[0] = cs;
      return 1;
    }
    let n = 0;
    for (let i = 0; i < edgeCount; i++) {
      const edge = edges[i];
      if (edge.action === "ignore") {
        if (isStart) continue;
        buffer.lock(cs.node);
        out[n++] = { state: edge.target, node: cs.node, startTs: cs.startTs, startSeq: cs.startSeq, prevTs: cs.prevTs };
        continue;
      }
      const node = buffer.put(edge.source.stage, seq, event, ts, cs.node);
      const startTs = isStart ? ts : cs.startTs;
      const startSeq = isStart ? seq : cs.startSeq;
      buffer.lock(node);
      out[n++] = { state: edge.target, node, startTs, startSeq, prevTs: ts };
      const final = this.findFinalStateAfterProceed(edge.target, event, ctx);
      if (final !== null) {
        buffer.lock(node);
        out[n++] = { state: final, node, startTs, startSeq, prevTs: ts };
      }
    }
    if (isStart) out[n++] = cs;
    else buffer.release(cs.node);
    return n;
  }

  /** Take and ignore edges reachable through proceed edges whose conditions hold, into `this.edges`; returns how many. */
  private decisionGraph(state: State<T>, event: T, ctx: EvalContext<T>): number {
    const edges = this.edges;
    let count = 0;
    let pending: State<T>[] | null = null;
    // proceed edges can form cycles (a looping group of optional stages): visit each state once
    let visited: Set<State<T>> | null = null;
    let current: State<T> | undefined = state;
    while (current !== undefined) {
      const transitions = current.transitions;
      for (let i = 0; i < transitions.length; i++) {
        const t = transitions[i];
        if (!(t.cond.isTrue || this.test(t, event, ctx))) continue;
        if (t.action !== "proceed") edges[count++] = t;
        else if (!(visited ??= new Set([state])).has(t.target)) {
          visited.add(t.target);
          (pending ??= []).push(t.target);
        }
      }
      current = pending === null ? undefined : pending.pop();
    }
    return count;
  }

  /** After a take: whether proceed edges from the new state reach the final state on this event. */
  private findFinalStateAfterProceed(state: State<T>, event: T, ctx: EvalContext<T>): State<T> | null {
    const stack = [state];
    const seen = new Set<State<T>>();
    while (stack.length > 0) {
      const s = stack.pop()!;
      if (seen.has(s)) continue;
      seen.add(s);
      for (const t of s.transitions) {
        if (t.action !== "proceed" || !(t.cond.isTrue || this.test(t, event, ctx))) continue;
        if (t.target.isFinal) return t.target;
        stack.push(t.target);
      }
    }
    return null;
  }

  private test(t: Transition<T>, event: T, ctx: EvalContext<T>): boolean {
    try {
      return t.cond.test(event, ctx);
    } catch (err) {
      throw new VigilError(`condition of stage "${t.source.stage}" threw: ${(err as Error)?.message ?? err}`, {
        code: "CONDITION_FAILED",
        cause: err,
      });
    }
  }
}

/**
 * The user conditions an inert event must fail, if skipping inert events is sound: every
 * condition is context-free, the start state takes nothing when all conditions fail, and every
 * other state then only ignores the event, staying where it is.
 */
function inertLeaves<T>(states: readonly State<T>[]): Array<(event: T, ctx: PatternContext<T>) => boolean> | null {
  const leaves = new Set<(event: T, ctx: PatternContext<T>) => boolean>();
  for (const s of states) {
    for (const t of s.transitions) {
      for (const leaf of t.cond.leaves) {
        if (!leaf.contextFree) return null;
        leaves.add(leaf.test);
      }
    }
  }
  for (const s of states) {
    if (s.isFinal || s.isStop) continue;
    const edges = inertEdges(s);
    if (s.isStart ? edges.some((t) => t.action === "take") : !(edges.length === 1 && edges[0].action === "ignore" && edges[0].target === s)) {
      return null;
    }
  }
  return [...leaves];
}

/** The decision graph of `state` for an inert event, from the conditions' build-time values. */
function inertEdges<T>(state: State<T>): Transition<T>[] {
  const edges: Transition<T>[] = [];
  const seen = new Set<State<T>>([state]);
  const stack = [state];
  while (stack.length > 0) {
    for (const t of stack.pop()!.transitions) {
      if (!t.cond.inert) continue;
      if (t.action !== "proceed") edges.push(t);
      else if (!seen.has(t.target)) {
        seen.add(t.target);
        stack.push(t.target);
      }
    }
  }
  return edges;
}

/** The context inert conditions are tested with: no earlier events, no time. */
export const NO_CONTEXT: PatternContext<any> = {
  eventsFor: () => EMPTY,
  timestamp: () => Number.NaN,
};

/** The `ctx` passed to conditions; one per NFA, reset for each branch (do not keep it). */
class EvalContext<T> implements PatternContext<T> {
  private buffer: SharedBuffer<T> | null = null;
  private node: BufferNode<T> | null = null;
  private ts = 0;
  private cache: Map<string, readonly T[]> | null = null;

  reset(buffer: SharedBuffer<T> | null, node: BufferNode<T> | null, ts: number): void {
    this.buffer = buffer;
    this.node = node;
    this.ts = ts;
    this.cache = null;
  }

  eventsFor(stageName: string): readonly T[] {
    const cached = this.cache?.get(stageName);
    if (cached !== undefined) return cached;
    const events = this.node === null ? EMPTY : this.buffer!.eventsFor(this.node, stageName);
    (this.cache ??= new Map()).set(stageName, events);
    return events;
  }

  timestamp(): number {
    return this.ts;
  }
}

const EMPTY: readonly never[] = Object.freeze([]);
