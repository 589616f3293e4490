import { JobError } from "../../errors.js";
import { runtimeContextOf, type OperatorContext, type OutputTag, type Timer, type TimeDomain, type TimerService } from "../../runtime/index.js";
import type { KeyedStateBackend, StateKey, ValueState } from "../../state/api.js";
import { NO_CONTEXT, type MatchCollector } from "../nfa/nfa.js";
import type { PatternContext } from "../pattern/condition.js";
import type { EventCodec } from "../serde/v1/nfa-state-codec.js";
import { CepProcessContext } from "./cep-process-context.js";
import { LATE_TAG, TIMED_OUT_TAG } from "./cep-tags.js";
import { EventBuffer, eventBufferSerializer } from "./event-buffer.js";
import type { CepTimedOut, PatternProcessFunction, PatternProcessFunctionObject } from "./pattern-process-function.js";

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

/** Keyed state of the events waiting for the watermark (the name is stable: it names the state in snapshots). */
export const CEP_BUFFER_STATE = "cep-buffer";
/** Keyed state of the NFA states and their timer (the name is stable: it names the state in snapshots). */
export const CEP_NFA_STATE = "cep-nfa";

const JSON_CODEC: EventCodec<any> = { encode: (e) => e, decode: (j) => j };

/** What every form of a key's NFA states has: the time its timer is set at (+Infinity: none). */
export interface KeyTimer {
  timer: number;
}

/**
 * The time handling both keyed CEP operators share (`CepOperator`, `DynamicCepOperator`): event
 * buffering until the watermark, releasing buffered events in timestamp order on the key's timer,
 * late events, the processing-time path, the batch path and the placement of the key's NFA
 * timer. A subclass says how a key's NFA states (`S`, keyed state `cep-nfa`) are held and fed.
 *
 * Invariant (event time): while a key has buffered events, an event-time timer is set at or
 * before the earliest; besides, the key's NFA timer is at `S.timer`.
 *
 * The per-event path (`processEvent`, `onTimer`'s release loop) lives here, so that per event a
 * subclass adds only its `feed` (monomorphic per operator class, so V8 can inline it).
 */
export abstract class CepOperatorBase<T, O, K extends StateKey, S extends KeyTimer> {
  protected readonly processMatch: PatternProcessFunctionObject<T, O, K>["processMatch"];
  protected readonly processTimedOut: PatternProcessFunctionObject<T, O, K>["processTimedOutMatch"];
  protected readonly processingTime: boolean;
  protected readonly lateTag: OutputTag<T> | null;
  protected readonly codec: EventCodec<T>;
  protected readonly emitTimedOut: boolean;
  /** Conditions an event must fail to be skipped (`combinedInertConditions`); null: none is skipped. */
  protected inert: ReadonlyArray<(event: T, ctx: PatternContext<T>) => boolean> | null = null;
  protected ctx!: CepProcessContext<O, K>;
  protected timers!: TimerService;
  protected opCtx!: OperatorContext<O>;
  protected bufferState!: ValueState<EventBuffer<T>>;
  /** Set by the subclass in `open`, after `openCep`. */
  protected nfaState!: ValueState<S>;
  private batch = false;
  private warnedNoTimestamp = false;

  constructor(
    protected readonly fn: PatternProcessFunction<T, O, K>,
    options: CepOperatorOptions<T>,
  ) {
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

  /** Feeds one event to the key's NFAs; returns the key's states (created when a pattern starts). */
  protected abstract feed(key: S | undefined, event: T, timestamp: number): S | undefined;
  /** Advances the time of every NFA of the key (timeouts, trailing notFollowedBy). */
  protected abstract advance(key: S, time: number): void;
  /** When the key's NFAs next need their time advanced, after `now` (+Infinity: never). */
  protected abstract nextWake(key: S, now: number): number;
  /** Whether some NFA of the key has something in progress (else its state is cleared). */
  protected abstract inProgress(key: S): boolean;

  /** The common part of `open`: checks the stream is keyed, registers the event buffer. */
  protected openCep(ctx: OperatorContext<O>, what: string): KeyedStateBackend {
    const backend = ctx.keyedState;
    if (backend === undefined) {
      throw new JobError(`operator "${ctx.operatorName}": ${what} runs on a keyed stream; call keyBy first`, { code: "JOB_INVALID" });
    }
    this.opCtx = ctx;
    this.timers = ctx.timers;
    this.batch = ctx.batch;
    this.ctx = new CepProcessContext<O, K>(ctx);
    this.bufferState = backend.getPartitionedState({
      kind: "value",
      name: CEP_BUFFER_STATE,
      serializer: eventBufferSerializer(this.codec),
    }) as ValueState<EventBuffer<T>>;
    return backend;
  }

  protected async openFunction(ctx: OperatorContext<O>): Promise<void> {
    if (typeof this.fn !== "function") await this.fn.open?.(runtimeContextOf(ctx as OperatorContext<unknown>));
  }

  /** An event of the (first) input: late, skipped, fed at once (batch, processing time) or buffered. */
  protected processEvent(value: T, timestamp: number): void {
    if (this.processingTime) {
      this.processNow(value);
      return;
    }
    if (timestamp <= this.timers.currentWatermark()) {
      this.late(value, timestamp);
      return;
    }
    if (this.isInert(value)) return;
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

  protected isInert(value: T): boolean {
    const inert = this.inert;
    if (inert === null) return false;
    let i = 0;
    while (i < inert.length && !inert[i](value, NO_CONTEXT)) i++;
    return i === inert.length;
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
  protected processNow(value: T): void {
    if (this.isInert(value)) return;
    const now = this.timers.currentProcessingTime();
    this.finish(this.feed(this.nfaState.value(), value, now), now);
  }

  protected advanceNow(): void {
    const key = this.nfaState.value();
    if (key === undefined) return;
    const now = this.timers.currentProcessingTime();
    this.ctx.ts = now;
    this.advance(key, now);
    this.finish(key, now);
  }

  /**
   * After the key's NFAs changed at time `now`: moves the key's NFA timer to when time must next
   * advance (the old timer is deleted, so a key whose matches ended has none), and writes the
   * states back, or clears them when nothing is in progress.
   */
  protected finish(key: S | undefined, now: number): void {
    if (key === undefined) return;
    const wake = this.nextWake(key, now);
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
    if (this.inProgress(key)) this.nfaState.update(key);
    else this.nfaState.clear();
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

  /** Hands the matches and timeouts of pattern `id` to the process function (or the timed-out side output). */
  protected collectorFor(id: string): MatchCollector<T> {
    const ctx = this.ctx;
    const handler = this.processTimedOut;
    const emit = this.emitTimedOut;
    const timedOutTag = TIMED_OUT_TAG as unknown as OutputTag<CepTimedOut<T, K>>;
    return {
      match: (m) => {
        ctx.patternId = id;
        this.processMatch(m, ctx, ctx);
      },
      timeout:
        handler === undefined && !emit
          ? undefined
          : (m, timestamp) => {
              const saved = ctx.ts;
              ctx.ts = timestamp;
              ctx.patternId = id;
              if (handler !== undefined) handler(m, ctx);
              else ctx.output(timedOutTag, { match: m, timestamp, key: ctx.getCurrentKey(), patternId: id });
              ctx.ts = saved;
            },
    };
  }

  async close(): Promise<void> {
    if (typeof this.fn !== "function") await this.fn.close?.();
  }
}
