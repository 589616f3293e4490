import { randomUUID } from "node:crypto";
import { MessageChannel, Worker, type MessagePort } from "node:worker_threads";
import { JobError } from "../../errors.js";
import type { Executor, StreamExecutionEnvironment } from "../environment.js";
import { describeJobGraph, type JobNode } from "../graph/job-graph.js";
import type { JobClient, JobExecutionResult, JobStatus } from "../job-client.js";
import { CollectSink } from "../sink/collect-sink.js";
import type { FromWorker, ToWorker, WorkerSetup } from "./worker-protocol.js";

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
 * Records cross threads in batches over message ports, with credit-based backpressure; a
 * `CollectSink`'s records are sent back to the main thread's sink at the end.
 */
export class WorkerExecutor implements Executor {
  constructor(private readonly options: WorkerExecutorOptions) {}

  async execute(env: StreamExecutionEnvironment, jobName: string, nodes: JobNode[]): Promise<JobClient> {
    if (env.getCheckpointConfig() !== undefined) throw unsupported("checkpoints");
    const jobId = randomUUID();
    const log = env.getLogger().child({ jobId, job: jobName });
    const threads = this.options.threads ?? Math.max(...nodes.map((n) => n.parallelism));
    const moduleUrl = this.options.jobModule instanceof URL ? this.options.jobModule.href : this.options.jobModule;
    const expected = describeJobGraph(nodes);
    const execArgv = this.options.execArgv ?? [];
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
      const setup: WorkerSetup = {
        jobModule: moduleUrl,
        exportName: this.options.exportName ?? "default",
        workerIndex: i,
        workers: threads,
        jobName,
      };
      workers.push(spawn(setup));
    }
    // one port pair per pair of workers
    const ports: Array<Array<MessagePort | undefined>> = workers.map(() => workers.map(() => undefined));
    for (let a = 0; a < threads; a++) {
      for (let b = a + 1; b < threads; b++) {
        const ch = new MessageChannel();
        ports[a][b] = ch.port1;
        ports[b][a] = ch.port2;
      }
    }

    let status: JobStatus = "CREATED";
    const start = performance.now();
    let settle!: { resolve: (r: JobExecutionResult) => void; reject: (e: unknown) => void };
    const result = new Promise<JobExecutionResult>((resolve, reject) => (settle = { resolve, reject }));
    result.catch(() => {});
    let ready = 0;
    let finished = 0;
    let readyResolve!: () => void;
    let readyReject!: (e: unknown) => void;
    const allReady = new Promise<void>((resolve, reject) => ((readyResolve = resolve), (readyReject = reject)));
    allReady.catch(() => {});

    const fail = (e: unknown) => {
      if (status === "FAILED" || status === "FINISHED" || status === "CANCELED") return;
      status = "FAILED";
      for (const w of workers) void w.terminate();
      const err = new JobError(`job "${jobName}" failed: ${(e as Error).message}`, { code: "JOB_FAILED", cause: e });
      log.error({ err: e }, "job failed");
      readyReject(err);
      settle.reject(err);
    };

    workers.forEach((w, i) => {
      w.on("error", fail);
      w.on("exit", (code) => {
        if (code !== 0 && status === "RUNNING") fail(new Error(`worker ${i} exited with code ${code}`));
      });
      w.on("message", (m: FromWorker) => {
        switch (m.kind) {
          case "ready":
            if (m.graph !== expected) {
              fail(new Error(`worker ${i} built a different job graph than the main thread:\n${m.graph}\nvs\n${expected}`));
              return;
            }
            if (++ready === threads) readyResolve();
            break;
          case "finished":
            for (const c of m.collected) {
              const node = nodes.find((n) => n.id === c.nodeId);
              if (node?.t.kind === "sink" && node.t.sink instanceof CollectSink) node.t.sink.records.push(...c.records);
            }
            if (++finished === threads) {
              status = "FINISHED";
              for (const n of nodes) if (n.t.kind === "sink" && n.t.sink instanceof CollectSink) n.t.sink.finished = true;
              for (const w2 of workers) void w2.terminate();
              settle.resolve({ jobId, jobName, netRuntimeMs: performance.now() - start });
            }
            break;
          case "cancelled":
            if (++finished === threads) {
              status = "CANCELED";
              for (const w2 of workers) void w2.terminate();
              settle.reject(new JobError(`job "${jobName}" was cancelled`, { code: "JOB_CANCELLED" }));
            }
            break;
          case "failed": {
            const err = new Error(m.message);
            err.stack = m.stack;
            fail(err);
            break;
          }
        }
      });
      const own = ports[i];
      w.postMessage({ kind: "ports", ports: own } satisfies ToWorker, own.filter((p): p is MessagePort => p !== undefined));
    });

    try {
      await allReady;
    } catch (e) {
      throw e instanceof JobError ? e : new JobError(`job "${jobName}" could not start`, { code: "JOB_START_FAILED", cause: e });
    }
    status = "RUNNING";
    for (const w of workers) w.postMessage({ kind: "start" } satisfies ToWorker);
    log.info({ threads }, "job running on worker threads");
    return {
      jobId,
      jobName,
      getJobStatus: () => status,
      cancel: async () => {
        if (status !== "RUNNING") return;
        for (const w of workers) w.postMessage({ kind: "cancel" } satisfies ToWorker);
        await result.catch(() => {});
      },
      getJobExecutionResult: () => result,
      triggerCheckpoint: () => Promise.reject(unsupported("checkpoints")),
      triggerSavepoint: () => Promise.reject(unsupported("savepoints")),
      stopWithSavepoint: () => Promise.reject(unsupported("savepoints")),
      getCheckpoints: () => [],
    };
  }
}

function unsupported(what: string): JobError {
  return new JobError(`the worker-thread executor does not take ${what} yet; run the job with the local executor for exactly-once`, { code: "CHECKPOINT_UNSUPPORTED" });
}
