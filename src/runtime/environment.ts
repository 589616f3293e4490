import { JobError } from "../errors.js";
import type { StateBackendFactory } from "../state/api.js";
import { DEFAULT_MAX_PARALLELISM } from "../state/key-group.js";
import { heapBackend } from "../state/index.js";
import { DataStream } from "./datastream/data-stream.js";
import { WatermarkStrategy } from "./event-time/watermark-strategy.js";
import { buildJobGraph, describeJobGraph, type JobNode } from "./graph/job-graph.js";
import { checkParallelism, type Transformation } from "./graph/transformation.js";
import type { ExecuteResult, JobClient, JobExecutionResult } from "./job-client.js";
import { runtimeLogger, type Logger } from "./logger.js";
import { CollectionSource } from "./source/collection-source.js";
import { DataGeneratorSource } from "./source/data-generator-source.js";
import type { Source } from "./source/source.js";
import { LocalExecutor } from "./executor/local-executor.js";
import type { CheckpointSettings } from "./checkpoint/coordinator.js";
import type { CheckpointStorage } from "./checkpoint/storage.js";
import { RestartStrategies, type RestartStrategy } from "./checkpoint/restart-strategy.js";
import type { RestoreSettings } from "./checkpoint/restore.js";

/** Options of `enableCheckpointing`. */
export interface CheckpointOptions {
  /** Local directory for checkpoints (default `./vigil-checkpoints/<job name>`). */
  readonly directory?: string;
  /** Another storage (instead of `directory`). */
  readonly storage?: CheckpointStorage;
  /** Abort a checkpoint not complete after this long (ms, default 10 min). */
  readonly timeoutMs?: number;
  /** Least pause between the end of a checkpoint and the next (ms, default 0). */
  readonly minPauseMs?: number;
  /** Complete checkpoints kept (default 3). */
  readonly retained?: number;
  /** Consecutive failed checkpoints tolerated before the job fails over (default 0). */
  readonly tolerableFailures?: number;
}

/** Checkpoint settings of an environment. */
export interface CheckpointConfig extends CheckpointSettings {
  readonly storage: CheckpointStorage | undefined;
  readonly directory: string | undefined;
}

/** `streaming`: unbounded semantics (watermarks, checkpoints); `batch`: bounded input sorted by key and time; `automatic`: batch when every source is bounded. */
export type RuntimeMode = "streaming" | "batch" | "automatic";

/** Runs a job graph (the local executor, or worker threads). */
export interface Executor {
  execute(env: StreamExecutionEnvironment, jobName: string, nodes: JobNode[], batch: boolean): Promise<JobClient>;
}

type NewTransformation = Transformation extends infer X
  ? X extends Transformation
    ? Omit<X, "id" | "uid" | "parallelism" | "maxParallelism" | "chainable">
    : never
  : never;

/**
 * Where a job is built and run, as Flink's `StreamExecutionEnvironment`: sources are added,
 * transformations chained onto them, and `execute` builds the job graph and runs it.
 */
export class StreamExecutionEnvironment {
  private readonly transformations: Transformation[] = [];
  private parallelism = 1;
  private maxParallelism = DEFAULT_MAX_PARALLELISM;
  private runtimeMode: RuntimeMode = "streaming";
  private chaining = true;
  private stateBackend: StateBackendFactory = heapBackend();
  private executor: Executor = new LocalExecutor();
  private logger: Logger = runtimeLogger();
  private checkpointConfig: CheckpointConfig | undefined;
  private restartStrategy: RestartStrategy | undefined;
  private restoreSettings: RestoreSettings | undefined;

  /** A new environment (Flink's `getExecutionEnvironment`). */
  static getExecutionEnvironment(): StreamExecutionEnvironment {
    return new StreamExecutionEnvironment();
  }

  /** Default parallelism of every operator that does not set its own. */
  setParallelism(parallelism: number): this {
    this.parallelism = checkParallelism(parallelism);
    return this;
  }

