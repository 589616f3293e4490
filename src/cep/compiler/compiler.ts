import { PatternError } from "../../errors.js";
import { andCond, notCond, trueCond, type Cond } from "../pattern/condition.js";
import type { Pattern } from "../pattern/pattern.js";
import { ConsumingStrategy, isNot, type Times } from "../pattern/quantifier.js";
import { State, type StateType } from "./state.js";

export const ENDING_STATE_NAME = "$endState$";

/** What the compiler produces: the states (start first is not guaranteed) and global facts. */
export interface CompiledGraph<T> {
  readonly states: State<T>[];
  readonly start: State<T>;
  /** The pattern's FIRST_AND_LAST window in ms, or 0 for none. */
  readonly windowMs: number;
  /** Stage names in pattern order (group stages expanded, not-stages left out). */
  readonly stageOrder: string[];
}

type P<T> = Pattern<T, any>;

/**
 * Compiles a pattern into NFA states, after FlinkCEP's `NFACompiler.NFAFactoryCompiler`: the
 * pattern is walked from its last stage to its first, each stage becoming states with take /
 * ignore / proceed edges that point at the states already built for the stages after it.
 * Keeping the same construction keeps FlinkCEP's semantics, quirks included; where we differ
 * it is said at the spot.
 */
export class NfaCompiler<T> {
  private readonly states: State<T>[] = [];
  private readonly usedNames = new Set<string>();
  private readonly stopStates = new Map<string, State<T>>();
  private readonly originalStateMap = new Map<string, State<T>>();
  private readonly firstOfLoop = new Map<P<T>, boolean>();
  private windowMs: number | undefined;
  private currentGroup: P<T> | null = null;
  private current: P<T>;
  private following: P<T> | null = null;

  constructor(private readonly pattern: P<T>) {
    this.current = pattern;
  }

  compile(): CompiledGraph<T> {
    const last = this.pattern;
    this.checkNameUniqueness();
    this.checkSkipStrategy();
    this.windowMs = minWindow(last);
    let sink = this.createState(ENDING_STATE_NAME, ENDING_STATE_NAME, "final");
    sink = this.createMiddleStates(sink);
    const start = this.convertPattern(sink);
    start.type = "start";
    this.checkWindows();
    if (last._f.quantifier.consuming === ConsumingStrategy.NOT_FOLLOW && last._f.stageWindowMs === undefined && !this.windowMs) {
      throw new PatternError(
        "not-followed-by-at-end-without-within",
        "notFollowedBy at the end of a pattern needs within(): the match is emitted when the window closes",
        last.name,
      );
    }
    this.states.forEach((s, i) => (s.id = i));
    const graph = { states: this.states, start, windowMs: this.windowMs ?? 0, stageOrder: stageOrder(this.pattern) };
    if (canProduceEmptyMatches(start)) {
      throw new PatternError("matches-empty-sequence", "the pattern can match the empty sequence (every stage is optional)", this.pattern.stages()[0].name);
    }
    return graph;
  }

  // ---- validation ---------------------------------------------------------------------------

  private checkNameUniqueness(): void {
    const seen = new Set<string>();
    const visit = (p: P<T> | null): void => {
      for (; p !== null; p = p._f.previous) {
        if (p._f.group !== null) visit(p._f.group);
        else if (seen.has(p.name)) throw new PatternError("duplicate-name", `duplicate stage name "${p.name}": names must be unique`, p.name);
        else seen.add(p.name);
      }
    };
    visit(this.pattern);
  }

  private checkSkipStrategy(): void {
    const name = this.pattern.skipStrategy.patternName;
    if (name === undefined) return;
    if (!stageOrder(this.pattern).includes(name)) {
      throw new PatternError("unknown-skip-stage", `the skip strategy ${this.pattern.skipStrategy} names stage "${name}", which is not in the pattern (stages: ${stageOrder(this.pattern).join(", ")})`, name);
    }
  }

