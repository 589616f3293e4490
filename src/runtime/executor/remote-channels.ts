import type { MessagePort } from "node:worker_threads";
import type { JobEdge, JobNode } from "../graph/job-graph.js";
import type { CheckpointBarrier } from "../checkpoint/barrier.js";
import type { ChannelTarget } from "./channel.js";
import { numericFieldsOf, numericRecordAt, type RecordCodec } from "./record-codec.js";

/**
 * Operations on the wire between two worker threads, five numbers each in one `Float64Array` per
 * batch: `[op, edgeId, from, to, arg]` (arg: a record's timestamp, a watermark, idleness). A
 * record's value travels beside it: in the batch's `values` (structured clone), or, on an edge whose
 * producer declared a `RecordCodec`, in that edge's encoded payload (a transferred buffer), or, for a
 * `numericRecordCodec`, as its fields right after the op (`RECORD_NUMERIC`). Records,
 * watermarks, idleness and end of input share the op array, so they keep their order per channel.
 */
const RECORD = 0;
const RECORD_CODED = 1;
const WATERMARK = 2;
const IDLE = 3;
const END = 4;
const BARRIER = 5;
/** A record of a numeric codec: its fields follow the op's five numbers. */
const RECORD_NUMERIC = 6;
const OP = 5;

/** Records per batch before it is posted without waiting for the end of the sender's batch. */
const BATCH_OPS = 4096;
/** Batches a sender may have in flight to one peer before its sources wait (credit-based backpressure). */
const MAX_IN_FLIGHT = 8;

export type WireMessage =
  | { kind: "batch"; ops: Float64Array; values: unknown[]; coded: Array<{ edge: number; bytes: ArrayBuffer }> }
  | { kind: "ack" };

/** Edge identity on the wire: the consumer node id and the edge's index among its inputs. */
export function edgeId(edge: JobEdge): number {
  return edge.to.id * 1024 + edge.to.inputs.indexOf(edge);
}

/** The codec of an edge's records, if its producer declared one (main output only). */
function codecOf(edge: JobEdge): RecordCodec<unknown> | undefined {
  return edge.tag === undefined ? edge.from.t.codec : undefined;
}

/** One edge's records waiting to be encoded by its codec. */
interface CodedBatch {
  readonly codec: RecordCodec<unknown>;
  values: unknown[];
}

class PeerLink {
  /** Ops of the batch being filled: `n` numbers written into a buffer that is transferred at `post`. */
  ops = new Float64Array(BATCH_OPS * OP);
  n = 0;
  values: unknown[] = [];
  readonly coded = new Map<number, CodedBatch>();
  inFlight = 0;
  private waiters: Array<() => void> = [];

  constructor(readonly port: MessagePort) {}

  /** The batch of encoded records of edge `edge` (one per edge and peer, shared by its channels). */
  codedBatch(edge: number, codec: RecordCodec<unknown>): CodedBatch {
    let c = this.coded.get(edge);
    if (c === undefined) this.coded.set(edge, (c = { codec, values: [] }));
    return c;
  }

  push(op: number, edge: number, from: number, to: number, arg: number): void {
    let n = this.n;
    if (n + OP > this.ops.length) this.grow();
    const ops = this.ops;
    ops[n] = op;
    ops[n + 1] = edge;
    ops[n + 2] = from;
    ops[n + 3] = to;
    ops[n + 4] = arg;
    this.n = n += OP;
    if (n >= BATCH_OPS * OP) this.post();
  }

  /** A numeric record: the op, then its fields, in place. */
  pushNumeric(edge: number, from: number, to: number, ts: number, value: unknown, fields: readonly string[]): void {
    const w = fields.length;
    let n = this.n;
    if (n + OP + w > this.ops.length) this.grow();
    const ops = this.ops;
    ops[n] = RECORD_NUMERIC;
    ops[n + 1] = edge;
    ops[n + 2] = from;
    ops[n + 3] = to;
    ops[n + 4] = ts;
    n += OP;
    const r = value as Record<string, number>;
    for (let i = 0; i < w; i++) ops[n + i] = r[fields[i]];
    this.n = n += w;
    if (n >= BATCH_OPS * OP) this.post();
  }

  private grow(): void {
    const grown = new Float64Array(this.ops.length * 2);
    grown.set(this.ops);
    this.ops = grown;
  }

