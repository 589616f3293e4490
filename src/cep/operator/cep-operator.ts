import { JobError } from "../../errors.js";
import {
  runtimeContextOf,
  type Operator,
  type OperatorContext,
  type OutputTag,
  type Timer,
  type TimeDomain,
  type TimerService,
} from "../../runtime/index.js";
import type { StateKey, ValueState } from "../../state/api.js";
import { compile } from "../compile.js";
import { NO_CONTEXT, type MatchCollector, type Nfa } from "../nfa/nfa.js";
import type { NfaState } from "../nfa/nfa-state.js";
import type { PatternContext } from "../pattern/condition.js";
import { Pattern } from "../pattern/pattern.js";
import type { EventCodec } from "../serde/v1/nfa-state-codec.js";
import { CepProcessContext } from "./cep-process-context.js";
import { LATE_TAG, TIMED_OUT_TAG } from "./cep-tags.js";
import { EventBuffer, eventBufferSerializer } from "./event-buffer.js";
import { nfaStatesSerializer, type KeyNfaStates } from "./nfa-states-serializer.js";
import { combinedInertConditions, nextWake } from "./nfa-wake.js";
import type { CepTimedOut, PatternProcessFunction, PatternProcessFunctionObject } from "./pattern-process-function.js";

/** One pattern of a CEP operator, under the id its outputs and state are tagged with. */
export interface CepPattern<T> {
  readonly id: string;
  readonly pattern: Pattern<T, any> | Nfa<T>;
}

/** How the CEP operator runs (all optional). */
export interface CepOperatorOptions<T> {
  /** `"event"` (default): buffer until the watermark, in timestamp order. `"processing"`: arrival order, processing time. */
  timeMode?: "event" | "processing";
  /** Materialise timed-out partial matches to `CEP.timedOutTag` (default true). */
  emitTimedOut?: boolean;
  /** Where late events go (default `CEP.lateTag`; null drops them). */
  lateTag?: OutputTag<T> | null;
  /** How events are written into state snapshots and LevelDB (default: as JSON). */
  eventCodec?: EventCodec<T>;
}

const JSON_CODEC: EventCodec<any> = { encode: (e) => e, decode: (j) => j };
/** Keyed state of the events waiting for the watermark (the name is stable: it names the state in snapshots). */
export const CEP_BUFFER_STATE = "cep-buffer";
/** Keyed state of the NFA states and their timer (the name is stable: it names the state in snapshots). */
export const CEP_NFA_STATE = "cep-nfa";

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
export class CepOperator<T, O, K extends StateKey = StateKey> implements Operator<T, O> {
  private readonly ids: string[];
  private readonly nfas: Nfa<T>[];
  private readonly timed: boolean[];
  private readonly inert: ReadonlyArray<(event: T, ctx: PatternContext<T>) => boolean> | null;
  private readonly processMatch: PatternProcessFunctionObject<T, O, K>["processMatch"];
  private readonly processTimedOut: PatternProcessFunctionObject<T, O, K>["processTimedOutMatch"];
  private readonly processingTime: boolean;
  private readonly lateTag: OutputTag<T> | null;
  private readonly codec: EventCodec<T>;
  private readonly emitTimedOut: boolean;
  private collectors!: MatchCollector<T>[];
  private ctx!: CepProcessContext<O, K>;
  private timers!: TimerService;
  private opCtx!: OperatorContext<O>;
  private bufferState!: ValueState<EventBuffer<T>>;
  private nfaState!: ValueState<KeyNfaStates<T>>;
  private batch = false;
  private warnedNoTimestamp = false;

