import type { Cond } from "../pattern/condition.js";

/** What a transition does with the current event (FlinkCEP's `StateTransitionAction`). */
export type Action = "take" | "ignore" | "proceed";

/**
 * `start`: the state every match begins from; `normal`; `final`: a match is complete;
 * `stop`: a not-stage matched and the branch dies; `pending`: a trailing `notFollowedBy` waiting
 * for its window to close.
 */
export type StateType = "start" | "normal" | "final" | "stop" | "pending";

/** One edge of the NFA. `proceed` is an epsilon move evaluated on the current event. */
export interface Transition<T> {
  readonly action: Action;
  target: State<T>;
  readonly source: State<T>;
  cond: Cond<T>;
}

/**
 * One NFA state. `name` is unique within the NFA; `stage` is the pattern stage whose events it
 * takes (what matches are keyed by). `windowMs` is the `PREVIOUS_AND_CURRENT` window of the
 * stage, checked against the previous taken event while a partial match sits here.
 */
export class State<T> {
  readonly transitions: Transition<T>[] = [];
  /** Index in `Nfa.states`; stable for a given pattern, used by the serialised form. */
  id = -1;
  windowMs: number | undefined;

  constructor(
    readonly name: string,
    readonly stage: string,
    public type: StateType,
  ) {}

  addTake(cond: Cond<T>, target: State<T> = this): void {
    this.transitions.push({ action: "take", target, source: this, cond });
  }
  addIgnore(cond: Cond<T>, target: State<T> = this): void {
    this.transitions.push({ action: "ignore", target, source: this, cond });
  }
  addProceed(target: State<T>, cond: Cond<T>): void {
    this.transitions.push({ action: "proceed", target, source: this, cond });
  }
  addTransition(action: Action, target: State<T>, cond: Cond<T>): void {
    this.transitions.push({ action, target, source: this, cond });
  }

  get isFinal(): boolean {
    return this.type === "final";
  }
  get isStop(): boolean {
    return this.type === "stop";
  }
  get isPending(): boolean {
    return this.type === "pending";
  }
  get isStart(): boolean {
    return this.type === "start";
  }
}
