import { JobError } from "../../errors.js";
import { DataStream, type KeyedStream, type OutputTag } from "../../runtime/index.js";
import type { StateKey } from "../../state/api.js";
import type { Nfa } from "../nfa/nfa.js";
import type { EventCodec } from "../serde/v1/nfa-state-codec.js";
import { CepOperator } from "./cep-operator.js";
import type { CepOperatorOptions } from "./cep-operator-base.js";
import { DynamicCepOperator } from "./dynamic-cep-operator.js";
import type { DynamicPatternsOptions, PatternUpdate } from "./dynamic-patterns.js";
import { TIMED_OUT_TAG, type CepSideOutputTag } from "./cep-tags.js";
import type {
  CepTimedOut,
  PatternFlatSelectFunction,
  PatternProcessFunction,
  PatternSelectFunction,
} from "./pattern-process-function.js";

/** How a pattern stream's operator runs. */
export interface PatternStreamSettings<T> {
  readonly timeMode: "event" | "processing";
  readonly lateTag: OutputTag<T> | undefined;
  readonly eventCodec: EventCodec<T> | undefined;
}

const EVENT_TIME: PatternStreamSettings<any> = { timeMode: "event", lateTag: undefined, eventCodec: undefined };

/** Which of the CEP operator's side outputs the job reads (set while the job is built). */
interface Requested {
  timedOut: boolean;
}

/** What both pattern streams share: time and late-data settings (each returns a new stream `S`) and the making of the output. */
export abstract class PatternStreamBase<T, K extends StateKey, S> {
  /** @internal */
  constructor(protected readonly settings: PatternStreamSettings<T>) {}

  /** Matches in event time (default): events are buffered until the watermark and matched in timestamp order. */
  inEventTime(): S {
    return this.with({ timeMode: "event" });
  }

  /** Matches in processing time: events in arrival order, time from the operator's clock, nothing late. */
  inProcessingTime(): S {
    return this.with({ timeMode: "processing" });
  }

  /** Sends late events to `tag` instead of `CEP.lateTag` (Flink's `sideOutputLateData`). */
  sideOutputLateData(tag: OutputTag<T>): S {
    return this.with({ lateTag: tag });
  }

  /** How events are written to state snapshots and LevelDB (default: JSON; events must then be JSON-safe). */
  withEventCodec(codec: EventCodec<T>): S {
    return this.with({ eventCodec: codec });
  }

  protected abstract with(changes: Partial<PatternStreamSettings<T>>): S;

  /** Checks `fn`; `build` makes the operator's stream, its operators made with `options()` (read when the job runs). */
  protected output<O>(
    fn: PatternProcessFunction<T, O, K>,
    build: (options: () => CepOperatorOptions<T>) => DataStream<O>,
  ): PatternOutputStream<O, T, K> {
    checkProcessFunction(fn);
    const requested: Requested = { timedOut: false };
    const { timeMode, lateTag, eventCodec } = this.settings;
    // timed-out matches are materialised only if their side output was asked for, after this call
    const stream = build(() => ({ timeMode, lateTag, eventCodec, emitTimedOut: requested.timedOut }));
    return new PatternOutputStream<O, T, K>(stream, requested);
  }
}

/**
 * One or several patterns applied to a keyed stream, as FlinkCEP's `PatternStream`: configure
 * time (`inEventTime`, the default, or `inProcessingTime`) and late data, then turn matches into
 * records with `process`, `select` or `flatSelect`. Immutable: each setting returns a new
 * stream. The patterns are compiled (and validated) when the stream is created.
 */
export class PatternStream<T, K extends StateKey = StateKey> extends PatternStreamBase<T, K, PatternStream<T, K>> {
  /** @internal use `CEP.pattern` / `CEP.patterns` */
  constructor(
    readonly input: KeyedStream<T, K>,
    readonly patterns: ReadonlyArray<{ readonly id: string; readonly nfa: Nfa<T> }>,
    settings: PatternStreamSettings<T> = EVENT_TIME,
  ) {
    super(settings);
  }

