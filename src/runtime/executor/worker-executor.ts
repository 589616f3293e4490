import { MessageChannel, Worker, type MessagePort } from "node:worker_threads";
import { JobError } from "../../errors.js";
import type { CheckpointBarrier, SnapshotKind } from "../checkpoint/barrier.js";
import type { RestorePlan } from "../checkpoint/restore.js";
import type { Executor, StreamExecutionEnvironment } from "../environment.js";
import { describeJobGraph, type JobNode } from "../graph/job-graph.js";
import type { JobClient } from "../job-client.js";
import type { Logger } from "../logger.js";
import { CollectSink } from "../sink/collect-sink.js";
import { runJob, type AttemptSettings, type CheckpointHooks, type RunningAttempt } from "./job-runner.js";
import type { FromWorker, ToWorker, WorkerRestore, WorkerSetup } from "./worker-protocol.js";

export interface WorkerExecutorOptions {
  /** The module whose export builds the job (`(env) => void`); every worker imports it. */
  jobModule: URL | string;
  /** Name of the export (default "default"). */
  exportName?: string;
  /** Worker threads (default: the job's largest parallelism). Subtask i runs on worker i mod threads. */
  threads?: number;
  /** Node options for the workers. */
  execArgv?: string[];
}

const here = import.meta.url;
/** The worker entry beside this file; under a TypeScript loader (tests) it is the .ts source. */
const workerEntry = new URL(here.endsWith(".ts") ? "./worker-main.ts" : "./worker-main.js", here);

/**
 * Runs a job on `worker_threads`, one thread per slot, so a job uses the machine's cores. User
 * functions cannot cross threads, so the job is described by a module: every worker imports it and
 * builds the same job graph (checked against the main thread's), then runs the subtasks placed on it.
 * Records and checkpoint barriers cross threads in batches over message ports, with credit-based
 * backpressure; a `CollectSink`'s records are sent back to the main thread's sink at the end.
 *
 * Checkpoints work as with the local executor: the coordinator runs in the main thread, barriers
 * go to the source subtasks in the workers, and each subtask's snapshot comes back with its
 * acknowledgement. A failure stops every worker and starts new ones from the latest checkpoint.
 *
 * Metrics: `JobClient.getMetrics()` reports what the main thread knows, the checkpoint
 * statistics and restarts; the subtasks' watermarks, state sizes, backpressure and registered
 * gauges stay in the workers (`subtasksReported` is false, `subtasks` empty).
 */
export class WorkerExecutor implements Executor {
  constructor(private readonly options: WorkerExecutorOptions) {}

  execute(env: StreamExecutionEnvironment, jobName: string, nodes: JobNode[], batch: boolean): Promise<JobClient> {
    const threads = this.options.threads ?? Math.max(...nodes.map((n) => n.parallelism));
    return runJob(env, jobName, nodes, batch, (settings) => WorkerAttempt.start(this.options, threads, jobName, nodes, settings));
  }
}

/** One run of the job's workers. */
class WorkerAttempt implements RunningAttempt {
  private settle!: { resolve: () => void; reject: (e: unknown) => void };
  private readonly done = new Promise<void>((resolve, reject) => (this.settle = { resolve, reject }));
  private state: "starting" | "running" | "ended" = "starting";
  private ended = 0;
  private notifySeq = 0;
  private readonly notifying = new Map<number, { left: number; errors: string[]; resolve: () => void; reject: (e: unknown) => void }>();
  /** Workers whose local sources all wait for the final checkpoint. */
  private readonly atEnd = new Set<number>();
  private withSources = 0;
  taskCount = 0;

  private constructor(
    private readonly workers: Worker[],
    private readonly nodes: readonly JobNode[],
    private readonly checkpoints: CheckpointHooks | undefined,
    private readonly log: Logger,
  ) {
    this.done.catch(() => {});
  }

  static async start(options: WorkerExecutorOptions, threads: number, jobName: string, nodes: JobNode[], settings: AttemptSettings): Promise<WorkerAttempt> {
    const moduleUrl = options.jobModule instanceof URL ? options.jobModule.href : options.jobModule;
    const execArgv = options.execArgv ?? [];
    // Under a TypeScript loader (the test runner) workers load the .ts sources through tsx.
    const spawn = (setup: WorkerSetup) =>
      here.endsWith(".ts")
        ? new Worker(
            `import(${JSON.stringify("tsx/esm/api")}).then((t) => { t.register(); return import(${JSON.stringify(workerEntry.href)}); })`,
            { eval: true, workerData: setup, execArgv },
          )
        : new Worker(workerEntry, { workerData: setup, execArgv });
    const workers: Worker[] = [];
    for (let i = 0; i < threads; i++) {
      workers.push(
        spawn({
          jobModule: moduleUrl,
          exportName: options.exportName ?? "default",
          workerIndex: i,
          workers: threads,
          jobName,
          attempt: settings.attempt,
          checkpointing: settings.checkpointing,
          acknowledges: settings.checkpoints !== undefined,
        }),
      );
    }
    const attempt = new WorkerAttempt(workers, nodes, settings.checkpoints, settings.log);
    try {
      await attempt.connect(settings.from);
    } catch (e) {
      await attempt.close();
      throw e;
    }
    attempt.state = "running";
    for (const w of workers) w.postMessage({ kind: "start" } satisfies ToWorker);
    settings.log.info({ threads }, "job running on worker threads");
    return attempt;
  }