  constructor(
    patterns: ReadonlyArray<CepPattern<T>>,
    private readonly fn: PatternProcessFunction<T, O, K>,
    options: CepOperatorOptions<T> = {},
  ) {
    if (patterns.length === 0) throw new JobError("CEP: at least one pattern is needed", { code: "INVALID_ARGUMENT" });
    const ids = patterns.map((p) => p.id);
    const dup = ids.find((id, i) => ids.indexOf(id) !== i);
    if (dup !== undefined) throw new JobError(`CEP: pattern id "${dup}" is used twice`, { code: "INVALID_ARGUMENT" });
    this.ids = ids;
    this.nfas = patterns.map((p) => (p.pattern instanceof Pattern ? compile(p.pattern) : p.pattern));
    this.timed = this.nfas.map((n) => n.windowMs > 0 || n.states.some((s) => s.windowMs !== undefined));
    this.inert = combinedInertConditions(this.nfas, this.timed);
    if (typeof fn === "function") {
      this.processMatch = fn;
      this.processTimedOut = undefined;
    } else {
      this.processMatch = fn.processMatch.bind(fn);
      this.processTimedOut = fn.processTimedOutMatch?.bind(fn);
    }
    this.processingTime = options.timeMode === "processing";
    this.lateTag = options.lateTag === undefined ? (LATE_TAG as OutputTag<T>) : options.lateTag;
    this.codec = options.eventCodec ?? JSON_CODEC;
    this.emitTimedOut = options.emitTimedOut ?? true;
  }

  async open(ctx: OperatorContext<O>): Promise<void> {
    const backend = ctx.keyedState;
    if (backend === undefined) {
      throw new JobError(`operator "${ctx.operatorName}": CEP runs on a keyed stream; call keyBy first`, { code: "JOB_INVALID" });
    }
    this.opCtx = ctx;
    this.timers = ctx.timers;
    this.batch = ctx.batch;
    this.ctx = new CepProcessContext<O, K>(ctx, this.ids);
    this.bufferState = backend.getPartitionedState({
      kind: "value",
      name: CEP_BUFFER_STATE,
      serializer: eventBufferSerializer(this.codec),
    }) as ValueState<EventBuffer<T>>;
    const patterns = this.ids.map((id, i) => ({ id, nfa: this.nfas[i] }));
    this.nfaState = backend.getPartitionedState({
      kind: "value",
      name: CEP_NFA_STATE,
      serializer: nfaStatesSerializer(patterns, this.codec),
    }) as ValueState<KeyNfaStates<T>>;
    this.collectors = this.nfas.map((_, i) => this.collectorFor(i));
    if (typeof this.fn !== "function") await this.fn.open?.(runtimeContextOf(ctx as OperatorContext<unknown>));
  }

  processElement(value: T, timestamp: number): void {
    if (this.processingTime) {
      this.processNow(value);
      return;
    }
    if (timestamp <= this.timers.currentWatermark()) {
      this.late(value, timestamp);
      return;
    }
    const inert = this.inert;
    if (inert !== null) {
      let i = 0;
      while (i < inert.length && !inert[i](value, NO_CONTEXT)) i++;
      if (i === inert.length) return;
    }
    if (this.batch) {
      // batch: each key's events arrive sorted by time (stably), so buffering would change nothing
      this.finish(this.feed(this.nfaState.value(), value, timestamp), this.timers.currentWatermark());
      return;
    }
    const buffer = this.bufferState.value();
    if (buffer === undefined) {
      this.bufferState.update(new EventBuffer([timestamp], [value]));
      this.timers.registerEventTimeTimer(timestamp);
      return;
    }
    // invariant: while a key has buffered events, a timer is set at or before the earliest
    if (timestamp < buffer.minTimestamp) this.timers.registerEventTimeTimer(timestamp);
    buffer.add(timestamp, value);
    this.bufferState.update(buffer);
  }

  /** A buffered event's time or an NFA deadline is due: release, match, advance time, set the next timer. */
  onTimer(timer: Timer, domain: TimeDomain): void {
    if (domain === "processing") {
      if (this.processingTime) this.advanceNow();
      return;
    }
    const watermark = this.timers.currentWatermark();
    let key = this.nfaState.value();
    const buffer = this.bufferState.value();
    if (buffer !== undefined) {
      const n = buffer.countUpTo(watermark);
      const { events, timestamps } = buffer;
      for (let i = 0; i < n; i++) key = this.feed(key, events[i], timestamps[i]);
      if (n === buffer.size) this.bufferState.clear();
      else if (n > 0) {
        buffer.removeFirst(n);
        this.bufferState.update(buffer);
      }
    }
    if (key !== undefined) {
      this.ctx.ts = Number.isFinite(watermark) ? watermark : timer.timestamp;
      this.advance(key, watermark);
      this.finish(key, watermark);
    }
    // after `finish`, which may have deleted a timer at the same time
    if (buffer !== undefined && buffer.size > 0) this.timers.registerEventTimeTimer(buffer.minTimestamp);
  }

