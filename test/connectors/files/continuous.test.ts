import { appendFile, mkdir, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FileSink, FileSource, readCommitted, type FileSourceSplit, type FileWatchSplit } from "../../../src/connectors/index.js";
import { CollectSink, RestartStrategies, StreamExecutionEnvironment, WatermarkStrategy } from "../../../src/runtime/index.js";
import { collector, eventually, reader, tempDirPerTest, type Reader } from "./helpers.js";

const tmp = tempDirPerTest("vigil-file-watch-");

type Rec = { id: number };
const lines = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => JSON.stringify({ id: from + i })).join("\n") + "\n";
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

/** Writes a file elsewhere, then renames it into the watched directory (the rule for writers). */
async function drop(dir: string, name: string, content: string): Promise<void> {
  const staging = join(dir, "..", "staging");
  await mkdir(staging, { recursive: true });
  await writeFile(join(staging, name), content);
  await rename(join(staging, name), join(dir, name));
}

/** Drives a reader as the runtime does, until `stop()`; snapshots may be taken between its polls. */
function drive(r: Reader, out: ReturnType<typeof collector>["output"]) {
  let running = true;
  const done = (async () => {
    while (running) {
      const status = await r.pollNext(out);
      if (status === "waiting") await Promise.race([r.available!(), new Promise((res) => setTimeout(res, 20))]);
      else await new Promise((res) => setImmediate(res));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await done;
      await r.close?.();
    },
  };
}

describe("FileSource watching a directory (continuous mode)", () => {
  it("splits into buckets; each subtask reads the new files of its own buckets, so every file is read once, and a restore re-reads none", async () => {
    const input = join(tmp(), "in");
    await mkdir(input);
    const source = new FileSource<Rec>({ paths: input, monitor: { intervalMs: 5, buckets: 5 } });
    expect(source.boundedness).toBe("continuous");
    const splits = await source.createSplits({ parallelism: 2 });
    expect(splits.map((s) => s.splitId)).toEqual(["watch-0", "watch-1", "watch-2", "watch-3", "watch-4"]);
    const c = collector();
    const start = (assigned: FileSourceSplit[][]) =>
      assigned.map((own, i) => {
        const r = reader(source, undefined, i, assigned.length);
        r.addSplits(own);
        return { r, d: drive(r, c.output) };
      });
    let readers = start([splits.filter((_, i) => i % 2 === 0), splits.filter((_, i) => i % 2 === 1)]);
    for (let f = 0; f < 6; f++) await drop(input, `f${f}.jsonl`, lines(f * 10, f * 10 + 10));
    await eventually(() => c.records.length === 60, "the first 60 records");
    // bucket splits finish at once (they carry no records); each file is a split of its own
    expect(c.finished.filter((s) => s.startsWith("watch-")).sort()).toEqual(splits.map((s) => s.splitId));
    // a checkpoint: both readers' positions
    const saved = readers.flatMap(({ r }) => structuredClone(r.snapshotState(1))) as FileWatchSplit[];
    const done = saved.flatMap((s) => s.done).sort();
    expect(done).toEqual(range(0, 6).map((f) => join(input, `f${f}.jsonl`)));
    expect(new Set(done).size).toBe(done.length); // no file in two buckets
    for (const { d } of readers) await d.stop();
    // restored at parallelism 3: the buckets are dealt again, files already read stay read
    for (let f = 6; f < 9; f++) await drop(input, `f${f}.jsonl`, lines(f * 10, f * 10 + 10));
    readers = start([0, 1, 2].map((i) => saved.filter((_, k) => k % 3 === i)));
    await eventually(() => c.records.length >= 90, "the records of the files dropped after the restore");
    await new Promise((res) => setTimeout(res, 50)); // a few more listings: nothing more may come
    for (const { d } of readers) await d.stop();
    expect(c.records.map((e) => (e.value as Rec).id).sort((a, b) => a - b)).toEqual(range(0, 90));
  });

  it("resumes a file read half-way at a restore: nothing of it lost or repeated", async () => {
    const input = join(tmp(), "in");
    await mkdir(input);
    await drop(input, "big.jsonl", lines(0, 500));
    const source = new FileSource<Rec>({ paths: input, monitor: { intervalMs: 5, buckets: 1 }, batchSize: 7, chunkSize: 64 });
    const r1 = reader(source);
    r1.addSplits(await source.createSplits({ parallelism: 1 }));
    const c1 = collector();
    while (c1.records.length < 100) {
      if ((await r1.pollNext(c1.output)) === "waiting") await r1.available!();
    }
    const saved = structuredClone(r1.snapshotState(1)) as FileWatchSplit[];
    expect(saved[0].done).toEqual([]);
    expect(saved[0].files).toEqual([expect.objectContaining({ path: join(input, "big.jsonl"), line: c1.records.length })]);
    await r1.close?.();
    const r2 = reader(source);
    r2.addSplits(saved);
    const c2 = collector();
    const d = drive(r2, c2.output);
    await eventually(() => c1.records.length + c2.records.length >= 500, "the rest of the file");
    await d.stop();
    expect([...c1.records, ...c2.records].map((e) => (e.value as Rec).id)).toEqual(range(0, 500));
  });

  it("with awaitStable, reads a new file only once two listings saw the same size", async () => {
    const input = join(tmp(), "in");
    await mkdir(input);
    const file = join(input, "growing.jsonl");
    await writeFile(file, lines(0, 1));
    const source = new FileSource<Rec>({ paths: input, monitor: { intervalMs: 1, buckets: 1, awaitStable: true } });
    const r = reader(source);
    r.addSplits(await source.createSplits({ parallelism: 1 }));
    const c = collector();
    const listing = async () => {
      await new Promise((res) => setTimeout(res, 5)); // the interval has passed
      expect(r.pollNext(c.output)).toBe("waiting"); // starts a listing
      await r.available!(); // the listing
    };
    await listing(); // first sight: size noted
    await appendFile(file, lines(1, 2));
    await listing(); // the size changed: noted again
    expect(c.records).toEqual([]);
    await listing(); // unchanged: queued
    await eventually(async () => {
      const status = await r.pollNext(c.output);
      if (status === "waiting") await r.available!();
      return c.records.length === 2;
    }, "the whole file");
    await r.close?.();
    expect(c.records.map((e) => e.value)).toEqual([{ id: 0 }, { id: 1 }]);
  });

  it("in a job: files dropped in while it runs are read; a failure and restore neither re-reads a finished file nor skips one", async () => {
    const root = tmp();
    const input = join(root, "in");
    const output = join(root, "out");
    await mkdir(input);
    await drop(input, "a.jsonl", lines(0, 100));
    await drop(input, "b.jsonl", lines(100, 200));
    const seen = new Map<number, number>();
    let failed = false;
    const env = new StreamExecutionEnvironment()
      .setParallelism(1)
      .enableCheckpointing(20, { directory: join(root, "checkpoints") })
      .setRestartStrategy(RestartStrategies.fixedDelay(2, 0));
    env
      .fromSource(new FileSource<Rec>({ paths: input, monitor: { intervalMs: 10 }, batchSize: 16 }), WatermarkStrategy.noWatermarks(), "in")
      .uid("files")
      .map((e) => {
        seen.set(e.id, (seen.get(e.id) ?? 0) + 1);
        if (e.id === 250 && !failed) {
          failed = true;
          throw new Error("injected failure");
        }
        return e;
      })
      .sinkTo(new FileSink<Rec>({ directory: output }))
      .uid("out");
    const client = await env.executeAsync("watch");
    const committed = async () => (await readCommitted<Rec>(output).catch(() => [])).map((e) => e.id);
    try {
      await eventually(async () => (await committed()).length === 200, "a and b committed");
      await drop(input, "c.jsonl", lines(200, 300));
      await eventually(async () => failed && (await committed()).length === 300, "c committed after the restart");
      await drop(input, "d.jsonl", lines(300, 400));
      await eventually(async () => (await committed()).length === 400, "d committed");
    } finally {
      await client.cancel();
    }
    expect((await committed()).sort((a, b) => a - b)).toEqual(range(0, 400));
    // a and b were committed before the failure: the restore did not read them again
    expect(range(0, 200).filter((id) => seen.get(id) !== 1)).toEqual([]);
    expect(seen.get(250)).toBe(2);
  });

  it("in a job: stop with a savepoint at parallelism 2, restore at 3: the files read before are not read again, new ones are read once", async () => {
    const root = tmp();
    const input = join(root, "in");
    await mkdir(input);
    for (let f = 0; f < 6; f++) await drop(input, `f${f}.jsonl`, lines(f * 50, f * 50 + 50));
    const run = (parallelism: number, sink: CollectSink<Rec>, restore?: string) => {
      const env = new StreamExecutionEnvironment().setParallelism(parallelism);
      if (restore !== undefined) env.restoreFrom(restore);
      env
        .fromSource(new FileSource<Rec>({ paths: join(input, "*.jsonl"), monitor: { intervalMs: 10 } }), WatermarkStrategy.noWatermarks(), "in")
        .uid("files")
        .sinkTo(sink);
      return env.executeAsync("watch-rescale");
    };
    const sink1 = new CollectSink<Rec>();
    const c1 = await run(2, sink1);
    await eventually(() => sink1.values.length === 300, "the first 300 records");
    const savepoint = await c1.stopWithSavepoint(join(root, "savepoints"));
    await c1.getJobExecutionResult();
    const sink2 = new CollectSink<Rec>();
    const c2 = await run(3, sink2, savepoint);
    try {
      for (let f = 6; f < 8; f++) await drop(input, `f${f}.jsonl`, lines(f * 50, f * 50 + 50));
      await eventually(() => sink2.values.length >= 100, "the files dropped after the restore");
      await new Promise((res) => setTimeout(res, 100)); // several more listings: nothing more may come
    } finally {
      await c2.cancel();
    }
    expect(sink1.values.map((e) => e.id).sort((a, b) => a - b)).toEqual(range(0, 300));
    expect(sink2.values.map((e) => e.id).sort((a, b) => a - b)).toEqual(range(300, 400));
  });

  it("waits for a glob that matches nothing yet; fails at the start for a missing directory; refuses a bounded split", async () => {
    const root = tmp();
    const source = new FileSource<Rec>({ paths: join(root, "later", "*.jsonl"), monitor: { intervalMs: 5, buckets: 1 } });
    const r = reader(source);
    r.addSplits(await source.createSplits({ parallelism: 1 }));
    const c = collector();
    const d = drive(r, c.output);
    await new Promise((res) => setTimeout(res, 30));
    await mkdir(join(root, "later"));
    await drop(join(root, "later"), "x.jsonl", lines(0, 3));
    await eventually(() => c.records.length === 3, "the file that came later");
    await d.stop();
    await expect(new FileSource({ paths: join(root, "nope"), monitor: { intervalMs: 5 } }).createSplits({ parallelism: 1 })).rejects.toMatchObject({
      code: "SOURCE_NOT_FOUND",
      message: expect.stringMatching(/cannot watch .*nope/),
    });
    const file = join(root, "later", "x.jsonl");
    expect(() => reader(source).addSplits([{ splitId: file, path: file, offset: 0, line: 0 }])).toThrow(/is a file split, but the source watches its paths/);
    expect(() => new FileSource({ paths: root, monitor: { intervalMs: 0 } })).toThrow(/monitor.intervalMs must be a positive number/);
  });
});