  private checkWindows(): void {
    if (this.windowMs === undefined) return;
    for (const s of this.states) {
      if (s.windowMs !== undefined && s.windowMs > this.windowMs) {
        throw new PatternError(
          "stage-window-longer-than-pattern",
          `the stage window (${s.windowMs} ms) is longer than the pattern's window (${this.windowMs} ms)`,
          s.stage,
        );
      }
    }
  }

  // ---- construction -------------------------------------------------------------------------

  private createState(name: string, stage: string, type: StateType): State<T> {
    let candidate = name;
    for (let i = 0; this.usedNames.has(candidate); i++) candidate = `${name}:${i}`;
    this.usedNames.add(candidate);
    const state = new State<T>(candidate, stage, type);
    this.states.push(state);
    return state;
  }

  /**
   * A state of the current stage. States that take events carry the stage's
   * PREVIOUS_AND_CURRENT window. (FlinkCEP registers it on singleton stages only and ignores it
   * on quantified ones; we apply it to every take state of the stage.)
   */
  private createStageState(type: StateType, isTake: boolean): State<T> {
    const state = this.createState(this.current.name, this.current.name, type);
    if (isTake) state.windowMs = this.current._f.stageWindowMs;
    return state;
  }

  private createMiddleStates(sink: State<T>): State<T> {
    let lastSink = sink;
    while (this.current._f.previous !== null) {
      const strategy = this.current._f.quantifier.consuming;
      if (strategy === ConsumingStrategy.NOT_FOLLOW) {
        // A notFollowedBy in the middle becomes edge conditions of its neighbours; at the end it
        // is a pending state that completes the match when the window closes (FlinkCEP 1.16+).
        if ((this.current._f.stageWindowMs !== undefined || (this.windowMs ?? 0) > 0) && lastSink.isFinal) {
          const notFollow = this.createStageState("pending", true);
          const notCondition = this.takeCondition(this.current);
          const stop = this.createStopState(notCondition, this.current.name);
          notFollow.addProceed(stop, notCondition);
          notFollow.addIgnore(notCond(notCondition));
          lastSink = notFollow;
        }
      } else if (strategy === ConsumingStrategy.NOT_NEXT) {
        const notNext = this.createStageState("normal", true);
        const notCondition = this.takeCondition(this.current);
        const stop = this.createStopState(notCondition, this.current.name);
        if (lastSink.isFinal) {
          // ignore rather than proceed, so that the proceed to the final state is not fired
          notNext.addIgnore(notCond(notCondition), lastSink);
        } else {
          notNext.addProceed(lastSink, notCond(notCondition));
        }
        notNext.addProceed(stop, notCondition);
        lastSink = notNext;
      } else {
        lastSink = this.convertPattern(lastSink);
      }
      this.following = this.current;
      this.current = this.current._f.previous;
    }
    return lastSink;
  }

  private convertPattern(sink: State<T>): State<T> {
    const q = this.current._f.quantifier;
    const times = this.current._f.times as Times;
    let lastSink: State<T>;
    if (q.kind === "looping") {
      // once a loop has started, not-stages before an optional stage no longer apply
      this.setFirstOfLoop(false);
      const looping = this.createLooping(this.copyWithoutTransitiveNots(sink));
      this.setFirstOfLoop(true);
      lastSink = this.createTimesState(looping, sink, times);
    } else if (q.kind === "times") {
      lastSink = this.createTimesState(sink, sink, times);
    } else {
      lastSink = this.createSingletonState(sink, sink, this.takeCondition(this.current), this.ignoreCondition(this.current), this.isOptional(this.current));
    }
    this.addStopStates(lastSink);
    return lastSink;
  }

  private createStopState(notCondition: Cond<T>, name: string): State<T> {
    // all states that can stop on the same not-stage share one stop state
    let stop = this.stopStates.get(name);
    if (stop === undefined) {
      stop = this.createState(name, name, "stop");
      stop.addTake(notCondition);
      this.stopStates.set(name, stop);
    }
    return stop;
  }

