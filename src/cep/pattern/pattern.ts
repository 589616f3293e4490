import { PatternError } from "../../errors.js";
import { andCond, orCond, userCond, type Cond, type Condition } from "./condition.js";
import {
  ConsumingStrategy,
  isNot,
  singleQuantifier,
  type Quantifier,
  type Times,
} from "./quantifier.js";
import { AfterMatchSkipStrategy } from "./skip-strategy.js";
import { WithinType } from "./within-type.js";

/** Every field of one stage; a `Pattern` is a chain of these through `previous`. */
interface PatternFields<T> {
  readonly name: string;
  readonly previous: Pattern<T, any> | null;
  readonly quantifier: Quantifier;
  readonly times: Times | undefined;
  readonly condition: Cond<T> | undefined;
  readonly until: Cond<T> | undefined;
  readonly windowMs: number | undefined;
  readonly stageWindowMs: number | undefined;
  readonly skip: AfterMatchSkipStrategy;
  /** For a group stage: the inner pattern, taken as one unit. */
  readonly group: Pattern<T, any> | null;
}

/**
 * An immutable FlinkCEP pattern: each call returns a new `Pattern` for the same chain of
 * stages, with the current (last) stage changed or a stage appended. `T` is the event type;
 * `F` narrows the current stage's events after `subtype`.
 *
 * Rules that concern one stage are checked here and throw `PatternError` at once; rules about
 * the whole pattern are checked by `compile`.
 */
export class Pattern<T, F extends T = T> {
  /** @internal */
  readonly _f: PatternFields<T>;

  private constructor(fields: PatternFields<T>) {
    this._f = fields;
  }

  /** Starts a pattern with a stage named `name`, or with a whole pattern as a group stage. */
  static begin<T, F extends T = T>(nameOrGroup: string | Pattern<T, any>, skip?: AfterMatchSkipStrategy): Pattern<T, F> {
    return Pattern.create<T, F>(null, nameOrGroup, ConsumingStrategy.STRICT, skip ?? AfterMatchSkipStrategy.noSkip());
  }

  private static create<T, F extends T>(
    previous: Pattern<T, any> | null,
    nameOrGroup: string | Pattern<T, any>,
    consuming: ConsumingStrategy,
    skip: AfterMatchSkipStrategy,
  ): Pattern<T, F> {
    if (skip !== undefined && !(skip instanceof AfterMatchSkipStrategy)) {
      throw new PatternError("invalid-skip-strategy", "the skip strategy must come from AfterMatchSkipStrategy");
    }
    const isGroup = nameOrGroup instanceof Pattern;
    if (!isGroup) checkName(nameOrGroup);
    const group = isGroup ? (nameOrGroup as Pattern<T, any>) : null;
    return new Pattern<T, F>({
      name: isGroup ? groupName(group!) : (nameOrGroup as string),
      previous,
      quantifier: singleQuantifier(consuming),
      times: undefined,
      condition: undefined,
      until: undefined,
      windowMs: undefined,
      stageWindowMs: undefined,
      skip,
      group,
    });
  }

  private with(changes: Partial<PatternFields<T>>): Pattern<T, F> {
    return new Pattern<T, F>({ ...this._f, ...changes });
  }

  private withQuantifier(changes: Partial<Quantifier>, times?: Times): Pattern<T, F> {
    return this.with({ quantifier: { ...this._f.quantifier, ...changes }, times: times ?? this._f.times });
  }

  // ---- stages -------------------------------------------------------------------------------

  /** Appends a stage with strict contiguity: the very next event of this key. */
  next(nameOrGroup: string | Pattern<T, any>): Pattern<T, T> {
    return Pattern.create(this, nameOrGroup, ConsumingStrategy.STRICT, this._f.skip);
  }
  /** Appends a stage with relaxed contiguity: skips non-matching events, takes the first match. */
  followedBy(nameOrGroup: string | Pattern<T, any>): Pattern<T, T> {
    return Pattern.create(this, nameOrGroup, ConsumingStrategy.SKIP_TILL_NEXT, this._f.skip);
  }
  /** Appends a stage with non-deterministic relaxed contiguity: every later match branches. */
  followedByAny(nameOrGroup: string | Pattern<T, any>): Pattern<T, T> {
    return Pattern.create(this, nameOrGroup, ConsumingStrategy.SKIP_TILL_ANY, this._f.skip);
  }
  /** Appends a negative stage: the next event must not match it. */
  notNext(name: string): Pattern<T, T> {
    this.checkNotAfterOptional("notNext", name);
    return Pattern.create(this, name, ConsumingStrategy.NOT_NEXT, this._f.skip);
  }
  /** Appends a negative stage: no matching event may occur before the following stage matches. */
  notFollowedBy(name: string): Pattern<T, T> {
    this.checkNotAfterOptional("notFollowedBy", name);
    return Pattern.create(this, name, ConsumingStrategy.NOT_FOLLOW, this._f.skip);
  }

