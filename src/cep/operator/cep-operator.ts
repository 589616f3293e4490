import { JobError } from "../../errors.js";
import type { Operator, OperatorContext } from "../../runtime/index.js";
import type { StateKey, ValueState } from "../../state/api.js";
import { compile } from "../compile.js";
import type { MatchCollector, Nfa } from "../nfa/nfa.js";
import type { NfaState } from "../nfa/nfa-state.js";
import { Pattern } from "../pattern/pattern.js";
import { CEP_NFA_STATE, CepOperatorBase, type CepOperatorOptions } from "./cep-operator-base.js";
import { nfaStatesSerializer, type KeyNfaStates } from "./nfa-states-serializer.js";
import { combinedInertConditions, isTimed, nextWake } from "./nfa-wake.js";
import type { PatternProcessFunction } from "./pattern-process-function.js";

export { CEP_BUFFER_STATE, CEP_NFA_STATE, type CepOperatorOptions } from "./cep-operator-base.js";

/** One pattern of a CEP operator, under the id its outputs and state are tagged with. */
export interface CepPattern<T> {
  readonly id: string;
  readonly pattern: Pattern<T, any> | Nfa<T>;
}

/**
 * The keyed CEP operator (FlinkCEP's `CepOperator`), for one or several patterns over one keyed
 * stream. Per key it keeps two entries of keyed state: `cep-buffer`, the events waiting for the
 * watermark (an `EventBuffer`, sorted by timestamp), shared by all patterns; and `cep-nfa`, one
 * `NfaState` per pattern with something in progress, and the key's NFA timer. Keys with nothing
 * buffered and nothing in progress have no state and no timer.
 *
 * Event time: an event at or behind the watermark is late (side output); otherwise it is
 * buffered, and while a key has buffered events an event-time timer is set at the earliest.
 * When a key's timer fires at watermark W, its events up to W are fed to every pattern's NFA in
 * timestamp order (ties in arrival order), then every NFA's time advances to W. The NFAs' own
 * timer is kept at their earliest `within` deadline (or the next watermark, while a completed
 * match is held back), so a key wakes at every watermark where advancing its time can change
 * anything, and only then: per key the result is exactly `runPattern(pattern, input, { mode:
 * "eventTime" })`. In batch mode events arrive sorted by key and time and are fed at once.
 *
 * Hot path (after `KeyedMatcher`): an event that is inert for every pattern (`Nfa.isInert`) is
 * not buffered, when skipping it cannot change results (not for a pattern with a skip strategy
 * and a window, where the time of every event matters); a pattern with nothing in progress for
 * a key creates state only for an event that can start it (`Nfa.canStart`).
 */
export class CepOperator<T, O, K extends StateKey = StateKey>
  extends CepOperatorBase<T, O, K, KeyNfaStates<T>>
  implements Operator<T, O>
{
  private readonly ids: string[];
  private readonly nfas: Nfa<T>[];
  private readonly timed: boolean[];
  private collectors!: MatchCollector<T>[];

  constructor(patterns: ReadonlyArray<CepPattern<T>>, fn: PatternProcessFunction<T, O, K>, options: CepOperatorOptions<T> = {}) {
    const ids = checkedIds(patterns);
    super(fn, options);
    this.ids = ids;
    this.nfas = patterns.map((p) => (p.pattern instanceof Pattern ? compile(p.pattern) : p.pattern));
    this.timed = this.nfas.map(isTimed);
    this.inert = combinedInertConditions(this.nfas, this.timed);
  }

  async open(ctx: OperatorContext<O>): Promise<void> {
    const backend = this.openCep(ctx, "CEP");
    const patterns = this.ids.map((id, i) => ({ id, nfa: this.nfas[i] }));
    this.nfaState = backend.getPartitionedState({
      kind: "value",
      name: CEP_NFA_STATE,
      serializer: nfaStatesSerializer(patterns, this.codec),
    }) as ValueState<KeyNfaStates<T>>;
    this.collectors = this.ids.map((id) => this.collectorFor(id));
    await this.openFunction(ctx);
  }

  processElement(value: T, timestamp: number): void {
    this.processEvent(value, timestamp);
  }

  protected feed(key: KeyNfaStates<T> | undefined, event: T, timestamp: number): KeyNfaStates<T> | undefined {
    const nfas = this.nfas;
    const ids = this.ids;
    const ctx = this.ctx;
    for (let p = 0; p < nfas.length; p++) {
      const nfa = nfas[p];
      let state = key === undefined ? undefined : key.states[p];
      if (state === undefined) {
        if (!nfa.canStart(event, timestamp)) continue;
        state = nfa.createState();
        key ??= { states: new Array<NfaState<T> | undefined>(nfas.length).fill(undefined), timer: Number.POSITIVE_INFINITY };
        key.states[p] = state;
      }
      ctx.ts = timestamp;
      ctx.patternId = ids[p];
      nfa.process(state, event, timestamp, this.collectors[p]);
      if (state.isEmpty) key!.states[p] = undefined;
    }
    return key;
  }

  protected advance(key: KeyNfaStates<T>, time: number): void {
    const states = key.states;
    for (let p = 0; p < states.length; p++) {
      const state = states[p];
      if (state === undefined) continue;
      this.ctx.patternId = this.ids[p];
      this.nfas[p].advanceTime(state, time, this.collectors[p]);
      if (state.isEmpty) states[p] = undefined;
    }
  }

  protected nextWake(key: KeyNfaStates<T>, now: number): number {
    return nextWake(this.nfas, this.timed, key.states, now);
  }

  protected inProgress(key: KeyNfaStates<T>): boolean {
    const states = key.states;
    for (let p = 0; p < states.length; p++) if (states[p] !== undefined) return true;
    return false;
  }
}

function checkedIds<T>(patterns: ReadonlyArray<CepPattern<T>>): string[] {
  if (patterns.length === 0) throw new JobError("CEP: at least one pattern is needed", { code: "INVALID_ARGUMENT" });
  const ids = patterns.map((p) => p.id);
  const dup = ids.find((id, i) => ids.indexOf(id) !== i);
  if (dup !== undefined) throw new JobError(`CEP: pattern id "${dup}" is used twice`, { code: "INVALID_ARGUMENT" });
  return ids;
}