  /**
   * Not-stages that still apply to the current stage: those reached backwards through optional
   * stages or directly before it.
   */
  private currentNotConditions(): Array<{ cond: Cond<T>; name: string }> {
    const out: Array<{ cond: Cond<T>; name: string }> = [];
    let p: P<T> = this.current;
    while (p._f.previous !== null) {
      const prev: P<T> = p._f.previous;
      const q = prev._f.quantifier;
      if (!(q.optional || q.consuming === ConsumingStrategy.NOT_FOLLOW)) break;
      p = prev;
      if (q.consuming === ConsumingStrategy.NOT_FOLLOW) out.push({ cond: this.takeCondition(p), name: p.name });
    }
    return out;
  }

  /**
   * Taking an event in an optional stage discards the not-stages before it: for
   * `a notFollowedBy(b) followedByAny(c).optional() followedByAny(d)`, `a c b d` matches but
   * `a b d` does not. So the take edge of such a stage points at a copy of its sink without
   * the proceed edges into those stop states.
   */
  private copyWithoutTransitiveNots(sink: State<T>): State<T> {
    const nots = this.currentNotConditions();
    if (nots.length === 0 || !this.current._f.quantifier.optional) return sink;
    const copy = this.createState(sink.stage, sink.stage, sink.type);
    copy.windowMs = sink.windowMs;
    for (const t of sink.transitions) {
      if (t.action === "proceed") {
        let target = t.target;
        let remove = false;
        if (target.isStop) remove = nots.some((n) => n.name === target.name);
        else target = this.copyWithoutTransitiveNots(target);
        if (!remove) copy.addTransition("proceed", target, t.cond);
      } else {
        copy.addTransition(t.action, t.target === t.source ? copy : t.target, t.cond);
      }
    }
    return copy;
  }

  private copy(state: State<T>): State<T> {
    const copy = this.createState(state.stage, state.stage, state.type);
    copy.windowMs = state.windowMs;
    for (const t of state.transitions) copy.addTransition(t.action, t.target === t.source ? copy : t.target, t.cond);
    return copy;
  }

  private addStopStates(state: State<T>): void {
    for (const n of this.currentNotConditions()) state.addProceed(this.createStopState(n.cond, n.name), n.cond);
  }

  private addStopStateToLooping(state: State<T>): void {
    const f = this.following;
    if (f !== null && f._f.quantifier.consuming === ConsumingStrategy.NOT_FOLLOW) {
      const notCondition = this.takeCondition(f);
      state.addProceed(this.createStopState(notCondition, f.name), notCondition);
    }
  }

  private createTimesState(sink: State<T>, proceedState: State<T>, times: Times): State<T> {
    let lastSink = sink;
    this.setFirstOfLoop(false);
    const until = this.current._f.until;
    const innerIgnore = extendWithUntil(this.innerIgnoreCondition(this.current), until, false);
    const take = extendWithUntil(this.takeCondition(this.current), until, true)!;
    if (this.current._f.quantifier.greedy && times.from !== times.to) {
      if (until !== undefined) this.originalStateMap.set(sink.name, this.copy(sink));
      updateWithGreedyCondition(sink, take);
    }
    for (let i = times.from; i < times.to; i++) {
      lastSink = this.createSingletonState(lastSink, proceedState, take, innerIgnore, true);
      this.addStopStateToLooping(lastSink);
    }
    for (let i = 0; i < times.from - 1; i++) {
      lastSink = this.createSingletonState(lastSink, null, take, innerIgnore, false);
      this.addStopStateToLooping(lastSink);
    }
    // the intermediate states exist; now the first state of the repetition
    this.setFirstOfLoop(true);
    return this.createSingletonState(lastSink, proceedState, take, this.ignoreCondition(this.current), this.isOptional(this.current));
  }