  // ---- conditions ---------------------------------------------------------------------------

  /** ANDs `condition` with the current stage's condition. */
  where(condition: Condition<F, T>): Pattern<T, F> {
    this.checkNotGroup("where");
    return this.with({ condition: andCond(this._f.condition, userCond<T>(condition)) });
  }
  /** ORs `condition` with the current stage's condition. */
  or(condition: Condition<F, T>): Pattern<T, F> {
    this.checkNotGroup("or");
    return this.with({ condition: orCond(this._f.condition, userCond<T>(condition)) });
  }
  /** Narrows the current stage to events for which `guard` holds. */
  subtype<S extends F>(guard: (event: F) => event is S): Pattern<T, S> {
    this.checkNotGroup("subtype");
    const cond = userCond<T>(guard as Condition<any, any>);
    return this.with({ condition: andCond(this._f.condition, cond) }) as unknown as Pattern<T, S>;
  }
  /** Stop condition of a looping stage: an event matching it ends the loop and is not taken. */
  until(condition: Condition<F, T>): Pattern<T, F> {
    const f = this._f;
    if (isNot(f.quantifier)) throw this.error("quantifier-on-not", "until is not applicable to a not stage");
    if (f.quantifier.kind !== "looping") {
      throw this.error("until-on-non-looping", "until is only applicable to looping stages (oneOrMore, timesOrMore)");
    }
    if (f.until !== undefined) throw this.error("until-twice", "until is already set on this stage");
    return this.with({ until: userCond<T>(condition) });
  }

  // ---- quantifiers --------------------------------------------------------------------------

  /** Exactly `n` occurrences, or between `from` and `to` (inclusive; `from` 0 means optional). */
  times(n: number, to?: number): Pattern<T, F> {
    this.checkQuantifiable("times");
    const from = n;
    const upper = to ?? n;
    if (!Number.isInteger(from) || !Number.isInteger(upper) || from < 0 || upper < 1) {
      throw this.error("invalid-times", `times needs positive integers (got ${from}${to === undefined ? "" : `, ${to}`})`);
    }
    if (to === undefined && from < 1) throw this.error("invalid-times", "times(n) needs n >= 1");
    if (upper < from) throw this.error("invalid-times", `times(${from}, ${upper}): to must be >= from`);
    const optional = this._f.quantifier.optional || from === 0;
    return this.withQuantifier({ kind: "times", optional }, { from: Math.max(1, from), to: upper });
  }
  /** One or more occurrences (a looping stage). */
  oneOrMore(): Pattern<T, F> {
    this.checkQuantifiable("oneOrMore");
    return this.withQuantifier({ kind: "looping" }, { from: 1, to: 1 });
  }
  /** `n` or more occurrences (a looping stage; 0 means optional). */
  timesOrMore(n: number): Pattern<T, F> {
    this.checkQuantifiable("timesOrMore");
    if (!Number.isInteger(n) || n < 0) throw this.error("invalid-times", `timesOrMore needs an integer >= 0 (got ${n})`);
    const optional = this._f.quantifier.optional || n === 0;
    return this.withQuantifier({ kind: "looping", optional }, { from: Math.max(1, n), to: Math.max(1, n) });
  }
  /** The stage may be skipped. */
  optional(): Pattern<T, F> {
    const f = this._f;
    if (isNot(f.quantifier)) throw this.error("quantifier-on-not", "a not stage cannot be optional");
    if (f.quantifier.optional) throw this.error("optional-twice", "optional is already applied");
    if (f.previous?._f.quantifier.greedy) {
      throw this.error("optional-after-greedy", `an optional stage cannot follow the greedy stage "${f.previous._f.name}"`);
    }
    return this.withQuantifier({ optional: true });
  }
  /** A looping or times stage takes as many events as it can. */
  greedy(): Pattern<T, F> {
    const f = this._f;
    if (isNot(f.quantifier)) throw this.error("quantifier-on-not", "greedy is not applicable to a not stage");
    if (f.group !== null) throw this.error("greedy-on-group", "greedy is not applicable to a group stage");
    if (f.quantifier.kind === "single") {
      throw this.error("greedy-on-single", "greedy is only applicable to looping or times stages");
    }
    if (f.quantifier.inner === ConsumingStrategy.SKIP_TILL_ANY) {
      throw this.error("greedy-with-combinations", "greedy cannot be combined with allowCombinations");
    }
    return this.withQuantifier({ greedy: true });
  }
  /** Strict contiguity between a loop's own events. */
  consecutive(): Pattern<T, F> {
    this.checkLoopOption("consecutive");
    return this.withQuantifier({ inner: ConsumingStrategy.STRICT });
  }
  /** Non-deterministic relaxed contiguity between a loop's own events. */
  allowCombinations(): Pattern<T, F> {
    this.checkLoopOption("allowCombinations");
    if (this._f.quantifier.greedy) {
      throw this.error("greedy-with-combinations", "allowCombinations cannot be combined with greedy");
    }
    return this.withQuantifier({ inner: ConsumingStrategy.SKIP_TILL_ANY });
  }