  getParallelism(): number {
    return this.parallelism;
  }

  /** Number of key groups (the upper bound of parallelism for keyed state; fixed for a job's lifetime). */
  setMaxParallelism(maxParallelism: number): this {
    if (!Number.isInteger(maxParallelism) || maxParallelism < 1 || maxParallelism > 32768) {
      throw new JobError(`setMaxParallelism: expected an integer in 1..32768, got ${maxParallelism}`);
    }
    this.maxParallelism = maxParallelism;
    return this;
  }

  getMaxParallelism(): number {
    return this.maxParallelism;
  }

  setRuntimeMode(mode: RuntimeMode): this {
    if (mode !== "streaming" && mode !== "batch" && mode !== "automatic") {
      throw new JobError(`setRuntimeMode: expected "streaming", "batch" or "automatic", got ${String(mode)}`);
    }
    this.runtimeMode = mode;
    return this;
  }

  getRuntimeMode(): RuntimeMode {
    return this.runtimeMode;
  }

  /** Where keyed state lives: `heapBackend()` (default) or `levelDbBackend({ directory })`. */
  setStateBackend(backend: StateBackendFactory): this {
    this.stateBackend = backend;
    return this;
  }

  getStateBackend(): StateBackendFactory {
    return this.stateBackend;
  }

  /** Runs jobs with another executor (e.g. worker threads). */
  setExecutor(executor: Executor): this {
    this.executor = executor;
    return this;
  }

  /**
   * Takes a checkpoint every `intervalMs` (Flink's `enableCheckpointing`): aligned barriers, state
   * stored in `options.directory` (default `./vigil-checkpoints/<job name>`) or a given storage,
   * the last `retained` (default 3) kept. Sinks that support it then write exactly once. A job
   * with checkpoints restarts after a failure (see `setRestartStrategy`) from the latest one.
   */
  enableCheckpointing(intervalMs: number, options: CheckpointOptions = {}): this {
    if (!(Number.isFinite(intervalMs) && intervalMs >= 0)) {
      throw new JobError(`enableCheckpointing: expected an interval in ms >= 0 (0: only on request), got ${intervalMs}`, { code: "INVALID_ARGUMENT" });
    }
    const count = (name: string, v: number | undefined, d: number, min: number) => {
      const n = v ?? d;
      if (!(Number.isInteger(n) && n >= min)) throw new JobError(`enableCheckpointing: ${name} must be an integer >= ${min}, got ${v}`, { code: "INVALID_ARGUMENT" });
      return n;
    };
    this.checkpointConfig = {
      intervalMs,
      timeoutMs: count("timeoutMs", options.timeoutMs, 600_000, 1),
      minPauseMs: count("minPauseMs", options.minPauseMs, 0, 0),
      retained: count("retained", options.retained, 3, 1),
      tolerableFailures: count("tolerableFailures", options.tolerableFailures, 0, 0),
      storage: options.storage,
      directory: options.directory,
    };
    return this;
  }

  /** The checkpoint settings, if checkpointing is enabled. */
  getCheckpointConfig(): CheckpointConfig | undefined {
    return this.checkpointConfig;
  }

  /** How the job restarts after a failure; default: exponential delay with checkpoints, none without. */
  setRestartStrategy(strategy: RestartStrategy): this {
    this.restartStrategy = strategy;
    return this;
  }

  getRestartStrategy(): RestartStrategy {
    return this.restartStrategy ?? (this.checkpointConfig !== undefined ? RestartStrategies.exponentialDelay() : RestartStrategies.noRestart());
  }

  /**
   * Starts the job from a savepoint or checkpoint directory (Flink's `-s <path>`): operators are
   * matched by uid, key groups redistributed to the current parallelism, sources resume from
   * their stored positions.
   */
  restoreFrom(path: string, options: { allowNonRestoredState?: boolean } = {}): this {
    this.restoreSettings = { path, allowNonRestoredState: options.allowNonRestoredState ?? false };
    return this;
  }

