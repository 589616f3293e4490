import { parse } from "csv-parse/sync";
import fc from "fast-check";
import { mkdtemp, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FileSource, csvFormat, type DeadLetter, type FileSplit } from "../../../src/connectors/index.js";
import { collector, poll, readAll, reader, tempDirPerTest } from "./helpers.js";

const tmp = tempDirPerTest("vigil-csv-source-");

describe("FileSource with CSV", () => {
  it("reads objects keyed by the header row: quoted delimiters, doubled quotes, newlines in fields, CRLF, a BOM, blank lines", async () => {
    const file = join(tmp(), "orders.csv");
    await writeFile(file, '\uFEFFid,note,amount\r\n1,plain,10\r\n\r\n2,"a, b",20\n3,"say ""hi""",30\n4,"two\r\nlines",40\n5,"€😀",50');
    const expected = [
      { id: "1", note: "plain", amount: "10" },
      { id: "2", note: "a, b", amount: "20" },
      { id: "3", note: 'say "hi"', amount: "30" },
      { id: "4", note: "two\r\nlines", amount: "40" },
      { id: "5", note: "€😀", amount: "50" },
    ];
    for (const chunkSize of [1, 2, 3, 7, 1 << 20]) {
      const c = await readAll(new FileSource({ paths: file, format: "csv", chunkSize, batchSize: 2 }));
      expect(c.records.map((r) => r.value)).toEqual(expected);
    }
  });

  it("casts typed columns; empty cells are null (text: empty string); a cell that does not fit is a dead letter naming the column", async () => {
    const file = join(tmp(), "t.csv");
    await writeFile(file, "id,amount,count,flag,ts,note\n" + "a,1.5,2,true,1000,x\n" + "b,,,,,\n" + "c,-2e3,+7,FALSE,1970-01-01T00:00:02Z,y\n" + "d,abc,1,true,1,z\n" + "e,1,1.5,true,1,z\n" + ",1,1,true,1,z\n");
    const letters: DeadLetter[] = [];
    const format = csvFormat({
      columns: [{ name: "id", required: true }, { name: "amount", type: "number" }, { name: "count", type: "integer" }, { name: "flag", type: "boolean" }, { name: "ts", type: "timestamp" }, "note"],
    });
    const c = await readAll(new FileSource({ paths: file, format, timestampField: "ts", deadLetters: (d) => letters.push(d) }));
    expect(c.records.map((r) => [r.value, r.ts])).toEqual([
      [{ id: "a", amount: 1.5, count: 2, flag: true, ts: 1000, note: "x" }, 1000],
      [{ id: "c", amount: -2000, count: 7, flag: false, ts: 2000, note: "y" }, 2000],
    ]);
    expect(letters.map((d) => [d.line, d.reason])).toEqual([
      [3, 'field "ts" is missing or is neither a number of ms nor a date string'], // ts is null: no timestamp
      [5, 'csv: column "amount": "abc" is not a number'],
      [6, 'csv: column "count": "1.5" is not a safe integer'],
      [7, 'csv: column "id" is empty, and it is required'],
    ]);
  });

  it("with cast, infers numbers and booleans but keeps leading zeros as text; without a header, records are arrays", async () => {
    const file = join(tmp(), "a.tsv");
    await writeFile(file, "007\t1.25\ttrue\t\tx y\n-3\t0\tfalse\t\t\n");
    const c = await readAll(new FileSource({ paths: file, format: csvFormat({ header: false, delimiter: "\t", cast: true }) }));
    expect(c.records.map((r) => r.value)).toEqual([
      ["007", 1.25, true, null, "x y"],
      [-3, 0, false, null, null],
    ]);
    const named = await readAll(new FileSource({ paths: file, format: csvFormat({ header: false, delimiter: "\t", columns: ["a", "b", "c", "d", "e"] }) }));
    expect(named.records[1].value).toEqual({ a: "-3", b: "0", c: "false", d: "", e: "" });
  });

  it("honours another delimiter and quote character, and trim", async () => {
    const file = join(tmp(), "x.csv");
    await writeFile(file, "a;b\n'x;y' ; 'it''s'\n");
    const c = await readAll(new FileSource({ paths: file, format: csvFormat({ delimiter: ";", quote: "'", trim: true }) }));
    expect(c.records.map((r) => r.value)).toEqual([{ a: "x;y", b: "it's" }]);
  });

  it("sends malformed records to the dead letters with file, the line they start on, byte offset and reason, and goes on", async () => {
    const file = join(tmp(), "bad.csv");
    const content = 'a,b\n1,"multi\nline"\n2,3,4\nx"y,5\n6,7\n"open,8\n9,10\n';
    await writeFile(file, content);
    const letters: DeadLetter[] = [];
    const source = new FileSource({ paths: file, format: "csv", name: "orders", deadLetters: (d) => letters.push(d) });
    const c = await readAll(source);
    expect(c.records.map((r) => r.value)).toEqual([
      { a: "1", b: "multi\nline" },
      { a: "6", b: "7" },
    ]);
    expect(letters.map((d) => ({ line: d.line, offset: d.offset, raw: d.raw }))).toEqual([
      { line: 4, offset: content.indexOf("2,3,4"), raw: "2,3,4" },
      { line: 5, offset: content.indexOf('x"y'), raw: 'x"y,5' },
      // an unclosed quote takes the rest of the file into one record
      { line: 7, offset: content.indexOf('"open'), raw: '"open,8\n9,10\n' },
    ]);
    expect(letters[0]).toMatchObject({ source: "orders", file, reason: "csv: the record has 3 fields, expected 2 (a, b)" });
    expect(letters[1].reason).toMatch(/^csv: Invalid Opening Quote/);
    expect(letters[2].reason).toMatch(/^csv: Quote Not Closed/);
    expect(source.deadLetterCount).toBe(3);
  });

  it("a malformed header row is a dead letter, and so is every record after it (none is silently dropped)", async () => {
    const file = join(tmp(), "h.csv");
    await writeFile(file, "a,a\n1,2\n3,4\n");
    const letters: DeadLetter[] = [];
    const c = await readAll(new FileSource({ paths: file, format: "csv", deadLetters: (d) => letters.push(d) }));
    expect(c.records).toEqual([]);
    expect(letters.map((d) => [d.line, d.reason])).toEqual([
      [1, 'csv: the header row is malformed: column name "a" appears twice'],
      [2, `csv: the file's header row is malformed (line 1: column name "a" appears twice), so its records cannot be read`],
      [3, `csv: the file's header row is malformed (line 1: column name "a" appears twice), so its records cannot be read`],
    ]);
  });

  it("keeps the header in the split: a restore in the middle of the file knows the columns", async () => {
    const file = join(tmp(), "x.csv");
    await writeFile(file, 'id,text\n1,"a\nb"\n2,c\n3,d\n');
    const source = new FileSource({ paths: file, format: "csv", batchSize: 2 });
    const r1 = reader(source);
    r1.addSplits(await source.createSplits());
    const c1 = collector();
    while (c1.records.length === 0) await poll(r1, c1.output, 1);
    const [split] = structuredClone(r1.snapshotState(1)) as FileSplit[];
    expect(c1.records.map((r) => r.value)).toEqual([{ id: "1", text: "a\nb" }]);
    expect(split).toEqual({ splitId: file, path: file, offset: 16, line: 3, header: ["id", "text"] });
    await r1.close?.();
    const r2 = reader(source);
    r2.addSplits([split]);
    const c2 = collector();
    await poll(r2, c2.output);
    expect(c2.records.map((r) => r.value)).toEqual([
      { id: "2", text: "c" },
      { id: "3", text: "d" },
    ]);
  });

  it("refuses bad options with a clear error", () => {
    expect(() => csvFormat({ delimiter: ";;" })).toThrow(/csv format: delimiter must be one ASCII character/);
    expect(() => csvFormat({ delimiter: '"' })).toThrow(/quote and delimiter must differ/);
    expect(() => csvFormat({ columns: ["a", "a"] })).toThrow(/column name "a" appears twice/);
    expect(() => csvFormat({ columns: [{ name: "a", type: "float" as never }] })).toThrow(/column "a": type must be one of/);
    expect(() => new FileSource({ paths: "x", format: "tsv" as never })).toThrow(/format must be "jsonl", "csv", a csvFormat/);
  });

  it("for any CSV (fields with delimiters, quotes, newlines, CRLF) and any snapshot/crash points, emits what reading it straight does", async () => {
    const field = fc.string({ unit: fc.constantFrom("a", "b", ",", '"', "\n", "\r", "\r\n", " ", "é", "😀"), maxLength: 5 });
    const row = (columns: number) =>
      fc.oneof(
        { arbitrary: fc.record({ kind: fc.constant("ok" as const), fields: fc.array(field, { minLength: columns, maxLength: columns }), quoteAll: fc.boolean() }), weight: 6 },
        { arbitrary: fc.record({ kind: fc.constant("count" as const), fields: fc.array(field, { minLength: columns + 1, maxLength: columns + 1 }), quoteAll: fc.boolean() }), weight: 1 },
        { arbitrary: fc.constant({ kind: "badQuote" as const, fields: [] as string[], quoteAll: false }), weight: 1 },
        { arbitrary: fc.constant({ kind: "blank" as const, fields: [] as string[], quoteAll: false }), weight: 1 },
      );
    const file = fc.integer({ min: 2, max: 3 }).chain((columns) =>
      fc.record({
        columns: fc.constant(columns),
        rows: fc.array(fc.record({ row: row(columns), crlf: fc.boolean() }), { maxLength: 10, size: "max" }),
        finalNewline: fc.boolean(),
        bom: fc.boolean(),
      }),
    );
    const step = fc.record({ polls: fc.integer({ min: 0, max: 6 }), crash: fc.boolean() });
    const encode = (f: string, quoteAll: boolean) => (quoteAll || /[,"\r\n]/.test(f) ? `"${f.replaceAll('"', '""')}"` : f);
    await fc.assert(
      fc.asyncProperty(fc.array(file, { minLength: 1, maxLength: 2 }), fc.integer({ min: 1, max: 16 }), fc.integer({ min: 1, max: 5 }), fc.array(step, { maxLength: 10, size: "max" }), async (files, chunkSize, batchSize, steps) => {
        const run = await mkdtemp(join(tmp(), "run-"));
        const expected: unknown[] = [];
        const expectedLetters: Array<[string, number, number]> = [];
        const straight: unknown[] = [];
        for (const [i, f] of files.entries()) {
          const path = join(run, `f${i}.csv`);
          const names = Array.from({ length: f.columns }, (_, k) => `c${k}`);
          let content = (f.bom ? "\uFEFF" : "") + names.join(",") + "\n";
          f.rows.forEach(({ row: r, crlf }, k) => {
            const at = Buffer.byteLength(content);
            const line = 1 + (content.match(/\n/g)?.length ?? 0);
            let text = "";
            if (r.kind === "ok" || r.kind === "count") text = r.fields.map((x) => encode(x, r.quoteAll)).join(",");
            if (r.kind === "badQuote") text = 'x"y' + ",z".repeat(f.columns - 1);
            if (r.kind === "ok") expected.push(Object.fromEntries(names.map((n, j) => [n, r.fields[j]])));
            if (r.kind === "count" || r.kind === "badQuote") expectedLetters.push([path, line, at]);
            content += text + (k < f.rows.length - 1 || f.finalNewline ? (crlf ? "\r\n" : "\n") : "");
          });
          await writeFile(path, content);
          straight.push(...parse(content, { bom: true, columns: true, record_delimiter: ["\r\n", "\n"], skip_empty_lines: true, skip_records_with_error: true }));
        }
        const letters: Array<[string, number, number]> = [];
        const source = new FileSource({ paths: run, format: "csv", chunkSize, batchSize, deadLetters: (d) => letters.push([d.file!, d.line!, d.offset as number]) });
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
        const values = c.records.map((e) => e.value);
        expect(values).toEqual(expected);
        expect(values).toEqual(straight);
        expect(letters).toEqual(expectedLetters);
      }),
      { numRuns: 150 },
    );
  });
});
