import { mkdir, writeFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { FileSource } from "../../../src/connectors/index.js";
import { readAll, tempDirPerTest } from "./helpers.js";

const tmp = tempDirPerTest("vigil-file-glob-");

async function tree(root: string, files: Record<string, string>): Promise<void> {
  for (const [name, content] of Object.entries(files)) {
    await mkdir(join(root, name, ".."), { recursive: true });
    await writeFile(join(root, name), content);
  }
}

describe("FileSource paths with globs", () => {
  it("expands glob patterns (fast-glob syntax) into files sorted by path; hidden files and other extensions stay out", async () => {
    const root = tmp();
    await tree(root, {
      "data/2026-02/b.csv": "n\n3\n",
      "data/2026-01/x/a.csv": "n\n2\n",
      "data/2026-01/a.csv": "n\n1\n",
      "data/2026-01/.hidden.csv": "n\n9\n",
      "data/2026-01/notes.txt": "n\n9\n",
      "data/2025-12/z.csv": "n\n9\n",
    });
    const source = new FileSource({ paths: join(root, "data/2026-*/**/*.csv"), format: "csv" });
    const splits = await source.createSplits();
    expect(splits.map((s) => relative(root, s.splitId))).toEqual(["data/2026-01/a.csv", "data/2026-01/x/a.csv", "data/2026-02/b.csv"]);
    expect((await readAll(source)).records.map((r) => r.value)).toEqual([{ n: "1" }, { n: "2" }, { n: "3" }]);
  });

  it("takes a glob relative to the working directory, and reads a file named twice (by a glob and a path) once", async () => {
    const root = tmp();
    await tree(root, { "in/a.jsonl": '{"n":1}\n', "in/b.jsonl": '{"n":2}\n' });
    const cwd = process.cwd();
    process.chdir(root);
    try {
      const source = new FileSource({ paths: ["in/*.jsonl", "in/a.jsonl", join(root, "in")] });
      expect((await source.createSplits()).map((s) => s.splitId)).toEqual([join(root, "in/a.jsonl"), join(root, "in/b.jsonl")]);
    } finally {
      process.chdir(cwd);
    }
  });

  it("takes an existing path with glob characters in its name as that path", async () => {
    const root = tmp();
    await tree(root, { "in/orders[1].jsonl": '{"n":1}\n', "in/orders1.jsonl": '{"n":2}\n' });
    const c = await readAll(new FileSource({ paths: join(root, "in/orders[1].jsonl") }));
    expect(c.records.map((r) => r.value)).toEqual([{ n: 1 }]);
  });

  it("fails a bounded read with SOURCE_NOT_FOUND when a glob matches no file, naming the pattern", async () => {
    const root = tmp();
    await tree(root, { "in/a.jsonl": "{}\n" });
    const pattern = join(root, "in/*.csv");
    await expect(new FileSource({ paths: [join(root, "in"), pattern] }).createSplits()).rejects.toMatchObject({
      code: "SOURCE_NOT_FOUND",
      message: `file source "files": the glob ${JSON.stringify(pattern)} matches no file (relative to ${process.cwd()})`,
    });
  });
});