  getRestoreSettings(): RestoreSettings | undefined {
    return this.restoreSettings;
  }

  setLogger(logger: Logger): this {
    this.logger = logger;
    return this;
  }

  getLogger(): Logger {
    return this.logger;
  }

  disableOperatorChaining(): this {
    this.chaining = false;
    return this;
  }

  /** A bounded stream of the given elements (parallelism 1), without timestamps. */
  fromElements<T>(...elements: T[]): DataStream<T> {
    return this.fromCollection(elements);
  }

  /** A bounded stream of an array's elements (parallelism 1), without timestamps. */
  fromCollection<T>(elements: readonly T[], name = "Collection Source"): DataStream<T> {
    return this.fromSource(new CollectionSource(elements), WatermarkStrategy.noWatermarks<T>(), name);
  }

  /** The numbers `from` to `to` inclusive, as a parallel bounded source (Flink's `fromSequence`). */
  fromSequence(from: number, to: number): DataStream<number> {
    const count = Math.max(0, to - from + 1);
    return this.fromSource(new DataGeneratorSource((i) => from + i, count), WatermarkStrategy.noWatermarks<number>(), "Sequence Source");
  }

  /** A stream read from a source, with timestamps and watermarks from the strategy. */
  fromSource<T>(source: Source<T, any>, watermarkStrategy: WatermarkStrategy<T>, name: string): DataStream<T> {
    const t = this.addTransformation({ kind: "source", name, source, watermarkStrategy });
    return new DataStream<T>(this, t);
  }

  /** Adds a node to the job (operators and streams call this). */
  addTransformation(t: NewTransformation): Transformation {
    const full = {
      uid: undefined,
      parallelism: undefined,
      maxParallelism: undefined,
      chainable: true,
      ...t,
      id: this.transformations.length,
    } as Transformation;
    this.transformations.push(full);
    return full;
  }

  /** The job graph `execute` would run, one line per operator. */
  describe(): string {
    return describeJobGraph(this.jobGraph());
  }

  /** Builds the physical job graph (parallelism resolved, edges and chains). */
  jobGraph(): JobNode[] {
    return buildJobGraph(this.transformations, {
      defaultParallelism: this.parallelism,
      maxParallelism: this.maxParallelism,
      chaining: this.chaining,
    });
  }

  /** Whether the job would run in batch mode. */
  isBatch(nodes: readonly JobNode[] = this.jobGraph()): boolean {
    const bounded = nodes.every((n) => n.t.kind !== "source" || n.t.source.boundedness === "bounded");
    if (this.runtimeMode === "batch" && !bounded) {
      const s = nodes.find((n) => n.t.kind === "source" && n.t.source.boundedness !== "bounded");
      throw new JobError(`batch mode needs bounded sources, but "${s?.name}" is continuous`, { code: "JOB_INVALID" });
    }
    return this.runtimeMode === "batch" || (this.runtimeMode === "automatic" && bounded);
  }

  /** Starts the job and returns a client for it straight away. */
  async executeAsync(jobName = "Vigil Job"): Promise<JobClient> {
    const nodes = this.jobGraph();
    if (!nodes.some((n) => n.t.kind === "sink")) {
      throw new JobError("the job has no sink: add one with sinkTo(...) before execute()", { code: "JOB_INVALID" });
    }
    return this.executor.execute(this, jobName, nodes, this.isBatch(nodes));
  }

  /**
   * Runs the job. A bounded job (every source bounded) resolves when it finishes, with its result;
   * an unbounded one resolves once running, with a client to query and cancel it.
   */
  async execute(jobName = "Vigil Job"): Promise<ExecuteResult> {
    const client = await this.executeAsync(jobName);
    const bounded = this.jobGraph().every((n) => n.t.kind !== "source" || n.t.source.boundedness === "bounded");
    if (!bounded) return { kind: "running", client };
    const result: JobExecutionResult = await client.getJobExecutionResult();
    return { kind: "finished", ...result };
  }
}
