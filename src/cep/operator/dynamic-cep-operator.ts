import { JobError } from "../../errors.js";
import {
  runtimeContextOf,
  type OperatorContext,
  type OutputTag,
  type Timer,
  type TimeDomain,
  type TimerService,
  type TwoInputOperator,
} from "../../runtime/index.js";
import type { KeyedStateBackend, StateKey, ValueState } from "../../state/api.js";
import { compile } from "../compile.js";
import { NO_CONTEXT, type MatchCollector, type Nfa } from "../nfa/nfa.js";
import type { PatternContext } from "../pattern/condition.js";
import { Pattern } from "../pattern/pattern.js";
import type { EventCodec } from "../serde/v1/nfa-state-codec.js";
import { CEP_BUFFER_STATE, CEP_NFA_STATE, type CepOperatorOptions } from "./cep-operator.js";
import { CepProcessContext } from "./cep-process-context.js";
import { LATE_TAG, TIMED_OUT_TAG } from "./cep-tags.js";
import {
  CEP_PATTERNS_STATE,
  dynamicStatesSerializer,
  invalidUpdate,
  type KeyPatternStates,
  type PatternDefinition,
  type PatternFactory,
  type PatternSetChange,
  type PatternUpdate,
  type StoredPattern,
} from "./dynamic-patterns.js";
import { EventBuffer, eventBufferSerializer } from "./event-buffer.js";
import { combinedInertConditions, nextAfter, nextDeadline } from "./nfa-wake.js";
import type { CepTimedOut, PatternProcessFunction, PatternProcessFunctionObject } from "./pattern-process-function.js";

/** How a dynamic CEP operator gets and makes its patterns. */
export interface DynamicCepOptions<T, D> extends CepOperatorOptions<T> {
  /**
   * The patterns to run when the operator opens (called at every open, so after a restart it
   * should return the set wanted now). Without restored state they are the set. With restored
   * state (a checkpoint's set, draining versions included) each is put as an update would be,
   * and, with `removeUnlisted` (default true), restored patterns whose name is not among them
   * are removed.
   */
  readonly initial: ReadonlyArray<PatternDefinition<D>> | (() => ReadonlyArray<PatternDefinition<D>>);
  /** Makes a pattern of a definition (on `put`, and for the patterns of a restored checkpoint). */
  readonly factory: PatternFactory<T, D>;
  readonly removeUnlisted?: boolean;
  /** Told about every change of the pattern set (in-process listeners: logs, the service's rule list). */
  readonly onChange?: (change: PatternSetChange) => void;
}

/** A pattern of the running set. */
interface Live<T, D> {
  stored: StoredPattern<D>;
  readonly nfa: Nfa<T>;
  readonly timed: boolean;
  /** Bounds of the events it may start on: (startFrom, startUntil]. */
  startFrom: number;
  startUntil: number;
  /** Keys of this subtask with a state for it (exact after a recount; see `recount`). */
  keys: number;
  /** Its live partial matches on this subtask (the `partialMatches` gauge; exact after a recount). */
  partials: number;
  collector: MatchCollector<T>;
}

class DynamicProcessContext<O, K extends StateKey> extends CepProcessContext<O, K> {
  currentId = "";
  override get patternId(): string {
    return this.currentId;
  }
}

/**
 * The keyed CEP operator with a pattern set that changes while it runs, Flink's way: pattern
 * updates (`PatternUpdate`) arrive on a broadcast input, so every subtask applies the same
 * changes, and the set (documents, state, bounds) lives in broadcast state, so a checkpoint
 * restores it. Matching is the static `CepOperator`'s (one event buffer per key, per pattern an
 * NFA state, one timer per key, inert events skipped); per key the states are held by pattern id.
 *
 * A replaced version drains: it starts no new partial matches but keeps advancing those it has
 * until they complete or time out, then it is dropped (when no key of the subtask has state for
 * it). Where the switch happens:
 *
 * - event time: at T, the newest event time the subtask has seen (or its watermark, if later)
 *   when the update arrives. The old version starts only on events at or before T, the new one
 *   only on events after T, whatever order they arrive in; so per key the old version's results
 *   are those of its partial matches begun at or before T and the new version's those of the key's
 *   events after T.
 * - processing time: at the update's arrival; events after it start only the new version.
 *
 * A removed pattern is dropped at once: its per-key states are deleted by a pass over every key
 * of the subtask (as are states of patterns a restore no longer lists), so nothing of it stays
 * in later checkpoints. A pass over the keys also counts, when a version starts draining, which
 * keys hold state for it: rule changes are rare, events are not.
 */
