/**
 * Entry point of a worker thread of the worker-thread executor: it builds the job from the job
 * module (the same program the main thread built), runs the subtasks placed on it, exchanges
 * records with the other workers through message ports, and reports back.
 */
import { parentPort, workerData, type MessagePort } from "node:worker_threads";
import { StreamExecutionEnvironment } from "../environment.js";
import { describeJobGraph } from "../graph/job-graph.js";
import { CollectSink } from "../sink/collect-sink.js";
import { OperatorInstance } from "./operator-instance.js";
import { RemoteChannels } from "./remote-channels.js";
import { assignSplits } from "./split-assignment.js";
import { TaskGraph } from "./task-graph.js";
import type { FromWorker, JobBuilder, ToWorker, WorkerSetup } from "./worker-protocol.js";

const setup = workerData as WorkerSetup;
const parent = parentPort!;
const send = (m: FromWorker) => parent.postMessage(m);

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
  const ports = await new Promise<Array<MessagePort | undefined>>((resolve) => {
    parent.once("message", (m: ToWorker) => {
      if (m.kind === "ports") resolve(m.ports);
    });
  });
  const remote = new RemoteChannels(ports, setup.workers);
  const graph = new TaskGraph(
    nodes,
    { batch, stateBackend: env.getStateBackend(), log: env.getLogger().child({ worker: setup.workerIndex }) },
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
  await graph.open((node, s) => splits.get(node.id)![s]);
  send({ kind: "ready", graph: describeJobGraph(nodes) });

  let cancelled = false;
  parent.on("message", (m: ToWorker) => {
    if (m.kind === "start") {
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
    } else if (m.kind === "cancel") {
      cancelled = true;
      graph.cancel();
    }
  });
}

main().catch((e: unknown) => {
  const err = e instanceof Error ? e : new Error(String(e));
  send({ kind: "failed", message: err.message, stack: err.stack });
});