  // ---- time ---------------------------------------------------------------------------------

  /**
   * Bounds the match in time (ms, strict). `FIRST_AND_LAST` (the default) bounds first to last
   * event of the whole match; several such calls keep the smallest. `PREVIOUS_AND_CURRENT`
   * bounds the gap from the previous stage's last event into this stage.
   */
  within(ms: number, type: WithinType = WithinType.FIRST_AND_LAST): Pattern<T, F> {
    if (typeof ms !== "number" || !Number.isFinite(ms) || ms <= 0) {
      throw this.error("invalid-window", `within needs a positive number of milliseconds (got ${ms})`);
    }
    if (type === WithinType.PREVIOUS_AND_CURRENT) {
      return this.with({ stageWindowMs: Math.min(ms, this._f.stageWindowMs ?? Infinity) });
    }
    if (type !== WithinType.FIRST_AND_LAST) throw this.error("invalid-window", `unknown WithinType ${String(type)}`);
    return this.with({ windowMs: Math.min(ms, this._f.windowMs ?? Infinity) });
  }

  // ---- inspection ---------------------------------------------------------------------------

  /** The current stage's name. */
  get name(): string {
    return this._f.name;
  }
  /** The stage before this one, or null for the first. */
  get previous(): Pattern<T, any> | null {
    return this._f.previous;
  }
  /** The after-match skip strategy of the whole pattern. */
  get skipStrategy(): AfterMatchSkipStrategy {
    return this._f.skip;
  }
  /** The stages from first to last (group stages appear as one entry). */
  stages(): Pattern<T, any>[] {
    const out: Pattern<T, any>[] = [];
    for (let p: Pattern<T, any> | null = this; p !== null; p = p._f.previous) out.push(p);
    return out.reverse();
  }

  // ---- checks -------------------------------------------------------------------------------

  private error(rule: string, message: string): PatternError {
    return new PatternError(rule, message, this._f.name);
  }
  private checkNotGroup(what: string): void {
    if (this._f.group !== null) throw this.error("condition-on-group", `a group stage does not take ${what}(); put conditions on its inner stages`);
  }
  private checkQuantifiable(what: string): void {
    const q = this._f.quantifier;
    if (isNot(q)) throw this.error("quantifier-on-not", `${what} is not applicable to a not stage`);
    if (q.kind !== "single") throw this.error("quantifier-twice", `a quantifier is already applied; cannot also apply ${what}`);
  }
  private checkLoopOption(what: string): void {
    const q = this._f.quantifier;
    if (isNot(q)) throw this.error("quantifier-on-not", `${what} is not applicable to a not stage`);
    if (q.kind === "single") throw this.error(`${what}-on-single`, `${what} is only applicable to looping or times stages`);
  }
  private checkNotAfterOptional(what: string, name: string): void {
    if (this._f.quantifier.optional) {
      throw new PatternError(
        "not-after-optional",
        `${what}("${name}") cannot follow the optional stage "${this._f.name}"; write two patterns, one with and one without the optional stage`,
        name,
      );
    }
  }
}

function checkName(name: unknown): void {
  if (typeof name !== "string" || name.length === 0) {
    throw new PatternError("invalid-name", "a stage needs a non-empty name");
  }
  if (name === "$endState$") throw new PatternError("invalid-name", "the name $endState$ is reserved", name);
}

function groupName(group: Pattern<any, any>): string {
  const names = group.stages().map((s) => s.name);
  return `(${names.join(" ")})`;
}