  /**
   * A single state. An optional one also gets an ignore-state without the proceed edge, so a
   * branch that skipped an event inside the stage must take the stage (FlinkCEP does the same).
   */
  private createSingletonState(
    sink: State<T>,
    proceedState: State<T> | null,
    take: Cond<T>,
    ignore: Cond<T> | undefined,
    isOptional: boolean,
  ): State<T> {
    if (this.current._f.group !== null) return this.createGroupPatternState(this.current, sink, proceedState, isOptional);
    const singleton = this.createStageState("normal", true);
    const target = this.copyWithoutTransitiveNots(sink);
    singleton.addTake(take, target);
    const proceedCond = this.trueFunction();
    if (isOptional && proceedState !== null) {
      const until = this.current._f.until;
      if (this.current._f.quantifier.greedy && until !== undefined) {
        const original = this.originalStateMap.get(proceedState.name);
        if (original !== undefined) singleton.addProceed(original, andCond(proceedCond, until));
        singleton.addProceed(proceedState, andCond(proceedCond, notCond(until)));
      } else {
        singleton.addProceed(proceedState, proceedCond);
      }
    }
    if (ignore !== undefined) {
      let ignoreState: State<T>;
      if (isOptional || this.isHeadOfOptionalGroup(this.current)) {
        ignoreState = this.createStageState("normal", false);
        ignoreState.addTake(take, target);
        ignoreState.addIgnore(ignore);
        this.addStopStates(ignoreState);
      } else {
        ignoreState = singleton;
      }
      singleton.addIgnore(ignore, ignoreState);
    }
    return singleton;
  }

  private createGroupPatternState(group: P<T>, sink: State<T>, proceedState: State<T> | null, isOptional: boolean): State<T> {
    // taken in the enclosing context: the group's own until must not block leaving the group
    const proceedCond = this.trueFunction();
    const saved = { current: this.current, following: this.following, group: this.currentGroup };
    this.currentGroup = group;
    this.current = group._f.group!;
    let lastSink = this.createMiddleStates(sink);
    lastSink = this.convertPattern(lastSink);
    // the proceed edge of an optional group's first state skips the whole group
    if (isOptional && proceedState !== null) lastSink.addProceed(proceedState, proceedCond);
    this.current = saved.current;
    this.following = saved.following;
    this.currentGroup = saved.group;
    return lastSink;
  }

  private createLoopingGroupPatternState(group: P<T>, sink: State<T>): State<T> {
    const proceedCond = this.trueFunction(); // in the enclosing context, as above
    const saved = { current: this.current, following: this.following, group: this.currentGroup };
    const dummy = this.createStageState("normal", true);
    this.currentGroup = group;
    this.current = group._f.group!;
    let lastSink = this.createMiddleStates(dummy);
    lastSink = this.convertPattern(lastSink);
    lastSink.addProceed(sink, proceedCond);
    dummy.addProceed(lastSink, proceedCond);
    this.current = saved.current;
    this.following = saved.following;
    this.currentGroup = saved.group;
    return lastSink;
  }

  /** A looping state: take to itself, proceed to `sink`, and an ignore-state for relaxed loops. */
  private createLooping(sink: State<T>): State<T> {
    if (this.current._f.group !== null) return this.createLoopingGroupPatternState(this.current, sink);
    const until = this.current._f.until;
    const ignore = extendWithUntil(this.innerIgnoreCondition(this.current), until, false);
    const take = extendWithUntil(this.takeCondition(this.current), until, true)!;
    const proceedCond = this.trueFunction();
    const looping = this.createStageState("normal", true);
    if (this.current._f.quantifier.greedy) {
      if (until !== undefined) {
        const sinkCopy = this.copy(sink);
        looping.addProceed(sinkCopy, andCond(proceedCond, until));
        this.originalStateMap.set(sink.name, sinkCopy);
      }
      looping.addProceed(sink, until !== undefined ? andCond(proceedCond, notCond(until)) : proceedCond);
      updateWithGreedyCondition(sink, this.takeCondition(this.current));
    } else {
      looping.addProceed(sink, proceedCond);
    }
    looping.addTake(take);
    this.addStopStateToLooping(looping);
    if (ignore !== undefined) {
      const ignoreState = this.createStageState("normal", false);
      ignoreState.addTake(take, looping);
      ignoreState.addIgnore(ignore);
      looping.addIgnore(ignore, ignoreState);
      this.addStopStateToLooping(ignoreState);
    }
    return looping;
  }

  // ---- conditions ---------------------------------------------------------------------------

