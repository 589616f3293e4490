import { describe, expect, it } from "vitest";
import { VigilError } from "../../../src/errors.js";
import { runtimeLogger } from "../../../src/runtime/logger.js";
import type { SinkWriter, SinkWriterContext } from "../../../src/runtime/sink/sink.js";
import { TwoPhaseCommitSink, type TwoPhaseCommitState } from "../../../src/runtime/sink/two-phase-commit-sink.js";

interface Txn {
  readonly id: string;
}

/** A transactional store in memory: buffers, pre-committed ("durable") transactions, committed output, and a log of calls. */
class MemorySink extends TwoPhaseCommitSink<string, Txn> {
  readonly buffers = new Map<string, string[]>();
  readonly durable = new Map<string, string[]>();
  readonly committed: string[] = [];
  readonly committedTxns = new Set<string>();
  readonly calls: string[] = [];
  failPreCommit = false;

  constructor(commitIntervalMs?: number) {
    super({ name: "memory", commitIntervalMs });
  }

  protected beginTransaction(ctx: SinkWriterContext, seq: number): Txn {
    const id = `${ctx.subtaskIndex}-${ctx.attempt}-${seq}`;
    this.buffers.set(id, []);
    return { id };
  }
  protected invoke(txn: Txn, value: string): void {
    this.buffers.get(txn.id)!.push(value);
  }
  protected async preCommit(txn: Txn): Promise<void> {
    this.calls.push(`preCommit ${txn.id}`);
    if (this.failPreCommit) throw new Error("disk full");
    this.durable.set(txn.id, this.buffers.get(txn.id)!);
  }
  protected async commit(txn: Txn, checkpointId: number | undefined): Promise<void> {
    this.calls.push(`commit ${txn.id} @${checkpointId}`);
    if (this.committedTxns.has(txn.id)) return;
    this.committedTxns.add(txn.id);
    this.committed.push(...this.durable.get(txn.id)!);
  }
  protected async abort(txn: Txn): Promise<void> {
    this.calls.push(`abort ${txn.id}`);
    this.buffers.delete(txn.id);
  }
}

function context(over: Partial<SinkWriterContext> = {}): SinkWriterContext {
  return { subtaskIndex: 0, parallelism: 1, log: runtimeLogger(), restoredState: [], attempt: "a", checkpointing: true, ...over };
}

function writeAll(w: SinkWriter<string>, values: string[]): void {
  for (const v of values) w.write(v, 0);
}