  post(): void {
    if (this.n === 0) return;
    // the filled part is transferred as it is when full, copied out when partial (a flush)
    const ops = this.n === this.ops.length ? this.ops : this.ops.slice(0, this.n);
    if (ops === this.ops) this.ops = new Float64Array(BATCH_OPS * OP);
    this.n = 0;
    const coded: Array<{ edge: number; bytes: ArrayBuffer }> = [];
    const transfer: ArrayBuffer[] = [ops.buffer as ArrayBuffer];
    for (const [edge, c] of this.coded) {
      if (c.values.length === 0) continue;
      const bytes = c.codec.encode(c.values);
      c.values = [];
      coded.push({ edge, bytes });
      transfer.push(bytes);
    }
    const msg: WireMessage = { kind: "batch", ops, values: this.values, coded };
    this.values = [];
    this.inFlight++;
    this.port.postMessage(msg, transfer);
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
    const codec = codecOf(edge);
    const push = (op: number, arg: number) => link.push(op, id, from, to, arg);
    let record: (v: unknown, ts: number) => void;
    if (codec === undefined) {
      record = (v, ts) => {
        link.values.push(v);
        link.push(RECORD, id, from, to, ts);
      };
    } else if (numericFieldsOf(codec) !== undefined) {
      const fields = numericFieldsOf(codec)!;
      record = (v, ts) => link.pushNumeric(id, from, to, ts, v, fields);
    } else {
      const batch = link.codedBatch(id, codec);
      record = (v, ts) => {
        batch.values.push(v);
        link.push(RECORD_CODED, id, from, to, ts);
      };
    }
    return {
      record,
      watermark: (wm) => push(WATERMARK, wm),
      idle: (idle) => {
        push(IDLE, idle ? 1 : 0);
        link.post();
      },
      end: () => {
        push(END, 0);
        link.post();
      },
      barrier: (b) => {
        link.values.push(b);
        push(BARRIER, 0);
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
    const edgeById = (id: number) => byId.get(Math.floor(id / 1024))!.inputs[id % 1024];
    for (const link of this.links) {
      if (link === undefined) continue;
      link.port.on("message", (msg: WireMessage) => {
        if (msg.kind === "ack") {
          link.acked();
          return;
        }
        try {
          const decoded = new Map<number, { values: unknown[]; next: number }>();
          for (const c of msg.coded) decoded.set(c.edge, { values: codecOf(edgeById(c.edge))!.decode(c.bytes), next: 0 });
          const { ops, values } = msg;
          let nextValue = 0;
          // runs of ops share a channel: look it (and its decoded records) up only when it changes
          let lastKey = -1;
          let ch: ChannelTarget | undefined;
          let d: { values: unknown[]; next: number } | undefined;
          let numeric: readonly string[] | undefined;
          for (let i = 0; i < ops.length; i += OP) {
            const id = ops[i + 1];
            const from = ops[i + 2];
            const to = ops[i + 3];
            const key = (id * 4096 + from) * 4096 + to;
            if (key !== lastKey) {
              ch = this.incoming.get(key);
              if (ch === undefined) {
                ch = target(byId.get(Math.floor(id / 1024))!, id % 1024, from, to);
                this.incoming.set(key, ch);
              }
              d = decoded.get(id);
              const codec = codecOf(edgeById(id));
              numeric = codec === undefined ? undefined : numericFieldsOf(codec);
              lastKey = key;
            }
            switch (ops[i]) {
              case RECORD:
                ch!.record(values[nextValue++], ops[i + 4]);
                break;
              case RECORD_CODED:
                ch!.record(d!.values[d!.next++], ops[i + 4]);
                break;
              case RECORD_NUMERIC:
                ch!.record(numericRecordAt(numeric!, ops, i + OP), ops[i + 4]);
                i += numeric!.length;
                break;
              case WATERMARK:
                ch!.watermark(ops[i + 4]);
                break;
              case IDLE:
                ch!.idle(ops[i + 4] === 1);
                break;
              case END:
                ch!.end();
                break;
              case BARRIER:
                ch!.barrier(values[nextValue++] as CheckpointBarrier);
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
    }
  }

  close(): void {
    for (const link of this.links) link?.port.close();
  }
}