  private setFirstOfLoop(value: boolean): void {
    if (this.current._f.group !== null) this.firstOfLoop.set(this.current, value);
  }
  private isFirstOfLoop(): boolean {
    return this.currentGroup === null ? true : (this.firstOfLoop.get(this.currentGroup) ?? true);
  }
  private headOfGroup(p: P<T>): boolean {
    return this.currentGroup !== null && p._f.previous === null;
  }
  private isOptional(p: P<T>): boolean {
    return p._f.quantifier.optional;
  }
  private isHeadOfOptionalGroup(p: P<T>): boolean {
    return this.headOfGroup(p) && this.isFirstOfLoop() && this.currentGroup!._f.quantifier.optional;
  }

  private groupUntil(): Cond<T> | undefined {
    return this.currentGroup?._f.until;
  }

  private takeCondition(p: P<T>): Cond<T> {
    const take = p._f.condition ?? trueCond<T>();
    return extendWithUntil(take, this.groupUntil(), true)!;
  }

  private trueFunction(): Cond<T> {
    return extendWithUntil(trueCond<T>(), this.groupUntil(), true)!;
  }

  private ignoreFor(strategy: ConsumingStrategy, p: P<T>): Cond<T> | undefined {
    let ignore: Cond<T> | undefined;
    if (strategy === ConsumingStrategy.SKIP_TILL_NEXT) ignore = notCond(p._f.condition ?? trueCond<T>());
    else if (strategy === ConsumingStrategy.SKIP_TILL_ANY) ignore = trueCond<T>();
    else ignore = undefined;
    return extendWithUntil(ignore, this.groupUntil(), false);
  }

  private ignoreCondition(p: P<T>): Cond<T> | undefined {
    let strategy = p._f.quantifier.consuming;
    if (this.headOfGroup(p)) {
      const gq = this.currentGroup!._f.quantifier;
      strategy = this.isFirstOfLoop() ? gq.consuming : gq.inner;
    }
    return this.ignoreFor(strategy, p);
  }

  private innerIgnoreCondition(p: P<T>): Cond<T> | undefined {
    let strategy = p._f.quantifier.inner;
    if (this.headOfGroup(p)) strategy = this.currentGroup!._f.quantifier.inner;
    return this.ignoreFor(strategy, p);
  }
}

function extendWithUntil<T>(cond: Cond<T> | undefined, until: Cond<T> | undefined, isTake: boolean): Cond<T> | undefined {
  if (until !== undefined && cond !== undefined) return andCond(notCond(until), cond);
  if (until !== undefined && isTake) return notCond(until);
  return cond;
}

/** A greedy stage's sink may only be entered by an event the loop cannot take. */
function updateWithGreedyCondition<T>(state: State<T>, take: Cond<T>): void {
  for (const t of state.transitions) t.cond = andCond(t.cond, notCond(take));
}

/** The smallest FIRST_AND_LAST window over all stages (group inner stages included). */
function minWindow(p: P<any>): number | undefined {
  let min: number | undefined;
  const visit = (q: P<any> | null): void => {
    for (; q !== null; q = q._f.previous) {
      if (q._f.windowMs !== undefined && (min === undefined || q._f.windowMs < min)) min = q._f.windowMs;
      if (q._f.group !== null) visit(q._f.group);
    }
  };
  visit(p);
  return min;
}

/** Names of the stages that can take events, in pattern order. */
export function stageOrder(p: P<any>): string[] {
  const out: string[] = [];
  for (const s of p.stages()) {
    if (s._f.group !== null) out.push(...stageOrder(s._f.group));
    else if (!isNot(s._f.quantifier)) out.push(s.name);
  }
  return out;
}

/** Whether proceed edges alone lead from the start state to the final state. */
function canProduceEmptyMatches(start: State<any>): boolean {
  const seen = new Set<State<any>>();
  const stack = [start];
  while (stack.length > 0) {
    const s = stack.pop()!;
    if (seen.has(s)) continue;
    seen.add(s);
    for (const t of s.transitions) {
      if (t.action !== "proceed") continue;
      if (t.target.isFinal) return true;
      stack.push(t.target);
    }
  }
  return false;
}
