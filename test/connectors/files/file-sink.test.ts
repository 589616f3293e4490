import fc from "fast-check";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FileSink, FileSource, committedParts, readCommitted } from "../../../src/connectors/index.js";
import { RestartStrategies, StreamExecutionEnvironment, WatermarkStrategy, type SinkWriter, type SinkWriterContext } from "../../../src/runtime/index.js";
import { runtimeLogger } from "../../../src/runtime/logger.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "vigil-file-sink-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function context(over: Partial<SinkWriterContext> = {}): SinkWriterContext {
  return { subtaskIndex: 0, parallelism: 1, log: runtimeLogger(), restoredState: [], attempt: "a", checkpointing: true, ...over };
}

async function inProgress(d: string): Promise<string[]> {
  return (await readdir(d)).filter((n) => n.endsWith(".inprogress")).sort();
}

describe("FileSink", () => {
  it("writes in-progress parts and renames them to part files when their checkpoint completes", async () => {
    const sink = new FileSink<{ n: number }>({ directory: dir });
    const w = await sink.createWriter(context());
    w.write({ n: 1 }, 0);
    w.write({ n: 2 }, 0);
    await w.flush!(false);
    expect(await inProgress(dir)).toEqual([".part-0-a-0.inprogress"]);
    await w.snapshotState!(7);
    w.write({ n: 3 }, 0);
    expect(await readCommitted(dir)).toEqual([]);
    await w.notifyCheckpointComplete!(7);
    expect(await readdir(dir)).toEqual(["part-0-7-a-0.jsonl"]);
    expect(await readFile(join(dir, "part-0-7-a-0.jsonl"), "utf8")).toBe('{"n":1}\n{"n":2}\n');
    await w.close!();
    expect(await readdir(dir)).toEqual(["part-0-7-a-0.jsonl"]); // the open part was aborted
  });

  it("makes no file for an empty transaction and uses a custom encoding", async () => {
    const sink = new FileSink<number>({ directory: dir, encode: (n) => `n=${n}` });
    const w = await sink.createWriter(context());
    await w.snapshotState!(1);
    await w.notifyCheckpointComplete!(1);
    expect(await readdir(dir)).toEqual([]);
    w.write(5, 0);
    await w.snapshotState!(2);
    await w.notifyCheckpointComplete!(2);
    expect(await readCommitted(dir, (l) => l)).toEqual(["n=5"]);
  });

  it("fails with a clear error for an encoding that is not one line", async () => {
    const w = await new FileSink<number>({ directory: dir, encode: (n) => `${n}\n${n}` }).createWriter(context());
    expect(() => w.write(1, 0)).toThrow(/sink "file-sink": encode must return one line of text/);
    const j = await new FileSink<unknown>({ directory: dir }).createWriter(context());
    expect(() => j.write(1n, 0)).toThrow(/sink "file-sink": cannot encode a record/);
  });

  it("after a crash commits the restored pending parts once, deletes the open and leftover in-progress parts", async () => {
    const sink = new FileSink<number>({ directory: dir });
    const w = await sink.createWriter(context());
    w.write(1, 0);
    const s1 = structuredClone(await w.snapshotState!(1));
    w.write(2, 0);
    await w.snapshotState!(2); // never completes
    w.write(3, 0);
    await w.flush!(false);
    expect(await inProgress(dir)).toEqual([".part-0-a-0.inprogress", ".part-0-a-1.inprogress", ".part-0-a-2.inprogress"]);
    // crash: checkpoint 1 completed but its notification was lost
    const restored = await new FileSink<number>({ directory: dir }).createWriter(context({ restoredState: [s1], attempt: "b" }));
    expect(await readdir(dir)).toEqual(["part-0-1-a-0.jsonl"]);
    expect(await readCommitted(dir)).toEqual([1]);
    // a second restore from the same checkpoint: the commit is a no-op
    await new FileSink<number>({ directory: dir }).createWriter(context({ restoredState: [s1], attempt: "c" }));
    expect(await readCommitted(dir)).toEqual([1]);
    await restored.close!();
    await w.close!(); // only to release its file handle
  });

  it("a fresh start (a restart before any checkpoint completed) deletes every earlier run's in-progress parts, none of its own", async () => {
    const sink = new FileSink<number>({ directory: dir });
    const old = [await sink.createWriter(context({ attempt: "a" })), await sink.createWriter(context({ attempt: "a", subtaskIndex: 3, parallelism: 4 }))];
    for (const w of old) w.write(1, 0);
    await Promise.all(old.map((w) => w.flush!(false)));
    const w1 = await sink.createWriter(context({ attempt: "b", subtaskIndex: 1, parallelism: 2 }));
    w1.write(2, 0);
    await w1.flush!(false);
    expect(await inProgress(dir)).toEqual([".part-0-a-0.inprogress", ".part-1-b-0.inprogress", ".part-3-a-0.inprogress"]);
    const w0 = await sink.createWriter(context({ attempt: "b", subtaskIndex: 0, parallelism: 2 }));
    expect(await inProgress(dir)).toEqual([".part-1-b-0.inprogress"]);
    await Promise.all([...old, w0, w1].map((w) => w.close!()));
  });

  it("recovers the parts of two old subtasks in one subtask after scaling in", async () => {
    const sink = new FileSink<string>({ directory: dir });
    const w0 = await sink.createWriter(context({ subtaskIndex: 0, parallelism: 2 }));
    const w1 = await sink.createWriter(context({ subtaskIndex: 1, parallelism: 2 }));
    w0.write("x0", 0);
    w1.write("x1", 0);
    const states = [await w0.snapshotState!(1), await w1.snapshotState!(1)].map((s) => structuredClone(s));
    w1.write("y1", 0);
    await w1.flush!(false);
    await sink.createWriter(context({ restoredState: states, attempt: "b" }));
    expect(await readCommitted(dir)).toEqual(["x0", "x1"]);
    expect(await inProgress(dir)).toEqual([]);
    await Promise.all([w0.close!(), w1.close!()]); // only to release their file handles
  });

  it("refuses to commit a part whose in-progress and final files are both gone", async () => {
    const w = await new FileSink<number>({ directory: dir }).createWriter(context());
    w.write(1, 0);
    const state = structuredClone(await w.snapshotState!(1));
    await rm(join(dir, ".part-0-a-0.inprogress"));
    await expect(new FileSink<number>({ directory: dir }).createWriter(context({ restoredState: [state], attempt: "b" }))).rejects.toThrow(
      /recoverAndCommit failed .* neither it nor .*part-0-1-a-0\.jsonl exists/,
    );
  });

  it("without checkpointing commits at the end of the input, numbered by transaction", async () => {
    const w = await new FileSink<number>({ directory: dir }).createWriter(context({ checkpointing: false, attempt: "run-1" }));
    w.write(1, 0);
    await w.flush!(true);
    await w.close!();
    expect(await readdir(dir)).toEqual(["part-0-0-run_1-0.jsonl"]);
  });

  it("runs in a job: a FileSource read into a FileSink at parallelism 2", async () => {
    const input = join(dir, "in");
    const output = join(dir, "out");
    await mkdir(input);
    await writeFile(join(input, "a.jsonl"), '{"id":1,"ts":1}\n{"id":2,"ts":2}\nbroken\n');
    await writeFile(join(input, "b.jsonl"), '{"id":3,"ts":3}\n');
    const env = new StreamExecutionEnvironment().setParallelism(2);
    env
      .fromSource(new FileSource<{ id: number; ts: number }>({ paths: input, timestampField: "ts" }), WatermarkStrategy.forMonotonousTimestamps(), "in")
      .map((e) => ({ ...e, doubled: e.id * 2 }))
      .sinkTo(new FileSink({ directory: output }));
    await env.execute("files");
    const out = (await readCommitted<{ id: number }>(output)).sort((a, b) => a.id - b.id);
    expect(out).toEqual([1, 2, 3].map((id) => ({ id, ts: id, doubled: id * 2 })));
    expect((await committedParts(output)).length).toBe(2);
  });

  it("recovers a failed job with checkpoints: every input line is committed exactly once", async () => {
    const input = join(dir, "in");
    const output = join(dir, "out");
    await mkdir(input);
    const lines = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => JSON.stringify({ id: from + i })).join("\n") + "\n";
    await writeFile(join(input, "a.jsonl"), lines(0, 1500));
    await writeFile(join(input, "b.jsonl"), lines(1500, 3000));
    let seen = 0;
    const env = new StreamExecutionEnvironment()
      .setParallelism(2)
      .enableCheckpointing(1, { directory: join(dir, "checkpoints") })
      .setRestartStrategy(RestartStrategies.fixedDelay(1, 0));
    env
      .fromSource(new FileSource<{ id: number }>({ paths: input, batchSize: 16 }), WatermarkStrategy.noWatermarks(), "in")
      .map((e) => {
        if (++seen === 2000) throw new Error("injected failure");
        return e;
      })
      .sinkTo(new FileSink({ directory: output }));
    const client = await env.executeAsync("files-exactly-once");
    await client.getJobExecutionResult();
    expect(seen).toBeGreaterThan(3000); // the failure happened and records were replayed
    const ids = (await readCommitted<{ id: number }>(output)).map((e) => e.id).sort((a, b) => a - b);
    expect(ids).toEqual(Array.from({ length: 3000 }, (_, i) => i));
    expect(await inProgress(output)).toEqual([]);
  });

  it("for any writes, flushes, checkpoints, completions, aborts and crashes, commits exactly the records covered by completed checkpoints", async () => {
    type Op =
      | { kind: "write"; n: number }
      | { kind: "flush" }
      | { kind: "checkpoint" }
      | { kind: "complete"; pick: number; notify: boolean }
      | { kind: "abort" }
      | { kind: "crash" };
    const op: fc.Arbitrary<Op> = fc.oneof(
      { arbitrary: fc.record({ kind: fc.constant("write" as const), n: fc.integer({ min: 1, max: 4 }) }), weight: 3 },
      { arbitrary: fc.constant({ kind: "flush" as const }), weight: 1 },
      { arbitrary: fc.constant({ kind: "checkpoint" as const }), weight: 3 },
      { arbitrary: fc.record({ kind: fc.constant("complete" as const), pick: fc.nat(), notify: fc.boolean() }), weight: 2 },
      { arbitrary: fc.constant({ kind: "abort" as const }), weight: 1 },
      { arbitrary: fc.constant({ kind: "crash" as const }), weight: 1 },
    );
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 30, size: "max" }), fc.option(fc.integer({ min: 4, max: 16 }), { nil: undefined }), async (ops, rollSizeBytes) => {
        const run = await mkdtemp(join(dir, "run-"));
        const sink = new FileSink<number>({ directory: run, rollSizeBytes });
        let attempt = 0;
        let w: SinkWriter<number> = await sink.createWriter(context({ attempt: `a${attempt}` }));
        const crashed: Array<SinkWriter<number>> = [];
        let position = 0; // records are 0, 1, 2, ... and a restore replays from the checkpoint's position
        let nextId = 1;
        let taken: Array<{ id: number; state: unknown; position: number }> = [];
        let completed: { id: number; state: unknown; position: number } | undefined;
        let visible = 0; // the reference: records [0, visible) are committed
        for (const o of ops) {
          if (o.kind === "write") for (let k = 0; k < o.n; k++) w.write(position++, 0);
          else if (o.kind === "flush") await w.flush!(false);
          else if (o.kind === "checkpoint") {
            const id = nextId++;
            taken.push({ id, state: structuredClone(await w.snapshotState!(id)), position });
          } else if (o.kind === "complete" && taken.length > 0) {
            const c = taken[o.pick % taken.length];
            completed = c;
            taken = taken.filter((t) => t.id > c.id); // subsumed
            if (o.notify) {
              await w.notifyCheckpointComplete!(c.id);
              visible = c.position;
            }
          } else if (o.kind === "abort" && taken.length > 0) {
            const a = taken.pop()!;
            await w.notifyCheckpointAborted!(a.id);
          } else if (o.kind === "crash") {
            attempt++;
            crashed.push(w);
            w = await sink.createWriter(context({ attempt: `a${attempt}`, restoredState: completed === undefined ? [] : [completed.state] }));
            position = completed?.position ?? 0;
            visible = position;
            taken = [];
          }
          expect(await readCommitted(run)).toEqual(Array.from({ length: visible }, (_, i) => i));
        }
        // a final checkpoint commits everything; nothing of this run stays in progress
        await w.snapshotState!(nextId);
        await w.notifyCheckpointComplete!(nextId);
        await w.flush!(true);
        await w.close!();
        expect(await readCommitted(run)).toEqual(Array.from({ length: position }, (_, i) => i));
        if (rollSizeBytes !== undefined) {
          // a part holds one record, or as many as fit in rollSizeBytes
          for (const part of await committedParts(run)) {
            const text = await readFile(part, "utf8");
            if (text.split("\n").length > 2) expect(Buffer.byteLength(text)).toBeLessThanOrEqual(rollSizeBytes);
          }
        }
        expect((await inProgress(run)).filter((n) => n.includes(`-a${attempt}-`))).toEqual([]);
        for (const c of crashed) await c.close!(); // only to release their file handles
      }),
      { numRuns: 150 },
    );
  });
});
