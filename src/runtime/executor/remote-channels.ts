import type { MessagePort } from "node:worker_threads";
import type { JobEdge, JobNode } from "../graph/job-graph.js";
import type { ChannelTarget } from "./channel.js";

/**
 * Operations on the wire between two worker threads, flattened into one array per batch:
 * `[op, edgeId, from, to, ...args]`. Records, watermarks, idleness and end of input share the
 * array, so they keep their order per channel.
 */
const RECORD = 0;
const WATERMARK = 1;
const IDLE = 2;
const END = 3;

/** Records per batch before it is posted without waiting for the end of the sender's batch. */
const BATCH_OPS = 4096;
/** Batches a sender may have in flight to one peer before its sources wait (credit-based backpressure). */
const MAX_IN_FLIGHT = 8;

export type WireMessage = { kind: "batch"; ops: unknown[] } | { kind: "ack" };

/** Edge identity on the wire: the consumer node id and the edge's index among its inputs. */
export function edgeId(edge: JobEdge): number {
  return edge.to.id * 1024 + edge.to.inputs.indexOf(edge);
}

class PeerLink {
  ops: unknown[] = [];
  inFlight = 0;
  private waiters: Array<() => void> = [];

  constructor(readonly port: MessagePort) {}

  post(): void {
    if (this.ops.length === 0) return;
    const ops = this.ops;
    this.ops = [];
    this.inFlight++;
    this.port.postMessage({ kind: "batch", ops } satisfies WireMessage);
  }

  acked(): void {
    this.inFlight--;
    if (this.inFlight < MAX_IN_FLIGHT && this.waiters.length > 0) {
      const w = this.waiters;
      this.waiters = [];
      for (const f of w) f();
    }
  }

  /** Resolves when the peer has room again; undefined when it has now. */
  room(): Promise<void> | undefined {
    if (this.inFlight < MAX_IN_FLIGHT) return undefined;
    return new Promise((resolve) => this.waiters.push(resolve));
  }
}

/**
 * The channels of one worker to the others: outgoing batches per peer with credits, and the
 * dispatch of incoming batches into local input gates.
 */
export class RemoteChannels {
  private readonly links: Array<PeerLink | undefined>;
  private readonly incoming = new Map<number, ChannelTarget>();

  constructor(
    ports: Array<MessagePort | undefined>,
    private readonly workers: number,
  ) {
    this.links = ports.map((p) => (p === undefined ? undefined : new PeerLink(p)));
  }

  /** Which worker runs a subtask. */
  workerOf(subtask: number): number {
    return subtask % this.workers;
  }

  /** A channel from local subtask `from` to remote subtask `to` of the edge's consumer. */
  channel(edge: JobEdge, from: number, to: number): ChannelTarget {
    const link = this.links[this.workerOf(to)]!;
    const id = edgeId(edge);
    const push = (op: number, arg?: unknown, arg2?: unknown) => {
      const ops = link.ops;
      ops.push(op, id, from, to, arg, arg2);
      if (ops.length >= BATCH_OPS * 6) link.post();
    };
    return {
      record: (v, ts) => push(RECORD, v, ts),
      watermark: (wm) => push(WATERMARK, wm),
      idle: (idle) => {
        push(IDLE, idle);
        link.post();
      },
      end: () => {
        push(END);
        link.post();
      },
    };
  }

  /** Posts every pending batch; the promise resolves when all peers have room again. */
  flush(): Promise<void> | undefined {
    let waits: Array<Promise<void>> | undefined;
    for (const link of this.links) {
      if (link === undefined) continue;
      link.post();
      const r = link.room();
      if (r !== undefined) (waits ??= []).push(r);
    }
    return waits === undefined ? undefined : Promise.all(waits).then(() => undefined);
  }

  /**
   * Starts receiving: each batch is dispatched into the local gates (`target` resolves an edge's
   * channel), then acknowledged; `after` runs after each batch (to flush what it caused).
   */
  listen(
    nodes: readonly JobNode[],
    target: (node: JobNode, inputEdgeIndex: number, from: number, to: number) => ChannelTarget,
    after: () => void,
    onError: (e: unknown) => void,
  ): void {
    const byId = new Map(nodes.map((n) => [n.id, n]));
    this.links.forEach((link, peer) => {
      if (link === undefined) return;
      link.port.on("message", (msg: WireMessage) => {
        if (msg.kind === "ack") {
          link.acked();
          return;
        }
        try {
          const ops = msg.ops;
          for (let i = 0; i < ops.length; i += 6) {
            const id = ops[i + 1] as number;
            const from = ops[i + 2] as number;
            const to = ops[i + 3] as number;
            const key = (id * 4096 + from) * 4096 + to;
            let ch = this.incoming.get(key);
            if (ch === undefined) {
              const node = byId.get(Math.floor(id / 1024))!;
              ch = target(node, id % 1024, from, to);
              this.incoming.set(key, ch);
            }
            switch (ops[i] as number) {
              case RECORD:
                ch.record(ops[i + 4], ops[i + 5] as number);
                break;
              case WATERMARK:
                ch.watermark(ops[i + 4] as number);
                break;
              case IDLE:
                ch.idle(ops[i + 4] as boolean);
                break;
              case END:
                ch.end();
                break;
            }
          }
          after();
        } catch (e) {
          onError(e);
        } finally {
          link.port.postMessage({ kind: "ack" } satisfies WireMessage);
        }
      });
      void peer;
    });
  }

  close(): void {
    for (const link of this.links) link?.port.close();
  }
}
