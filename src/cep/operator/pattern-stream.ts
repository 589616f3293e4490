import { JobError } from "../../errors.js";
import { DataStream, type KeyedStream, type OutputTag } from "../../runtime/index.js";
import type { StateKey } from "../../state/api.js";
import type { Nfa } from "../nfa/nfa.js";
import type { EventCodec } from "../serde/v1/nfa-state-codec.js";
import { CepOperator } from "./cep-operator.js";
import { DynamicCepOperator } from "./dynamic-cep-operator.js";
import type { PatternDefinition, PatternFactory, PatternSetChange, PatternUpdate } from "./dynamic-patterns.js";
import { TIMED_OUT_TAG, type CepSideOutputTag } from "./cep-tags.js";
import type {
  CepTimedOut,
  PatternFlatSelectFunction,
  PatternProcessFunction,
  PatternSelectFunction,
} from "./pattern-process-function.js";

interface Settings<T> {
  readonly timeMode: "event" | "processing";
  readonly lateTag: OutputTag<T> | undefined;
  readonly eventCodec: EventCodec<T> | undefined;
}

/** Which of the CEP operator's side outputs the job reads (set while the job is built). */
interface Requested {
  timedOut: boolean;
}

/**
 * One or several patterns applied to a keyed stream, as FlinkCEP's `PatternStream`: configure
 * time (`inEventTime`, the default, or `inProcessingTime`) and late data, then turn matches into
 * records with `process`, `select` or `flatSelect`. Immutable: each setting returns a new
 * stream. The patterns are compiled (and validated) when the stream is created.
 */
export class PatternStream<T, K extends StateKey = StateKey> {
  /** @internal use `CEP.pattern` / `CEP.patterns` */
  constructor(
    readonly input: KeyedStream<T, K>,
    readonly patterns: ReadonlyArray<{ readonly id: string; readonly nfa: Nfa<T> }>,
    private readonly settings: Settings<T> = { timeMode: "event", lateTag: undefined, eventCodec: undefined },
  ) {}

  /** Matches in event time (default): events are buffered until the watermark and matched in timestamp order. */
  inEventTime(): PatternStream<T, K> {
    return this.with({ timeMode: "event" });
  }

  /** Matches in processing time: events in arrival order, time from the operator's clock, nothing late. */
  inProcessingTime(): PatternStream<T, K> {
    return this.with({ timeMode: "processing" });
  }

  /** Sends late events to `tag` instead of `CEP.lateTag` (Flink's `sideOutputLateData`). */
  sideOutputLateData(tag: OutputTag<T>): PatternStream<T, K> {
    return this.with({ lateTag: tag });
  }

  /** How events are written to state snapshots and LevelDB (default: JSON; events must then be JSON-safe). */
  withEventCodec(codec: EventCodec<T>): PatternStream<T, K> {
    return this.with({ eventCodec: codec });
  }

  /** Calls `fn` for every match; it emits with `ctx.output(value)`, `out.collect(value)` or `ctx.output(tag, value)`. */
  process<O>(fn: PatternProcessFunction<T, O, K>): PatternOutputStream<O, T, K> {
    if (typeof fn !== "function" && (typeof fn !== "object" || fn === null || typeof fn.processMatch !== "function")) {
      throw new JobError("CEP process: expected a function or an object with processMatch()", { code: "INVALID_ARGUMENT" });
    }
    const requested: Requested = { timedOut: false };
    const { timeMode, lateTag, eventCodec } = this.settings;
    const patterns = this.patterns.map((p) => ({ id: p.id, pattern: p.nfa }));
    const stream = this.input.transform<O>(
      "CEP",
      () => new CepOperator<T, O, K>(patterns, fn, { timeMode, lateTag, eventCodec, emitTimedOut: requested.timedOut }),
    );
    return new PatternOutputStream<O, T, K>(stream, requested);
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

  private with(changes: Partial<Settings<T>>): PatternStream<T, K> {
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

/** What `CEP.dynamicPatterns` needs besides the streams. */
export interface DynamicPatternsOptions<T, D> {
  /** The patterns to run at start (and after a restart: called again, it should give the set wanted then). */
  readonly initial: ReadonlyArray<PatternDefinition<D>> | (() => ReadonlyArray<PatternDefinition<D>>);
  /** Makes a pattern of a definition; throws when it cannot (the update is then rejected and logged). */
  readonly factory: PatternFactory<T, D>;
  /** Restored patterns whose name `initial` does not list are removed (default true). */
  readonly removeUnlisted?: boolean;
  /** In-process listener of pattern-set changes (added, draining, retired, removed, rejected). */
  readonly onChange?: (change: PatternSetChange) => void;
}

/**
 * Patterns over a keyed stream whose set changes while the job runs (`CEP.dynamicPatterns`):
 * the same settings and outputs as `PatternStream`, run by a `DynamicCepOperator` whose second,
 * broadcast input is the stream of `PatternUpdate`s.
 */
export class DynamicPatternStream<T, D, K extends StateKey = StateKey> {
  /** @internal use `CEP.dynamicPatterns` */
  constructor(
    readonly input: KeyedStream<T, K>,
    readonly updates: DataStream<PatternUpdate<D>>,
    private readonly options: DynamicPatternsOptions<T, D>,
    private readonly settings: Settings<T> = { timeMode: "event", lateTag: undefined, eventCodec: undefined },
  ) {}

  inEventTime(): DynamicPatternStream<T, D, K> {
    return this.with({ timeMode: "event" });
  }

  inProcessingTime(): DynamicPatternStream<T, D, K> {
    return this.with({ timeMode: "processing" });
  }

  sideOutputLateData(tag: OutputTag<T>): DynamicPatternStream<T, D, K> {
    return this.with({ lateTag: tag });
  }

  withEventCodec(codec: EventCodec<T>): DynamicPatternStream<T, D, K> {
    return this.with({ eventCodec: codec });
  }

  /** Calls `fn` for every match of every pattern; `ctx.patternId` names the pattern. */
  process<O>(fn: PatternProcessFunction<T, O, K>): PatternOutputStream<O, T, K> {
    if (typeof fn !== "function" && (typeof fn !== "object" || fn === null || typeof fn.processMatch !== "function")) {
      throw new JobError("CEP process: expected a function or an object with processMatch()", { code: "INVALID_ARGUMENT" });
    }
    const requested: Requested = { timedOut: false };
    const { timeMode, lateTag, eventCodec } = this.settings;
    const options = this.options;
    const stream = this.input
      .connect(this.updates.broadcast())
      .twoInput<O>("CEP (dynamic)", () => new DynamicCepOperator<T, O, D, K>(fn, { ...options, timeMode, lateTag, eventCodec, emitTimedOut: requested.timedOut }));
    return new PatternOutputStream<O, T, K>(stream, requested);
  }

  private with(changes: Partial<Settings<T>>): DynamicPatternStream<T, D, K> {
    return new DynamicPatternStream<T, D, K>(this.input, this.updates, this.options, { ...this.settings, ...changes });
  }
}
