/**
 * Entry point of a worker thread of the worker-thread executor: it builds the job from the job
 * module (the same program the main thread built), runs the subtasks placed on it, exchanges
 * records with the other workers through message ports, takes part in checkpoints, and reports back.
 */
import { parentPort, workerData, type MessagePort } from "node:worker_threads";
import { StreamExecutionEnvironment } from "../environment.js";
import { describeJobGraph } from "../graph/job-graph.js";
import { CollectSink } from "../sink/collect-sink.js";
import type { SourceSplit } from "../source/source.js";
import { OperatorInstance, type OperatorSnapshot } from "./operator-instance.js";
import { RemoteChannels } from "./remote-channels.js";
import { assignSplits } from "./split-assignment.js";
import { TaskGraph } from "./task-graph.js";
import type { FromWorker, JobBuilder, ToWorker, WorkerRestore, WorkerSetup } from "./worker-protocol.js";

const setup = workerData as WorkerSetup;
const parent = parentPort!;
const send = (m: FromWorker) => parent.postMessage(m);
const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

async function main(): Promise<void> {
  const mod = (await import(setup.jobModule)) as Record<string, unknown>;
  const build = mod[setup.exportName] as JobBuilder | undefined;
  if (typeof build !== "function") {
    throw new Error(`job module ${setup.jobModule} has no function export "${setup.exportName}"`);
  }
  const env = new StreamExecutionEnvironment();
  await build(env);
  const nodes = env.jobGraph();
  const batch = env.isBatch(nodes);
  const { ports, restore } = await new Promise<{ ports: Array<MessagePort | undefined>; restore: WorkerRestore | undefined }>((resolve) => {
    parent.once("message", (m: ToWorker) => {
      if (m.kind === "ports") resolve({ ports: m.ports, restore: m.restore });
    });
  });
  let finalCheckpoint: { resolve: () => void; reject: (e: unknown) => void } | undefined;
  const remote = new RemoteChannels(ports, setup.workers);
  const graph = new TaskGraph(
    nodes,
    {
      batch,
      stateBackend: env.getStateBackend(),
      log: env.getLogger().child({ worker: setup.workerIndex }),
      attempt: setup.attempt,
      checkpointing: setup.checkpointing,
      checkpoints: setup.acknowledges
        ? {
            acknowledge: (barrier, snapshot) =>
              snapshot.then(
                (s) => send({ kind: "ack", barrier, snapshot: s }),
                (e: unknown) => send({ kind: "ack-failed", barrier, message: message(e) }),
              ),
            // every local source waits at its end; the main thread takes the checkpoint once all workers' do
            finalCheckpoint: () =>
              new Promise<void>((resolve, reject) => {
                finalCheckpoint = { resolve, reject };
                send({ kind: "final-checkpoint" });
              }),
          }
        : undefined,
    },
    {
      isLocal: (_node, subtask) => remote.workerOf(subtask) === setup.workerIndex,
      remote: (edge, from, to) => remote.channel(edge, from, to),
      flush: () => remote.flush(),
    },
  );
  remote.listen(
    nodes,
    (node, edgeIndex, from, to) => (graph.instance(node.id, to) as OperatorInstance).channelFor(edgeIndex, from),
    () => void remote.flush(),
    (e) => graph.fail(e),
  );
  const splits = await assignSplits(nodes);
  const restoredSplits = new Map<string, SourceSplit[]>((restore?.splits ?? []).map(([n, s, v]) => [`${n}/${s}`, v]));
  const restoredOps = new Map<string, OperatorSnapshot[]>((restore?.operators ?? []).map(([n, s, v]) => [`${n}/${s}`, v]));
  await graph.open(
    (node, s) => restoredSplits.get(`${node.id}/${s}`) ?? splits.get(node.id)![s],
    restore === undefined ? undefined : (node, s) => restoredOps.get(`${node.id}/${s}`),
  );
  send({ kind: "ready", graph: describeJobGraph(nodes), taskCount: graph.taskCount, sources: graph.sources.length });

  let cancelled = false;
  parent.on("message", (m: ToWorker) => {
    switch (m.kind) {
      case "start":
        graph.run().then(
          async () => {
            await graph.close();
            if (cancelled) {
              send({ kind: "cancelled" });
              return;
            }
            const collected = nodes
              .filter((n) => n.t.kind === "sink" && n.t.sink instanceof CollectSink)
              .map((n) => ({ nodeId: n.id, records: (n.t as unknown as { sink: CollectSink<unknown> }).sink.drain() }));
            send({ kind: "finished", collected });
            remote.close();
          },
          async (e: unknown) => {
            await graph.close().catch(() => {});
            const err = e instanceof Error ? e : new Error(String(e));
            send({ kind: "failed", message: err.message, stack: err.stack });
          },
        );
        break;
      case "cancel":
        cancelled = true;
        graph.cancel();
        break;
      case "fail":
        graph.fail(new Error(m.message));
        break;
      case "barrier":
        graph.injectBarrier(m.barrier, m.stop);
        break;
      case "notify": {
        const done =
          m.outcome === "aborted" ? graph.notifyCheckpointAborted(m.checkpointId) : graph.notifyCheckpointComplete(m.checkpointId, m.outcome);
        done.then(
          () => send({ kind: "notified", seq: m.seq }),
          (e: unknown) => send({ kind: "notified", seq: m.seq, error: message(e) }),
        );
        break;
      }
      case "final-checkpoint": {
        const waiting = finalCheckpoint;
        finalCheckpoint = undefined;
        if (m.ok) waiting?.resolve();
        else waiting?.reject(new Error("the final checkpoint failed"));
        break;
      }
      case "ports":
        break;
    }
  });
}

main().catch((e: unknown) => {
  const err = e instanceof Error ? e : new Error(String(e));
  send({ kind: "failed", message: err.message, stack: err.stack });
});
