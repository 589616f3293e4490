import fc from "fast-check";
import { mkdtemp, mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import pino from "pino";
import { describe, expect, it } from "vitest";
import { FileSource, type DeadLetter } from "../../../src/connectors/index.js";
import { collector, poll, readAll, reader, tempDirPerTest } from "./helpers.js";

const tmp = tempDirPerTest("vigil-file-source-");

describe("FileSource", () => {
  it("reads the .jsonl files of a directory in path order, one split per file", async () => {
    const dir = tmp();
    await writeFile(join(dir, "b.jsonl"), '{"n":3}\n');
    await writeFile(join(dir, "a.jsonl"), '{"n":1}\n{"n":2}\n');
    await writeFile(join(dir, "notes.txt"), "not read\n");
    await writeFile(join(dir, ".hidden.jsonl"), "not read\n");
    await mkdir(join(dir, "sub.jsonl"));
    const source = new FileSource({ paths: dir });
    const splits = await source.createSplits();
    expect(splits).toEqual([
      { splitId: join(dir, "a.jsonl"), path: join(dir, "a.jsonl"), offset: 0, line: 0 },
      { splitId: join(dir, "b.jsonl"), path: join(dir, "b.jsonl"), offset: 0, line: 0 },
    ]);
    const c = await readAll(source);
    expect(c.records.map((r) => r.value)).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
    expect(c.records.map((r) => r.split)).toEqual([splits[0].splitId, splits[0].splitId, splits[1].splitId]);
    expect(c.finished).toEqual(splits.map((s) => s.splitId));
  });

  it("accepts CRLF, a BOM, blank lines, a last line without newline and characters split across reads", async () => {
    const dir = tmp();
    const file = join(dir, "x.jsonl");
    await writeFile(file, '\uFEFF{"s":"é€😀"}\r\n\r\n  \n{"s":"ü"}\n{"s":"end"}');
    for (const chunkSize of [1, 2, 3, 5, 1 << 20]) {
      const c = await readAll(new FileSource({ paths: [file], chunkSize, batchSize: 2 }));
      expect(c.records.map((r) => r.value)).toEqual([{ s: "é€😀" }, { s: "ü" }, { s: "end" }]);
    }
  });

  it("sends malformed lines to the dead letters with file, line and byte offset, logs them at warn and goes on", async () => {
    const dir = tmp();
    const file = join(dir, "x.jsonl");
    await writeFile(file, '{"n":1}\n{"n":\n\n{"n":2}\r\nnope\n');
    const letters: DeadLetter[] = [];
    const logged: string[] = [];
    const log = pino({ level: "warn" }, { write: (s: string) => logged.push(s) });
    const source = new FileSource({ paths: file, name: "orders", deadLetters: (d) => letters.push(d) });
    const r = reader(source, log);
    r.addSplits(await source.createSplits());
    const c = collector();
    await poll(r, c.output);
    expect(c.records.map((r) => r.value)).toEqual([{ n: 1 }, { n: 2 }]);
    expect(letters).toEqual([
      { source: "orders", file, line: 2, offset: 8, reason: expect.stringMatching(/^jsonl: /), raw: '{"n":' },
      { source: "orders", file, line: 5, offset: 24, reason: expect.stringMatching(/^jsonl: /), raw: "nope" },
    ]);
    expect(source.deadLetterCount).toBe(2);
    expect(logged).toHaveLength(2);
    expect(JSON.parse(logged[0])).toMatchObject({ level: 40, file, line: 2, offset: 8, msg: "malformed record sent to dead letters" });
  });

  it("takes timestamps from timestampField (ms or a date string); a record without one is a dead letter", async () => {
    const dir = tmp();
    const file = join(dir, "x.jsonl");
    await writeFile(file, '{"ts":1000}\n{"ts":"1970-01-01T00:00:02Z"}\n{"other":1}\n');
    const letters: DeadLetter[] = [];
    const c = await readAll(new FileSource({ paths: file, timestampField: "ts", deadLetters: (d) => letters.push(d) }));
    expect(c.records.map((r) => r.ts)).toEqual([1000, 2000]);
    expect(letters.map((d) => [d.line, d.reason])).toEqual([[3, 'field "ts" is missing or is neither a number of ms nor a date string']]);
  });

  it("resumes a restored split from its offset and line number, with nothing lost or repeated", async () => {
    const dir = tmp();
    const file = join(dir, "x.jsonl");
    await writeFile(file, [1, 2, 3, 4, 5].map((n) => `{"n":${n}}`).join("\n") + "\nbad\n");
    const letters: DeadLetter[] = [];
    const source = new FileSource({ paths: file, batchSize: 2, chunkSize: 7, deadLetters: (d) => letters.push(d) });
    const r1 = reader(source);
    r1.addSplits(await source.createSplits());
    const c1 = collector();
    while (c1.records.length < 2) await poll(r1, c1.output, 1);
    const splits = structuredClone(r1.snapshotState(1));
    const n = c1.records.length; // each line is 8 bytes
    expect(splits).toEqual([{ splitId: file, path: file, offset: 8 * n, line: n }]);
    await r1.close?.();
    const r2 = reader(source);
    r2.addSplits(splits);
    const c2 = collector();
    await poll(r2, c2.output);
    expect([...c1.records, ...c2.records].map((r) => r.value)).toEqual([1, 2, 3, 4, 5].map((n) => ({ n })));
    expect(letters.map((d) => [d.line, d.offset])).toEqual([[6, 40]]);
  });

  it("fails clearly for a missing path and for a file shorter than its restored position", async () => {
    const dir = tmp();
    await expect(new FileSource({ paths: join(dir, "nope") }).createSplits()).rejects.toMatchObject({ code: "SOURCE_NOT_FOUND" });
    const file = join(dir, "x.jsonl");
    await writeFile(file, "{}\n");
    const r = reader(new FileSource({ paths: file }));
    r.addSplits([{ splitId: file, path: file, offset: 100, line: 9 }]);
    const c = collector();
    await expect(poll(r, c.output)).rejects.toThrow(/has 3 bytes, fewer than its checkpointed position 100/);
    expect(() => new FileSource({ paths: [] })).toThrow(/paths must name at least one file/);
    expect(() => new FileSource({ paths: dir, chunkSize: 0 })).toThrow(/chunkSize must be a positive integer/);
  });

  it("for any content, chunk size and snapshot/crash points, emits every record exactly once and every dead letter at its line and offset", async () => {
    const dir = tmp();
    const text = fc.string({ unit: "grapheme", maxLength: 6 });
    const line = fc.oneof(
      text.map((s) => ({ ok: true, raw: JSON.stringify({ s }) })),
      fc.constantFrom("{bad", "nope", '{"a":').map((raw) => ({ ok: false, raw })),
      fc.constantFrom("", " ").map((raw) => ({ ok: undefined, raw })),
    );
    const file = fc.record({ lines: fc.array(fc.record({ line, crlf: fc.boolean() }), { maxLength: 12, size: "max" }), finalNewline: fc.boolean() });
    const step = fc.record({ polls: fc.integer({ min: 0, max: 6 }), crash: fc.boolean() });
    await fc.assert(
      fc.asyncProperty(
        fc.array(file, { minLength: 1, maxLength: 3 }),
        fc.integer({ min: 1, max: 16 }),
        fc.integer({ min: 1, max: 5 }),
        fc.array(step, { maxLength: 10, size: "max" }),
        async (files, chunkSize, batchSize, steps) => {
          const run = await mkdtemp(join(dir, "run-"));
          const expected: unknown[] = [];
          const expectedLetters: Array<[string, number, number, string]> = [];
          for (const [i, f] of files.entries()) {
            const path = join(run, `f${i}.jsonl`);
            let content = "";
            f.lines.forEach(({ line: l, crlf }, k) => {
              const at = Buffer.byteLength(content);
              if (l.ok === true) expected.push(JSON.parse(l.raw));
              if (l.ok === false) expectedLetters.push([path, k + 1, at, l.raw]);
              content += l.raw + (k < f.lines.length - 1 || f.finalNewline ? (crlf ? "\r\n" : "\n") : "");
            });
            await writeFile(path, content);
          }
          const letters: Array<[string, number, number, string]> = [];
          const source = new FileSource({ paths: run, chunkSize, batchSize, deadLetters: (d) => letters.push([d.file!, d.line!, d.offset as number, d.raw]) });
          const c = collector();
          let r = reader(source);
          r.addSplits(await source.createSplits());
          let saved = { splits: structuredClone(r.snapshotState(0)), records: 0, letters: 0 };
          for (const s of steps) {
            await poll(r, c.output, s.polls);
            if (s.crash) {
              // what was emitted after the snapshot is discarded downstream and replayed
              c.records.length = saved.records;
              letters.length = saved.letters;
              await r.close?.();
              r = reader(source);
              r.addSplits(structuredClone(saved.splits));
            } else saved = { splits: structuredClone(r.snapshotState(1)), records: c.records.length, letters: letters.length };
          }
          await poll(r, c.output);
          await r.close?.();
          expect(c.records.map((e) => e.value)).toEqual(expected);
          expect(letters).toEqual(expectedLetters);
        },
      ),
      { numRuns: 150 },
    );
  });
});