export class DynamicCepOperator<T, O, D, K extends StateKey = StateKey> implements TwoInputOperator<T, PatternUpdate<D>, O> {
  private patterns: Live<T, D>[] = [];
  private readonly byId = new Map<string, Live<T, D>>();
  private inert: ReadonlyArray<(event: T, ctx: PatternContext<T>) => boolean> | null = null;
  private readonly processMatch: PatternProcessFunctionObject<T, O, K>["processMatch"];
  private readonly processTimedOut: PatternProcessFunctionObject<T, O, K>["processTimedOutMatch"];
  private readonly processingTime: boolean;
  private readonly lateTag: OutputTag<T> | null;
  private readonly codec: EventCodec<T>;
  private readonly emitTimedOut: boolean;
  private ctx!: DynamicProcessContext<O, K>;
  private timers!: TimerService;
  private opCtx!: OperatorContext<O>;
  private backend!: KeyedStateBackend;
  private store!: Map<string, StoredPattern<D>>;
  private bufferState!: ValueState<EventBuffer<T>>;
  private nfaState!: ValueState<KeyPatternStates<T>>;
  private batch = false;
  private warnedNoTimestamp = false;
  /** Newest event time that arrived (on time or not): where an update switches versions in event time. */
  private maxSeen = Number.NEGATIVE_INFINITY;
  private nextSeq = 0;
  /** A draining pattern lost its last key: see whether it can go. */
  private retireDue = false;
  /** Events restored in the key buffers arrived before anything now: count them in `maxSeen` (lazily, at the first change). */
  private bufferScanDue = true;
  /** Whether `keys` and `partials` are exact: not after a restore until a recount. */
  private countsExact = false;

  constructor(
    private readonly fn: PatternProcessFunction<T, O, K>,
    private readonly options: DynamicCepOptions<T, D>,
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
    this.codec = options.eventCodec ?? { encode: (e: T) => e, decode: (j: unknown) => j as T };
    this.emitTimedOut = options.emitTimedOut ?? true;
  }

  /** Ids and states of the running set, in order (for tests and status pages). */
  get patternSet(): Array<{ id: string; name: string; state: "active" | "draining"; keys: number }> {
    return this.patterns.map((p) => ({ id: p.stored.id, name: p.stored.name, state: p.stored.state, keys: p.keys }));
  }

  async open(ctx: OperatorContext<O>): Promise<void> {
    const backend = ctx.keyedState;
    if (backend === undefined) {
      throw new JobError(`operator "${ctx.operatorName}": dynamic CEP runs on a keyed stream; call keyBy first`, { code: "JOB_INVALID" });
    }
    this.opCtx = ctx;
    this.backend = backend;
    this.timers = ctx.timers;
    this.batch = ctx.batch;
    this.ctx = new DynamicProcessContext<O, K>(ctx, []);
    this.store = ctx.operatorState.getBroadcastState<string, StoredPattern<D>>(CEP_PATTERNS_STATE);
    this.bufferState = backend.getPartitionedState({
      kind: "value",
      name: CEP_BUFFER_STATE,
      serializer: eventBufferSerializer(this.codec),
    }) as ValueState<EventBuffer<T>>;

    // the pattern set first: restored keyed state is decoded against it
    const restored = [...this.store.values()].sort((a, b) => a.seq - b.seq);
    const initial = typeof this.options.initial === "function" ? this.options.initial() : this.options.initial;
    const dropped: string[] = [];
    for (const s of restored) {
      this.nextSeq = Math.max(this.nextSeq, s.seq + 1);
      if (!this.revive(s)) dropped.push(s.id);
    }
    const wanted = new Set(initial.map((d) => d.name));
    if (restored.length > 0 && (this.options.removeUnlisted ?? true)) {
      for (const p of [...this.patterns]) {
        if (!wanted.has(p.stored.name)) {
          this.detach(p);
          dropped.push(p.stored.id);
          this.notify({ kind: "removed", id: p.stored.id, name: p.stored.name });
        }
      }
    }
    // put before the keyed state is registered: a checkpoint of the static operator (no pattern
    // set stored) then keeps the partial matches of the patterns it names
    for (const d of initial) this.put(d.id, d.name, d.document, false);
    this.nfaState = backend.getPartitionedState({
      kind: "value",
      name: CEP_NFA_STATE,
      serializer: dynamicStatesSerializer((id) => this.byId.get(id)?.nfa, this.codec),
    }) as ValueState<KeyNfa<T>>;
    if (typeof this.fn !== "function") await this.fn.open?.(runtimeContextOf(ctx as OperatorContext<unknown>));
    if (dropped.length > 0) this.purge(new Set(dropped));
    if (this.patterns.some((p) => p.stored.state === "draining")) this.recount();
    this.retireDrained();
  }