describe("TwoPhaseCommitSink", () => {
  it("commits the records written before a barrier when that checkpoint completes, and not before", async () => {
    const sink = new MemorySink();
    const w = await sink.createWriter(context());
    writeAll(w, ["a", "b"]);
    const snapshot = w.snapshotState!(1);
    w.write("c", 0); // after the barrier: the next transaction
    expect(await snapshot).toEqual({ pending: [{ checkpointId: 1, txn: { id: "0-a-0" } }], current: { id: "0-a-1" } });
    expect(sink.committed).toEqual([]);
    await w.notifyCheckpointComplete!(1);
    expect(sink.committed).toEqual(["a", "b"]);
    await w.snapshotState!(2);
    await w.notifyCheckpointComplete!(2);
    expect(sink.committed).toEqual(["a", "b", "c"]);
  });

  it("keeps the transactions of an aborted checkpoint pending and commits them, in order, with the next completed one", async () => {
    const sink = new MemorySink();
    const w = await sink.createWriter(context());
    w.write("a", 0);
    await w.snapshotState!(1);
    await w.notifyCheckpointAborted!(1);
    w.write("b", 0);
    const state = (await w.snapshotState!(2)) as TwoPhaseCommitState<Txn>;
    expect(state.pending.map((p) => p.checkpointId)).toEqual([1, 2]);
    await w.notifyCheckpointComplete!(2);
    expect(sink.committed).toEqual(["a", "b"]);
    expect(sink.calls.filter((c) => c.startsWith("commit"))).toEqual(["commit 0-a-0 @1", "commit 0-a-1 @2"]);
  });

  it("neither pre-commits nor commits an empty transaction: it stays open across the barrier", async () => {
    const sink = new MemorySink();
    const w = await sink.createWriter(context());
    const s1 = (await w.snapshotState!(1)) as TwoPhaseCommitState<Txn>;
    const s2 = (await w.snapshotState!(2)) as TwoPhaseCommitState<Txn>;
    await w.notifyCheckpointComplete!(2);
    expect(s1).toEqual({ pending: [], current: { id: "0-a-0" } });
    expect(s2.current).toEqual(s1.current);
    expect(sink.calls).toEqual([]);
  });

  it("after a crash, commits what the restored checkpoint holds as pending and aborts its open transaction", async () => {
    const sink = new MemorySink();
    const w = await sink.createWriter(context());
    writeAll(w, ["a", "b"]);
    const state = structuredClone(await w.snapshotState!(1));
    w.write("lost", 0); // replayed by the sources after the restore
    // the checkpoint completed but the writer crashed before its notification
    const restored = await sink.createWriter(context({ restoredState: [state], attempt: "b" }));
    expect(sink.committed).toEqual(["a", "b"]);
    expect(sink.calls).toEqual(["preCommit 0-a-0", "commit 0-a-0 @1", "abort 0-a-1"]);
    writeAll(restored, ["lost"]);
    await restored.snapshotState!(2);
    await restored.notifyCheckpointComplete!(2);
    expect(sink.committed).toEqual(["a", "b", "lost"]);
  });

  it("recovers a transaction that was committed before the crash without committing it twice", async () => {
    const sink = new MemorySink();
    const w = await sink.createWriter(context());
    w.write("a", 0);
    const state = structuredClone(await w.snapshotState!(1));
    await w.notifyCheckpointComplete!(1);
    await sink.createWriter(context({ restoredState: [state], attempt: "b" }));
    expect(sink.committed).toEqual(["a"]);
    expect(sink.calls.filter((c) => c.startsWith("commit"))).toEqual(["commit 0-a-0 @1", "commit 0-a-0 @1"]);
  });

  it("recovers the states of several old subtasks (scaled in), oldest checkpoint first", async () => {
    const sink = new MemorySink();
    const w0 = await sink.createWriter(context({ subtaskIndex: 0, parallelism: 2 }));
    const w1 = await sink.createWriter(context({ subtaskIndex: 1, parallelism: 2 }));
    w0.write("x0", 0);
    w1.write("x1", 0);
    await w0.snapshotState!(1);
    await w1.snapshotState!(1);
    w1.write("y1", 0);
    const states = [await w0.snapshotState!(2), await w1.snapshotState!(2)].map((s) => structuredClone(s));
    await sink.createWriter(context({ restoredState: states, attempt: "b" }));
    expect(sink.committed).toEqual(["x0", "x1", "y1"]);
  });

  it("without checkpointing commits at the end of the input (at-least-once)", async () => {
    const sink = new MemorySink();
    const w = await sink.createWriter(context({ checkpointing: false }));
    writeAll(w, ["a", "b"]);
    await w.flush!(false);
    expect(sink.committed).toEqual([]);
    await w.flush!(true);
    await w.close!();
    expect(sink.committed).toEqual(["a", "b"]);
    expect(sink.calls).toEqual(["preCommit 0-a-0", "commit 0-a-0 @undefined", "abort 0-a-1"]);
  });

  it("without checkpointing commits at a flush once the transaction is commitIntervalMs old", async () => {
    const sink = new MemorySink(5);
    const w = await sink.createWriter(context({ checkpointing: false }));
    w.write("a", 0);
    await new Promise((r) => setTimeout(r, 10));
    await w.flush!(false);
    expect(sink.committed).toEqual(["a"]);
  });

  it("with checkpointing commits records still open at the end of the input (no final checkpoint)", async () => {
    const sink = new MemorySink();
    const w = await sink.createWriter(context());
    w.write("a", 0);
    await w.snapshotState!(1);
    await w.notifyCheckpointComplete!(1);
    w.write("b", 0);
    await w.flush!(true);
    expect(sink.committed).toEqual(["a", "b"]);
  });

  it("close aborts the open transaction and leaves pending ones for a restore", async () => {
    const sink = new MemorySink();
    const w = await sink.createWriter(context());
    w.write("a", 0);
    await w.snapshotState!(1);
    w.write("b", 0);
    await w.close!();
    expect(sink.calls).toEqual(["preCommit 0-a-0", "abort 0-a-1"]);
    expect(sink.committed).toEqual([]);
  });

  it("a failed pre-commit fails the checkpoint and every later operation of the writer", async () => {
    const sink = new MemorySink();
    const w = await sink.createWriter(context());
    w.write("a", 0);
    sink.failPreCommit = true;
    const err = await Promise.resolve(w.snapshotState!(1)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VigilError);
    expect((err as VigilError).code).toBe("SINK_TRANSACTION_FAILED");
    expect((err as Error).message).toMatch(/sink "memory" subtask 0: preCommit failed for transaction \{"id":"0-a-0"\}: disk full/);
    await expect(w.notifyCheckpointComplete!(1)).rejects.toMatchObject({ code: "SINK_FAILED" });
    expect(sink.committed).toEqual([]);
  });

  it("rejects restored state that is not its own", async () => {
    const sink = new MemorySink();
    await expect(sink.createWriter(context({ restoredState: [{ seq: 3 }] }))).rejects.toMatchObject({ code: "SINK_STATE_INVALID" });
  });
});
