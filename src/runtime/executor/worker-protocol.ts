import type { MessagePort } from "node:worker_threads";
import type { CollectedRecord } from "../sink/collect-sink.js";

/** What a worker thread is started with. */
export interface WorkerSetup {
  /** URL of the module whose export builds the job. */
  readonly jobModule: string;
  readonly exportName: string;
  readonly workerIndex: number;
  readonly workers: number;
  readonly jobName: string;
}

/** Main thread -> worker. */
export type ToWorker =
  | { kind: "ports"; ports: Array<MessagePort | undefined> }
  | { kind: "start" }
  | { kind: "cancel" };

/** Worker -> main thread. */
export type FromWorker =
  | { kind: "ready"; graph: string }
  | { kind: "finished"; collected: Array<{ nodeId: number; records: Array<CollectedRecord<unknown>> }> }
  | { kind: "cancelled" }
  | { kind: "failed"; message: string; stack?: string };

/** A job module's export: builds the job on the environment it is given. */
export type JobBuilder = (env: import("../environment.js").StreamExecutionEnvironment) => void | Promise<void>;