  // ---- the pattern set ----

  /** Re-creates a restored pattern; false (logged) when its definition no longer makes one. */
  private revive(s: StoredPattern<D>): boolean {
    let nfa: Nfa<T>;
    try {
      nfa = this.make(s);
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      this.opCtx.log.error({ pattern: s.id, reason }, "restored pattern cannot be re-created; its partial matches are dropped");
      this.store.delete(s.id);
      this.notify({ kind: "rejected", id: s.id, name: s.name, reason });
      return false;
    }
    this.attach(s, nfa);
    this.notify({ kind: "restored", id: s.id, name: s.name, state: s.state });
    return true;
  }

  private make(d: PatternDefinition<D>): Nfa<T> {
    const made = this.options.factory(d);
    return made instanceof Pattern ? compile(made) : made;
  }

  private attach(stored: StoredPattern<D>, nfa: Nfa<T>): Live<T, D> {
    const p: Live<T, D> = {
      stored,
      nfa,
      timed: nfa.windowMs > 0 || nfa.states.some((s) => s.windowMs !== undefined),
      startFrom: stored.startFrom ?? Number.NEGATIVE_INFINITY,
      startUntil: stored.startUntil ?? Number.POSITIVE_INFINITY,
      keys: 0,
      partials: 0,
      collector: undefined as unknown as MatchCollector<T>,
    };
    p.collector = this.collectorFor(p);
    // read at scrape time only; a removed version reads as nothing and drops out of the readings
    const id = stored.id;
    this.opCtx.metricGroup?.addGroup("pattern", id).gauge("partialMatches", () => {
      if (!this.countsExact) this.recount();
      return this.byId.get(id)?.partials as number;
    });
    this.patterns.push(p);
    this.patterns.sort((a, b) => a.stored.seq - b.stored.seq);
    this.byId.set(stored.id, p);
    this.store.set(stored.id, stored);
    this.refreshInert();
    return p;
  }

  private detach(p: Live<T, D>): void {
    this.patterns = this.patterns.filter((x) => x !== p);
    this.byId.delete(p.stored.id);
    this.store.delete(p.stored.id);
    this.refreshInert();
  }

  private refreshInert(): void {
    this.inert = combinedInertConditions(
      this.patterns.map((p) => p.nfa),
      this.patterns.map((p) => p.timed),
    );
  }

  private setStored(p: Live<T, D>, changes: Partial<StoredPattern<D>>): void {
    // a new object: a checkpoint taken before keeps the old one
    p.stored = { ...p.stored, ...changes };
    this.store.set(p.stored.id, p.stored);
  }

  /** Where a change switches versions: see the class comment. */
  private switchTime(): number {
    if (this.processingTime) return Number.NEGATIVE_INFINITY;
    if (this.bufferScanDue) {
      this.bufferScanDue = false;
      for (const key of this.backend.getKeys(CEP_BUFFER_STATE)) {
        this.backend.setCurrentKey(key);
        const buffer = this.bufferState.value();
        if (buffer !== undefined && buffer.size > 0) this.maxSeen = Math.max(this.maxSeen, buffer.timestamps[buffer.size - 1]);
      }
    }
    return Math.max(this.maxSeen, this.timers.currentWatermark());
  }

  private put(id: string, name: string, document: D, recount = true): void {
    const at = this.switchTime();
    const existing = this.byId.get(id);
    if (existing !== undefined && existing.stored.name !== name) {
      this.reject(id, name, `pattern id ${id} already belongs to ${existing.stored.name}`);
      return;
    }
    if (existing === undefined) {
      let nfa: Nfa<T>;
      try {
        nfa = this.make({ id, name, document });
      } catch (err) {
        this.reject(id, name, err instanceof Error ? err.message : String(err));
        return;
      }
      const stored: StoredPattern<D> = { id, name, document, state: "active", startFrom: at === Number.NEGATIVE_INFINITY ? null : at, startUntil: null, seq: this.nextSeq++ };
      this.attach(stored, nfa);
      this.opCtx.log.info({ pattern: id, from: stored.startFrom }, "pattern added");
      this.notify({ kind: "added", id, name });
    } else if (existing.stored.state === "draining") {
      existing.startUntil = Number.POSITIVE_INFINITY;
      this.setStored(existing, { state: "active", startUntil: null });
      this.opCtx.log.info({ pattern: id }, "pattern active again");
      this.notify({ kind: "reactivated", id, name });
    }
    let drained = false;
    for (const p of this.patterns) {
      if (p.stored.name === name && p.stored.id !== id && p.stored.state === "active") {
        this.startDraining(p, at);
        drained = true;
      }
    }
    if (drained && recount) this.recount();
  }

