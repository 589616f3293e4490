import type { OperatorContext, TwoInputOperator } from "../../runtime/index.js";
import type { KeyedStateBackend, StateKey, ValueState } from "../../state/api.js";
import { compile } from "../compile.js";
import type { MatchCollector, Nfa } from "../nfa/nfa.js";
import { Pattern } from "../pattern/pattern.js";
import { CEP_BUFFER_STATE, CEP_NFA_STATE, CepOperatorBase, type CepOperatorOptions } from "./cep-operator-base.js";
import {
  CEP_PATTERNS_STATE,
  dynamicStatesSerializer,
  invalidUpdate,
  type DynamicPatternsOptions,
  type KeyPatternStates,
  type PatternDefinition,
  type PatternSetChange,
  type PatternUpdate,
  type StoredPattern,
} from "./dynamic-patterns.js";
import { combinedInertConditions, isTimed, stateWake } from "./nfa-wake.js";
import type { PatternProcessFunction } from "./pattern-process-function.js";

/** How a dynamic CEP operator runs, and gets and makes its patterns. */
export interface DynamicCepOptions<T, D> extends CepOperatorOptions<T>, DynamicPatternsOptions<T, D> {}

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
  readonly collector: MatchCollector<T>;
}

/**
 * The keyed CEP operator with a pattern set that changes while it runs, Flink's way: pattern
 * updates (`PatternUpdate`) arrive on a broadcast input, so every subtask applies the same
 * changes, and the set (documents, state, bounds) lives in broadcast state, so a checkpoint
 * restores it. Matching is the static `CepOperator`'s (`CepOperatorBase`: one event buffer per
 * key, per pattern an NFA state, one timer per key, inert events skipped); per key the states are
 * held by pattern id.
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
export class DynamicCepOperator<T, O, D, K extends StateKey = StateKey>
  extends CepOperatorBase<T, O, K, KeyPatternStates<T>>
  implements TwoInputOperator<T, PatternUpdate<D>, O>
{
  private patterns: Live<T, D>[] = [];
  private readonly byId = new Map<string, Live<T, D>>();
  private backend!: KeyedStateBackend;
  private store!: Map<string, StoredPattern<D>>;
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
    fn: PatternProcessFunction<T, O, K>,
    private readonly options: DynamicCepOptions<T, D>,
  ) {
    super(fn, options);
  }

  /** Ids and states of the running set, in order (for tests and status pages). */
  get patternSet(): Array<{ id: string; name: string; state: "active" | "draining"; keys: number }> {
    return this.patterns.map((p) => ({ id: p.stored.id, name: p.stored.name, state: p.stored.state, keys: p.keys }));
  }

  async open(ctx: OperatorContext<O>): Promise<void> {
    const backend = this.openCep(ctx, "dynamic CEP");
    this.backend = backend;
    this.store = ctx.operatorState.getBroadcastState<string, StoredPattern<D>>(CEP_PATTERNS_STATE);

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
          this.detach(p, "removed");
          dropped.push(p.stored.id);
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
    }) as ValueState<KeyPatternStates<T>>;
    await this.openFunction(ctx);
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
      timed: isTimed(nfa),
      startFrom: stored.startFrom ?? Number.NEGATIVE_INFINITY,
      startUntil: stored.startUntil ?? Number.POSITIVE_INFINITY,
      keys: 0,
      partials: 0,
      collector: this.collectorFor(stored.id),
    };
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

  /** Drops `p` from the set, logs `message` and tells the listener; its keyed state is left to `purge`. */
  private detach(p: Live<T, D>, kind: "removed" | "retired", message?: string): void {
    this.patterns = this.patterns.filter((x) => x !== p);
    this.byId.delete(p.stored.id);
    this.store.delete(p.stored.id);
    this.refreshInert();
    if (message !== undefined) this.opCtx.log.info({ pattern: p.stored.id }, message);
    this.notify({ kind, id: p.stored.id, name: p.stored.name });
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
    for (const p of ps) this.detach(p, "removed", "pattern removed with its state");
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
    this.forEachKey((ks) => {
      let changed = false;
      for (const id of [...ks.states.keys()]) {
        if (ids.has(id) || !this.byId.has(id)) {
          ks.states.delete(id);
          changed = true;
        }
      }
      if (changed) this.finish(ks, now);
    });
  }

  /** Calls `fn` with each key's states, that key current (a pass over every key of the subtask). */
  private forEachKey(fn: (ks: KeyPatternStates<T>) => void): void {
    for (const key of this.backend.getKeys(CEP_NFA_STATE)) {
      this.backend.setCurrentKey(key);
      const ks = this.nfaState.value();
      if (ks !== undefined) fn(ks);
    }
  }

  /** Counts, per pattern, the keys holding state for it (a pass over every key). */
  private recount(): void {
    for (const p of this.patterns) {
      p.keys = 0;
      p.partials = 0;
    }
    this.forEachKey((ks) => {
      for (const [id, state] of ks.states) {
        const p = this.byId.get(id);
        if (p === undefined) continue;
        p.keys++;
        p.partials += state.partialMatchCount;
      }
    });
    this.countsExact = true;
    this.retireDue = true;
  }

  /** Drops draining patterns that can start nothing more and that no key holds state for. */
  private retireDrained(): void {
    this.retireDue = false;
    const watermark = this.timers.currentWatermark();
    const done = this.patterns.filter((p) => p.stored.state === "draining" && p.keys <= 0 && (this.processingTime || watermark >= p.startUntil));
    for (const p of done) {
      this.detach(p, "retired", "pattern drained: its partial matches are done, dropped");
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
    // read only in event time (`switchTime`)
    if (timestamp > this.maxSeen) this.maxSeen = timestamp;
    this.processEvent(value, timestamp);
  }

  processWatermark(watermark: number): void {
    if (this.retireDue || this.patterns.some((p) => p.stored.state === "draining" && p.keys <= 0)) this.retireDrained();
    this.opCtx.output.emitWatermark(watermark);
  }

  protected override processNow(value: T): void {
    super.processNow(value);
    if (this.retireDue) this.retireDrained();
  }

  protected override advanceNow(): void {
    super.advanceNow();
    if (this.retireDue) this.retireDrained();
  }

  protected feed(key: KeyPatternStates<T> | undefined, event: T, timestamp: number): KeyPatternStates<T> | undefined {
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
      ctx.patternId = p.stored.id;
      p.nfa.process(state, event, timestamp, p.collector, startAllowed);
      p.partials += state.partialMatchCount - before;
      if (state.isEmpty) this.dropState(key!, p);
    }
    return key;
  }

  private dropState(key: KeyPatternStates<T>, p: Live<T, D>): void {
    key.states.delete(p.stored.id);
    p.keys--;
    if (p.stored.state === "draining" && p.keys <= 0) this.retireDue = true;
  }

  protected advance(key: KeyPatternStates<T>, time: number): void {
    for (const [id, state] of key.states) {
      const p = this.byId.get(id);
      if (p === undefined) {
        key.states.delete(id);
        continue;
      }
      this.ctx.patternId = id;
      const before = state.partialMatchCount;
      p.nfa.advanceTime(state, time, p.collector);
      p.partials += state.partialMatchCount - before;
      if (state.isEmpty) this.dropState(key, p);
    }
  }

  protected nextWake(key: KeyPatternStates<T>, now: number): number {
    let wake = Number.POSITIVE_INFINITY;
    for (const [id, state] of key.states) {
      const p = this.byId.get(id);
      if (p !== undefined && p.timed) wake = Math.min(wake, stateWake(p.nfa, state, now));
    }
    return wake;
  }

  protected inProgress(key: KeyPatternStates<T>): boolean {
    return key.states.size > 0;
  }
}
