import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { describe, expect, it } from "vitest";
import { FileSink, FileSource, committedParts, csvFormat, readCommitted, readCommittedCsv } from "../../../src/connectors/index.js";
import { RestartStrategies, StreamExecutionEnvironment, WatermarkStrategy, type SinkWriterContext } from "../../../src/runtime/index.js";
import { runtimeLogger } from "../../../src/runtime/logger.js";
import { tempDirPerTest } from "./helpers.js";

const tmp = tempDirPerTest("vigil-file-sink-roll-");

function context(over: Partial<SinkWriterContext> = {}): SinkWriterContext {
  return { subtaskIndex: 0, parallelism: 1, log: runtimeLogger(), restoredState: [], attempt: "a", checkpointing: true, ...over };
}

describe("FileSink rolling and CSV output", () => {
  it("rolls to a new part before one would pass rollSizeBytes; all the parts commit together at their checkpoint", async () => {
    const dir = tmp();
    const w = await new FileSink<{ n: number }>({ directory: dir, rollSizeBytes: 24 }).createWriter(context());
    for (let n = 0; n < 5; n++) w.write({ n }, 0); // 8 bytes a line: 3 per part
    await w.flush!(false);
    for (let n = 5; n < 8; n++) w.write({ n }, 0);
    await w.snapshotState!(3);
    expect((await readdir(dir)).sort()).toEqual([".part-0-a-0-1.inprogress", ".part-0-a-0-2.inprogress", ".part-0-a-0.inprogress"]);
    expect(await readCommitted(dir)).toEqual([]);
    await w.notifyCheckpointComplete!(3);
    const parts = await committedParts(dir);
    expect(parts.map((p) => basename(p))).toEqual(["part-0-3-a-0.jsonl", "part-0-3-a-0-1.jsonl", "part-0-3-a-0-2.jsonl"]);
    expect(await Promise.all(parts.map((p) => readFile(p, "utf8")))).toEqual(['{"n":0}\n{"n":1}\n{"n":2}\n', '{"n":3}\n{"n":4}\n{"n":5}\n', '{"n":6}\n{"n":7}\n']);
    // a record larger than the limit gets a part of its own
    w.write({ n: 123456789012345678901234 }, 0);
    w.write({ n: 9 }, 0);
    await w.snapshotState!(4);
    await w.notifyCheckpointComplete!(4);
    expect((await readCommitted<{ n: number }>(dir)).map((r) => r.n)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 1.2345678901234568e23, 9]);
    expect((await committedParts(dir)).length).toBe(5);
    await w.close!();
  });

  it("rolls when the open part is older than rollIntervalMs as a record comes", async () => {
    const dir = tmp();
    const w = await new FileSink<number>({ directory: dir, rollIntervalMs: 20 }).createWriter(context());
    w.write(1, 0);
    w.write(2, 0);
    const opened = performance.now();
    await new Promise((r) => setTimeout(r, 30));
    expect(performance.now() - opened).toBeGreaterThanOrEqual(20); // the part is old enough: the next record rolls
    w.write(3, 0);
    await w.snapshotState!(1);
    await w.notifyCheckpointComplete!(1);
    const parts = await committedParts(dir);
    expect(await Promise.all(parts.map((p) => readFile(p, "utf8")))).toEqual(["1\n2\n", "3\n"]);
    await w.close!();
  });

  it("a restore commits every rolled part of a pending transaction once and deletes the rolled parts of the open one", async () => {
    const dir = tmp();
    const sink = new FileSink<number>({ directory: dir, rollSizeBytes: 4 });
    const w = await sink.createWriter(context());
    for (let n = 10; n < 13; n++) w.write(n, 0); // 3 bytes a line: a part each
    const state = structuredClone(await w.snapshotState!(1));
    for (let n = 13; n < 16; n++) w.write(n, 0);
    await w.flush!(false); // the open transaction's parts are on disk
    expect((await readdir(dir)).filter((n) => n.endsWith(".inprogress"))).toHaveLength(6);
    await new FileSink<number>({ directory: dir, rollSizeBytes: 4 }).createWriter(context({ restoredState: [state], attempt: "b" }));
    expect((await readdir(dir)).sort()).toEqual(["part-0-1-a-0-1.jsonl", "part-0-1-a-0-2.jsonl", "part-0-1-a-0.jsonl"]);
    expect(await readCommitted(dir)).toEqual([10, 11, 12]);
    await w.close!(); // only to release its file handles
  });

  it("writes CSV parts, each with the header row, quoting what needs it; readCommittedCsv reads them back typed", async () => {
    const dir = tmp();
    const format = csvFormat<{ id: string; amount: number | null; note: string }>({ columns: ["id", { name: "amount", type: "number" }, "note"] });
    const w = await new FileSink({ directory: dir, format, rollSizeBytes: 40 }).createWriter(context());
    const records = [
      { id: "a", amount: 1.5, note: "plain" },
      { id: "b", amount: null, note: 'say "hi", twice\nplease' },
      { id: "c", amount: -2, note: " padded " },
      { id: "d", amount: 0, note: "" },
    ];
    for (const r of records) w.write(r, 0);
    await w.snapshotState!(1);
    await w.notifyCheckpointComplete!(1);
    const parts = await committedParts(dir);
    expect(parts.map((p) => basename(p))).toEqual(["part-0-1-a-0.csv", "part-0-1-a-0-1.csv", "part-0-1-a-0-2.csv"]);
    expect(await readFile(parts[1], "utf8")).toBe('id,amount,note\nb,,"say ""hi"", twice\nplease"\n');
    expect(await readCommittedCsv(dir, format)).toEqual(records);
    expect(await readCommitted(dir)).toEqual([]); // JSON lines only
    await w.close!();
  });

  it("refuses objects without columns, and encode with a CSV format", async () => {
    const w = await new FileSink<object>({ directory: tmp(), format: "csv" }).createWriter(context());
    expect(() => w.write({ a: 1 }, 0)).toThrow(/sink "file-sink": cannot encode a record as CSV: csv format: records are objects, so the format needs columns/);
    expect(() => new FileSink<string>({ directory: tmp(), format: "csv", encode: (s) => s })).toThrow(/encode is for JSON lines/);
    expect(() => new FileSink<string>({ directory: tmp(), rollSizeBytes: 0 })).toThrow(/rollSizeBytes must be positive/);
  });

  it("in a job with a failure: rolled CSV parts, read in order, equal the input exactly once", async () => {
    const root = tmp();
    const input = join(root, "in");
    const output = join(root, "out");
    await mkdir(input);
    const rows = Array.from({ length: 3000 }, (_, i) => ({ id: i, note: i % 7 === 0 ? `a, "quoted"\nnote ${i}` : `n${i}` }));
    const format = csvFormat<{ id: number; note: string }>({ columns: [{ name: "id", type: "integer" }, "note"] });
    await writeFile(join(input, "rows.csv"), [format.headerLine(), ...rows.map((r) => format.encode(r))].join("\r\n") + "\r\n");
    let seen = 0;
    const env = new StreamExecutionEnvironment()
      .setParallelism(1)
      .enableCheckpointing(5, { directory: join(root, "checkpoints") })
      .setRestartStrategy(RestartStrategies.fixedDelay(1, 0));
    env
      .fromSource(new FileSource({ paths: input, format, batchSize: 32 }), WatermarkStrategy.noWatermarks(), "in")
      .map((r) => {
        if (++seen === 2000) throw new Error("injected failure");
        return r;
      })
      .sinkTo(new FileSink({ directory: output, format, rollSizeBytes: 4096 }));
    const client = await env.executeAsync("csv-rolling");
    await client.getJobExecutionResult();
    expect(seen).toBeGreaterThan(3000); // the failure happened and records were replayed
    expect(await readCommittedCsv(output, format)).toEqual(rows);
    const parts = await committedParts(output);
    expect(parts.length).toBeGreaterThan(10);
    for (const p of parts) expect((await readFile(p)).length).toBeLessThanOrEqual(4096);
    expect((await readdir(output)).filter((n) => n.endsWith(".inprogress"))).toEqual([]);
  });
});