  private startDraining(p: Live<T, D>, at: number): void {
    // processing time: no start after now; event time: none after the switch time
    p.startUntil = at;
    this.setStored(p, { state: "draining", startUntil: at === Number.NEGATIVE_INFINITY ? null : at });
    this.opCtx.log.info({ pattern: p.stored.id, until: p.stored.startUntil }, "pattern draining: finishes its partial matches, starts none");
    this.notify({ kind: "draining", id: p.stored.id, name: p.stored.name });
  }

  private remove(ps: Array<Live<T, D>>): void {
    if (ps.length === 0) return;
    for (const p of ps) {
      this.detach(p);
      this.opCtx.log.info({ pattern: p.stored.id }, "pattern removed with its state");
      this.notify({ kind: "removed", id: p.stored.id, name: p.stored.name });
    }
    this.purge(new Set(ps.map((p) => p.stored.id)));
  }

  private reject(id: string, name: string, reason: string): void {
    this.opCtx.log.error({ pattern: id, reason }, "pattern update rejected");
    this.notify({ kind: "rejected", id, name, reason });
  }

  private notify(change: PatternSetChange): void {
    try {
      this.options.onChange?.(change);
    } catch (err) {
      this.opCtx.log.warn({ err }, "pattern listener failed");
    }
  }

  /** Deletes every key's state of the given (gone) patterns, fixing each key's timer. */
  private purge(ids: ReadonlySet<string>): void {
    const now = this.now();
    for (const key of this.backend.getKeys(CEP_NFA_STATE)) {
      this.backend.setCurrentKey(key);
      const ks = this.nfaState.value();
      if (ks === undefined) continue;
      let changed = false;
      for (const id of [...ks.states.keys()]) {
        if (ids.has(id) || !this.byId.has(id)) {
          ks.states.delete(id);
          changed = true;
        }
      }
      if (changed) this.finish(ks, now);
    }
  }

  /** Counts, per pattern, the keys holding state for it (a pass over every key). */
  private recount(): void {
    for (const p of this.patterns) {
      p.keys = 0;
      p.partials = 0;
    }
    for (const key of this.backend.getKeys(CEP_NFA_STATE)) {
      this.backend.setCurrentKey(key);
      const ks = this.nfaState.value();
      if (ks === undefined) continue;
      for (const [id, state] of ks.states) {
        const p = this.byId.get(id);
        if (p === undefined) continue;
        p.keys++;
        p.partials += state.partialMatchCount;
      }
    }
    this.countsExact = true;
    this.retireDue = true;
  }

  /** Drops draining patterns that can start nothing more and that no key holds state for. */
  private retireDrained(): void {
    this.retireDue = false;
    const watermark = this.timers.currentWatermark();
    const done = this.patterns.filter((p) => p.stored.state === "draining" && p.keys <= 0 && (this.processingTime || watermark >= p.startUntil));
    for (const p of done) {
      this.detach(p);
      this.opCtx.log.info({ pattern: p.stored.id }, "pattern drained: its partial matches are done, dropped");
      this.notify({ kind: "retired", id: p.stored.id, name: p.stored.name });
    }
  }

  private now(): number {
    return this.processingTime ? this.timers.currentProcessingTime() : this.timers.currentWatermark();
  }

  // ---- inputs ----

  processElement2(update: PatternUpdate<D>): void {
    const why = invalidUpdate(update);
    if (why !== undefined) {
      this.opCtx.log.error({ update, reason: why }, "pattern update ignored: malformed");
      return;
    }
    if (update.op === "put") this.put(update.id, update.name ?? update.id, update.document);
    else if (update.op === "drain") {
      const p = this.byId.get(update.id);
      if (p !== undefined && p.stored.state === "active") {
        this.startDraining(p, this.switchTime());
        this.recount();
      }
    } else if ("id" in update) {
      const p = this.byId.get(update.id);
      if (p !== undefined) this.remove([p]);
    } else this.remove(this.patterns.filter((p) => p.stored.name === update.name));
    if (this.retireDue) this.retireDrained();
  }

  processElement1(value: T, timestamp: number): void {
    if (this.processingTime) {
      this.processNow(value);
      return;
    }
    if (timestamp > this.maxSeen) this.maxSeen = timestamp;
    if (timestamp <= this.timers.currentWatermark()) {
      this.late(value, timestamp);
      return;
    }
    if (this.isInert(value)) return;
    if (this.batch) {
      this.finish(this.feed(this.nfaState.value(), value, timestamp), this.timers.currentWatermark());
      return;
    }
    const buffer = this.bufferState.value();
    if (buffer === undefined) {
      this.bufferState.update(new EventBuffer([timestamp], [value]));
      this.timers.registerEventTimeTimer(timestamp);
      return;
    }
    if (timestamp < buffer.minTimestamp) this.timers.registerEventTimeTimer(timestamp);
    buffer.add(timestamp, value);
    this.bufferState.update(buffer);
  }

