import fc from "fast-check";
import pino from "pino";
import { describe, expect, it } from "vitest";
import { runtimeLogger } from "../../../src/runtime/logger.js";
import { IdempotentSink, type IdempotentRecord, type IdempotentSinkOptions } from "../../../src/runtime/sink/idempotent-sink.js";
import type { SinkWriter, SinkWriterContext } from "../../../src/runtime/sink/sink.js";

/** A table keyed by id; `gate` holds upserts back until opened. */
class TableSink<T> extends IdempotentSink<T> {
  readonly table = new Map<string, T>();
  readonly batches: number[] = [];
  gate: Promise<void> | undefined;
  fail = false;

  constructor(options: Partial<IdempotentSinkOptions<T>> = {}) {
    super({ name: "table", ...options });
  }

  protected async upsert(batch: Array<IdempotentRecord<T>>): Promise<void> {
    await this.gate;
    if (this.fail) throw new Error("connection reset");
    this.batches.push(batch.length);
    for (const r of batch) this.table.set(r.id, r.value);
  }
}

function context(over: Partial<SinkWriterContext> = {}): SinkWriterContext {
  return { subtaskIndex: 0, parallelism: 1, log: runtimeLogger(), restoredState: [], attempt: "a", checkpointing: true, ...over };
}

describe("IdempotentSink", () => {
  it("upserts at each flush under name/subtask/seq ids, in batches of at most maxBatchSize", async () => {
    const sink = new TableSink<number>({ maxBatchSize: 2 });
    const w = sink.createWriter(context({ subtaskIndex: 1, parallelism: 2 })) as SinkWriter<number>;
    for (const v of [10, 11, 12]) w.write(v, 0);
    expect(sink.table.size).toBe(0);
    await w.flush!(false);
    expect([...sink.table]).toEqual([
      ["table/1/0", 10],
      ["table/1/1", 11],
      ["table/1/2", 12],
    ]);
    expect(sink.batches).toEqual([2, 1]);
  });

  it("uses idOf when given, so a replay overwrites", async () => {
    const sink = new TableSink<{ id: string; n: number }>({ idOf: (v) => v.id });
    const w = sink.createWriter(context()) as SinkWriter<{ id: string; n: number }>;
    w.write({ id: "x", n: 1 }, 0);
    w.write({ id: "x", n: 2 }, 0);
    await w.flush!(true);
    expect([...sink.table]).toEqual([["x", { id: "x", n: 2 }]]);
  });

  it("snapshotState resolves only after every record written before it is upserted", async () => {
    const sink = new TableSink<number>();
    let open!: () => void;
    sink.gate = new Promise((r) => (open = r));
    const w = sink.createWriter(context()) as SinkWriter<number>;
    w.write(1, 0);
    void w.flush!(false);
    w.write(2, 0);
    let state: unknown;
    const snapshot = Promise.resolve(w.snapshotState!(1)).then((s) => (state = s));
    w.write(3, 0); // after the barrier: not awaited by the snapshot, not in its seq
    await new Promise((r) => setTimeout(r, 5));
    expect(state).toBeUndefined();
    open();
    await snapshot;
    expect(state).toEqual({ subtask: 0, parallelism: 1, seq: 2 });
    expect([...sink.table.values()]).toEqual([1, 2]);
  });

  it("a failed upsert fails the checkpoint and the writer", async () => {
    const sink = new TableSink<number>();
    sink.fail = true;
    const w = sink.createWriter(context()) as SinkWriter<number>;
    w.write(1, 0);
    await expect(w.flush!(false)).rejects.toMatchObject({ code: "SINK_WRITE_FAILED", message: expect.stringMatching(/sink "table" subtask 0: upsert of 1 records \(first id table\/0\/0\) failed: connection reset/) });
    sink.fail = false;
    await expect(w.snapshotState!(1)).rejects.toMatchObject({ code: "SINK_FAILED" });
  });

  it("warns when restored at another parallelism without idOf", () => {
    const lines: string[] = [];
    const log = pino({ level: "warn" }, { write: (s: string) => lines.push(s) });
    const sink = new TableSink<number>();
    const states = [
      { subtask: 0, parallelism: 2, seq: 4 },
      { subtask: 1, parallelism: 2, seq: 7 },
    ];
    sink.createWriter(context({ restoredState: states, log }));
    expect(lines.join("")).toMatch(/restored at another parallelism/);
  });

  it("rejects restored state that is not its own", () => {
    expect(() => new TableSink<number>().createWriter(context({ restoredState: [{ pending: [] }] }))).toThrow(/not an idempotent sink's state/);
  });

  it("with default ids, writes, checkpoints and crashes leave every record stored exactly once (reference: the input)", async () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant("write" as const), n: fc.integer({ min: 1, max: 5 }) }),
      fc.constant({ kind: "flush" as const }),
      fc.constant({ kind: "checkpoint" as const }),
      fc.constant({ kind: "crash" as const }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 30, size: "max" }), async (ops) => {
        const input = (i: number) => `record ${i}`;
        const sink = new TableSink<string>();
        let w = sink.createWriter(context()) as SinkWriter<string>;
        let position = 0;
        let saved: { state: unknown; position: number } | undefined;
        let id = 0;
        for (const o of ops) {
          if (o.kind === "write") for (let k = 0; k < o.n; k++) w.write(input(position++), 0);
          else if (o.kind === "flush") await w.flush!(false);
          else if (o.kind === "checkpoint") saved = { state: structuredClone(await w.snapshotState!(++id)), position };
          else {
            w = sink.createWriter(context({ restoredState: saved === undefined ? [] : [saved.state], attempt: `a${id}` })) as SinkWriter<string>;
            position = saved?.position ?? 0;
          }
        }
        await w.flush!(true);
        // an id always names the same record, so a replay overwrites instead of duplicating
        for (const [k, v] of sink.table) expect(v).toBe(input(Number(k.split("/")[2])));
        for (let i = 0; i < position; i++) expect(sink.table.get(`table/0/${i}`)).toBe(input(i));
      }),
      { numRuns: 200 },
    );
  });
});