  /** Processing time: the event goes to the NFAs at once, stamped with the processing time. */
  private processNow(value: T): void {
    const inert = this.inert;
    if (inert !== null) {
      let i = 0;
      while (i < inert.length && !inert[i](value, NO_CONTEXT)) i++;
      if (i === inert.length) return;
    }
    const now = this.timers.currentProcessingTime();
    this.finish(this.feed(this.nfaState.value(), value, now), now);
  }

  private advanceNow(): void {
    const key = this.nfaState.value();
    if (key === undefined) return;
    const now = this.timers.currentProcessingTime();
    this.ctx.ts = now;
    this.advance(key, now);
    this.finish(key, now);
  }

  /** Feeds one event to every pattern; returns the key's states (created when a pattern starts). */
  private feed(key: KeyNfaStates<T> | undefined, event: T, timestamp: number): KeyNfaStates<T> | undefined {
    const nfas = this.nfas;
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
      ctx.patternIndex = p;
      nfa.process(state, event, timestamp, this.collectors[p]);
      if (state.isEmpty) key!.states[p] = undefined;
    }
    return key;
  }

  /** Advances every pattern's time for this key (timeouts, trailing notFollowedBy). */
  private advance(key: KeyNfaStates<T>, time: number): void {
    const states = key.states;
    for (let p = 0; p < states.length; p++) {
      const state = states[p];
      if (state === undefined) continue;
      this.ctx.patternIndex = p;
      this.nfas[p].advanceTime(state, time, this.collectors[p]);
      if (state.isEmpty) states[p] = undefined;
    }
  }

  /**
   * After the key's NFAs changed at time `now`: moves the key's NFA timer to when time must next
   * advance (`nextWake`; the old timer is deleted, so a key whose matches ended has none), and
   * writes the states back, or clears them when no pattern has anything in progress.
   */
  private finish(key: KeyNfaStates<T> | undefined, now: number): void {
    if (key === undefined) return;
    const wake = nextWake(this.nfas, this.timed, key.states, now);
    if (wake !== key.timer) {
      const timers = this.timers;
      if (this.processingTime) {
        if (key.timer !== Number.POSITIVE_INFINITY) timers.deleteProcessingTimeTimer(key.timer);
        if (wake !== Number.POSITIVE_INFINITY) timers.registerProcessingTimeTimer(wake);
      } else {
        if (key.timer !== Number.POSITIVE_INFINITY) timers.deleteEventTimeTimer(key.timer);
        if (wake !== Number.POSITIVE_INFINITY) timers.registerEventTimeTimer(wake);
      }
      key.timer = wake;
    }
    const states = key.states;
    for (let p = 0; p < states.length; p++) {
      if (states[p] !== undefined) {
        this.nfaState.update(key);
        return;
      }
    }
    this.nfaState.clear();
  }

  private late(value: T, timestamp: number): void {
    if (timestamp === Number.NEGATIVE_INFINITY && !this.warnedNoTimestamp) {
      this.warnedNoTimestamp = true;
      this.opCtx.log.warn(
        "CEP in event time got a record without a timestamp (it is late): assign timestamps with a WatermarkStrategy, or use inProcessingTime()",
      );
    }
    if (this.lateTag !== null) this.opCtx.output.collectSide(this.lateTag, value, timestamp);
  }

  private collectorFor(p: number): MatchCollector<T> {
    const ctx = this.ctx;
    const handler = this.processTimedOut;
    const emit = this.emitTimedOut;
    const timedOutTag = TIMED_OUT_TAG as unknown as OutputTag<CepTimedOut<T, K>>;
    return {
      match: (m) => {
        ctx.patternIndex = p;
        this.processMatch(m, ctx, ctx);
      },
      timeout:
        handler === undefined && !emit
          ? undefined
          : (m, timestamp) => {
              const saved = ctx.ts;
              ctx.ts = timestamp;
              ctx.patternIndex = p;
              if (handler !== undefined) handler(m, ctx);
              else ctx.output(timedOutTag, { match: m, timestamp, key: ctx.getCurrentKey(), patternId: this.ids[p] });
              ctx.ts = saved;
            },
    };
  }

  async close(): Promise<void> {
    if (typeof this.fn !== "function") await this.fn.close?.();
  }
}