  private isInert(value: T): boolean {
    const inert = this.inert;
    if (inert === null) return false;
    let i = 0;
    while (i < inert.length && !inert[i](value, NO_CONTEXT)) i++;
    return i === inert.length;
  }

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
    if (buffer !== undefined && buffer.size > 0) this.timers.registerEventTimeTimer(buffer.minTimestamp);
  }

  processWatermark(watermark: number): void {
    if (this.retireDue || this.patterns.some((p) => p.stored.state === "draining" && p.keys <= 0)) this.retireDrained();
    this.opCtx.output.emitWatermark(watermark);
  }

  private processNow(value: T): void {
    if (this.isInert(value)) return;
    const now = this.timers.currentProcessingTime();
    this.finish(this.feed(this.nfaState.value(), value, now), now);
    if (this.retireDue) this.retireDrained();
  }

  private advanceNow(): void {
    const key = this.nfaState.value();
    if (key === undefined) return;
    const now = this.timers.currentProcessingTime();
    this.ctx.ts = now;
    this.advance(key, now);
    this.finish(key, now);
    if (this.retireDue) this.retireDrained();
  }

  private feed(key: KeyNfa<T> | undefined, event: T, timestamp: number): KeyNfa<T> | undefined {
    const patterns = this.patterns;
    const ctx = this.ctx;
    for (let i = 0; i < patterns.length; i++) {
      const p = patterns[i];
      const startAllowed = timestamp > p.startFrom && timestamp <= p.startUntil;
      let state = key === undefined ? undefined : key.states.get(p.stored.id);
      const before = state === undefined ? 0 : state.partialMatchCount;
      if (state === undefined) {
        if (!startAllowed || !p.nfa.canStart(event, timestamp)) continue;
        state = p.nfa.createState();
        key ??= { states: new Map(), timer: Number.POSITIVE_INFINITY };
        key.states.set(p.stored.id, state);
        p.keys++;
      }
      ctx.ts = timestamp;
      ctx.currentId = p.stored.id;
      p.nfa.process(state, event, timestamp, p.collector, startAllowed);
      p.partials += state.partialMatchCount - before;
      if (state.isEmpty) this.dropState(key!, p);
    }
    return key;
  }

  private dropState(key: KeyNfa<T>, p: Live<T, D>): void {
    key.states.delete(p.stored.id);
    p.keys--;
    if (p.stored.state === "draining" && p.keys <= 0) this.retireDue = true;
  }

  private advance(key: KeyNfa<T>, time: number): void {
    for (const [id, state] of key.states) {
      const p = this.byId.get(id);
      if (p === undefined) {
        key.states.delete(id);
        continue;
      }
      this.ctx.currentId = id;
      const before = state.partialMatchCount;
      p.nfa.advanceTime(state, time, p.collector);
      p.partials += state.partialMatchCount - before;
      if (state.isEmpty) this.dropState(key, p);
    }
  }

  /** As the static operator's: move the key's timer to its next wake, write or clear its states. */
  private finish(key: KeyNfa<T> | undefined, now: number): void {
    if (key === undefined) return;
    let wake = Number.POSITIVE_INFINITY;
    for (const [id, state] of key.states) {
      const p = this.byId.get(id);
      if (p === undefined || !p.timed) continue;
      if (state.completed.length > 0) wake = Math.min(wake, nextAfter(now));
      wake = Math.min(wake, nextDeadline(p.nfa, state));
    }
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
    if (key.states.size > 0) this.nfaState.update(key);
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

  private collectorFor(p: Live<T, D>): MatchCollector<T> {
    const ctx = this.ctx;
    const handler = this.processTimedOut;
    const emit = this.emitTimedOut;
    const timedOutTag = TIMED_OUT_TAG as unknown as OutputTag<CepTimedOut<T, K>>;
    const id = p.stored.id;
    return {
      match: (m) => {
        ctx.currentId = id;
        this.processMatch(m, ctx, ctx);
      },
      timeout:
        handler === undefined && !emit
          ? undefined
          : (m, timestamp) => {
              const saved = ctx.ts;
              ctx.ts = timestamp;
              ctx.currentId = id;
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

type KeyNfa<T> = KeyPatternStates<T>;