  /** Wires the workers to each other, hands each its restored state, and waits until all are ready. */
  private connect(from: RestorePlan | undefined): Promise<void> {
    const threads = this.workers.length;
    const expected = describeJobGraph(this.nodes);
    const ports: Array<Array<MessagePort | undefined>> = this.workers.map(() => this.workers.map(() => undefined));
    for (let a = 0; a < threads; a++) {
      for (let b = a + 1; b < threads; b++) {
        const ch = new MessageChannel();
        ports[a][b] = ch.port1;
        ports[b][a] = ch.port2;
      }
    }
    let ready = 0;
    return new Promise<void>((resolve, reject) => {
      this.done.catch(reject);
      this.workers.forEach((w, i) => {
        w.on("error", (e) => this.fail(e));
        w.on("exit", (code) => {
          if (code !== 0 && this.state !== "ended") this.fail(new Error(`worker ${i} exited with code ${code}`));
        });
        w.on("message", (m: FromWorker) => {
          if (m.kind === "ready") {
            if (m.graph !== expected) {
              this.fail(new Error(`worker ${i} built a different job graph than the main thread:\n${m.graph}\nvs\n${expected}`));
              return;
            }
            this.taskCount += m.taskCount;
            if (m.sources > 0) this.withSources++;
            if (++ready === threads) resolve();
          } else {
            this.onMessage(i, m);
          }
        });
        const own = ports[i];
        const restore = from === undefined ? undefined : restoreFor(from, this.nodes, i, threads);
        w.postMessage({ kind: "ports", ports: own, restore } satisfies ToWorker, own.filter((p): p is MessagePort => p !== undefined));
      });
    });
  }

  private onMessage(worker: number, m: FromWorker): void {
    switch (m.kind) {
      case "ack":
        this.checkpoints?.acknowledge(m.barrier, Promise.resolve(m.snapshot));
        break;
      case "ack-failed":
        this.checkpoints?.acknowledge(m.barrier, Promise.reject(new Error(`worker ${worker}: ${m.message}`)));
        break;
      case "final-checkpoint":
        this.atEnd.add(worker);
        if (this.atEnd.size === this.withSources) this.takeFinalCheckpoint();
        break;
      case "notified": {
        const n = this.notifying.get(m.seq);
        if (n === undefined) break;
        if (m.error !== undefined) n.errors.push(`worker ${worker}: ${m.error}`);
        if (--n.left === 0) {
          this.notifying.delete(m.seq);
          if (n.errors.length > 0) n.reject(new Error(n.errors.join("; ")));
          else n.resolve();
        }
        break;
      }
      case "finished":
        for (const c of m.collected) {
          const node = this.nodes.find((n) => n.id === c.nodeId);
          if (node?.t.kind === "sink" && node.t.sink instanceof CollectSink) node.t.sink.records.push(...c.records);
        }
        this.workerEnded();
        break;
      case "cancelled":
        this.workerEnded();
        break;
      case "failed": {
        const err = new Error(m.message);
        err.stack = m.stack;
        this.fail(err);
        break;
      }
    }
  }

  private takeFinalCheckpoint(): void {
    const waiting = [...this.atEnd];
    this.atEnd.clear();
    const reply = (ok: boolean) => {
      for (const i of waiting) this.workers[i].postMessage({ kind: "final-checkpoint", ok } satisfies ToWorker);
    };
    this.checkpoints!.finalCheckpoint().then(
      () => reply(true),
      () => reply(false), // the workers try again
    );
  }

  private workerEnded(): void {
    if (++this.ended < this.workers.length) return;
    for (const n of this.nodes) if (n.t.kind === "sink" && n.t.sink instanceof CollectSink) n.t.sink.finished = true;
    this.state = "ended";
    this.settle.resolve();
  }

  private post(m: ToWorker): void {
    for (const w of this.workers) w.postMessage(m);
  }

  injectBarrier(barrier: CheckpointBarrier, stop: boolean): void {
    this.post({ kind: "barrier", barrier, stop });
  }

  notifyCheckpointComplete(id: number, kind: SnapshotKind): Promise<void> {
    return this.notify(id, kind);
  }

  notifyCheckpointAborted(id: number): Promise<void> {
    return this.notify(id, "aborted");
  }

  /** Tells every worker the outcome of a checkpoint; resolves when all have acted on it (sinks committed). */
  private notify(checkpointId: number, outcome: SnapshotKind | "aborted"): Promise<void> {
    if (this.state === "ended") return Promise.resolve();
    const seq = ++this.notifySeq;
    return new Promise<void>((resolve, reject) => {
      this.notifying.set(seq, { left: this.workers.length, errors: [], resolve, reject });
      this.post({ kind: "notify", seq, checkpointId, outcome });
    });
  }

  run(): Promise<void> {
    return this.done;
  }

  fail(error: unknown): void {
    if (this.state === "ended") return;
    this.state = "ended";
    for (const n of this.notifying.values()) n.reject(error);
    this.notifying.clear();
    this.log.error({ err: error }, "worker failed; stopping the job's workers");
    for (const w of this.workers) void w.terminate();
    this.settle.reject(error);
  }

  cancel(): void {
    if (this.state !== "ended") this.post({ kind: "cancel" });
  }

  async close(): Promise<void> {
    this.state = "ended";
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

/** The restored splits and operator snapshots of the subtasks that run on worker `worker`. */
function restoreFor(plan: RestorePlan, nodes: readonly JobNode[], worker: number, threads: number): WorkerRestore {
  const restore: WorkerRestore = { splits: [], operators: [] };
  for (const node of nodes) {
    for (let s = worker; s < node.parallelism; s += threads) {
      if (node.t.kind === "source") {
        const splits = plan.splits(node, s);
        if (splits !== undefined) restore.splits.push([node.id, s, splits]);
      } else {
        const ops = plan.operators(node, s);
        if (ops !== undefined) restore.operators.push([node.id, s, ops]);
      }
    }
  }
  return restore;
}