  /** Calls `fn` for every match; it emits with `ctx.output(value)`, `out.collect(value)` or `ctx.output(tag, value)`. */
  process<O>(fn: PatternProcessFunction<T, O, K>): PatternOutputStream<O, T, K> {
    const patterns = this.patterns.map((p) => ({ id: p.id, pattern: p.nfa }));
    return this.output(fn, (options) => this.input.transform<O>("CEP", () => new CepOperator<T, O, K>(patterns, fn, options())));
  }

  /** One record per match. */
  select<O>(fn: PatternSelectFunction<T, O, K>): PatternOutputStream<O, T, K> {
    if (typeof fn !== "function") throw new JobError("CEP select: expected a function", { code: "INVALID_ARGUMENT" });
    return this.process<O>((match, ctx, out) => out.collect(fn(match, ctx)));
  }

  /** Any number of records per match, through `out` or returned as an iterable. */
  flatSelect<O>(fn: PatternFlatSelectFunction<T, O, K>): PatternOutputStream<O, T, K> {
    if (typeof fn !== "function") throw new JobError("CEP flatSelect: expected a function", { code: "INVALID_ARGUMENT" });
    return this.process<O>((match, ctx, out) => {
      const more = fn(match, out, ctx);
      if (more !== undefined) for (const v of more) out.collect(v);
    });
  }

  protected with(changes: Partial<PatternStreamSettings<T>>): PatternStream<T, K> {
    return new PatternStream<T, K>(this.input, this.patterns, { ...this.settings, ...changes });
  }
}

/**
 * The output of a CEP operator: a `DataStream` whose `getSideOutput` knows the CEP side outputs'
 * types, and tells the operator to materialise timed-out partial matches only when that side
 * output is read.
 */
export class PatternOutputStream<O, T, K extends StateKey = StateKey> extends DataStream<O> {
  /** @internal */
  constructor(
    stream: DataStream<O>,
    private readonly requested: Requested,
  ) {
    super(stream.env, stream.transformation);
  }

  /** Timed-out partial matches (`CEP.timedOutTag`), late events (`CEP.lateTag`), or a side output of the process function. */
  override getSideOutput(tag: CepSideOutputTag<"timed-out">): DataStream<CepTimedOut<T, K>>;
  override getSideOutput(tag: CepSideOutputTag<"late">): DataStream<T>;
  override getSideOutput<X>(tag: OutputTag<X>): DataStream<X>;
  override getSideOutput<X>(tag: OutputTag<X>): DataStream<X> {
    if (tag.id === TIMED_OUT_TAG.id) this.requested.timedOut = true;
    return super.getSideOutput(tag);
  }
}

/**
 * Patterns over a keyed stream whose set changes while the job runs (`CEP.dynamicPatterns`):
 * the same settings and outputs as `PatternStream`, run by a `DynamicCepOperator` whose second,
 * broadcast input is the stream of `PatternUpdate`s.
 */
export class DynamicPatternStream<T, D, K extends StateKey = StateKey> extends PatternStreamBase<T, K, DynamicPatternStream<T, D, K>> {
  /** @internal use `CEP.dynamicPatterns` */
  constructor(
    readonly input: KeyedStream<T, K>,
    readonly updates: DataStream<PatternUpdate<D>>,
    private readonly options: DynamicPatternsOptions<T, D>,
    settings: PatternStreamSettings<T> = EVENT_TIME,
  ) {
    super(settings);
  }

  /** Calls `fn` for every match of every pattern; `ctx.patternId` names the pattern. */
  process<O>(fn: PatternProcessFunction<T, O, K>): PatternOutputStream<O, T, K> {
    const sources = this.options;
    return this.output(fn, (options) =>
      this.input
        .connect(this.updates.broadcast())
        .twoInput<O>("CEP (dynamic)", () => new DynamicCepOperator<T, O, D, K>(fn, { ...sources, ...options() })),
    );
  }

  protected with(changes: Partial<PatternStreamSettings<T>>): DynamicPatternStream<T, D, K> {
    return new DynamicPatternStream<T, D, K>(this.input, this.updates, this.options, { ...this.settings, ...changes });
  }
}

function checkProcessFunction(fn: PatternProcessFunction<any, any, any>): void {
  if (typeof fn !== "function" && (typeof fn !== "object" || fn === null || typeof fn.processMatch !== "function")) {
    throw new JobError("CEP process: expected a function or an object with processMatch()", { code: "INVALID_ARGUMENT" });
  }
}
