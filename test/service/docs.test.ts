import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, test } from "vitest";
import { main } from "../../src/service/cli.js";

const DOC = new URL("../../docs/pattern-files.md", import.meta.url);
let dir: string | undefined;
afterAll(async () => {
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

/** The fenced block right after `<!-- example:NAME -->`. */
function block(doc: string, name: string): string {
  const m = new RegExp(`<!-- example:${name} -->\\s*\`\`\`[a-z]*\\n([\\s\\S]*?)\\n\`\`\``).exec(doc);
  if (m === null) throw new Error(`no example:${name} block in docs/pattern-files.md`);
  return m[1];
}

test("the runnable example of docs/pattern-files.md gives the output the page shows", async () => {
  const doc = await readFile(DOC, "utf8");
  const shown = JSON.parse(block(doc, "alert")) as { detectedAt: number };
  dir = await mkdtemp(join(tmpdir(), "vigil-docs-"));
  await mkdir(join(dir, "patterns"));
  await writeFile(join(dir, "patterns", "declines-then-approval.json"), block(doc, "rule"));
  await writeFile(join(dir, "events.jsonl"), `${block(doc, "events")}\n`);
  let stdout = "";
  let stderr = "";
  const cwd = process.cwd();
  process.chdir(dir); // so that the file names in the output are the page's relative ones
  try {
    const code = await main(["node", "vigil", "match", "patterns/declines-then-approval.json", "events.jsonl"], {
      stdout: { write: (s: string) => (stdout += s) },
      stderr: { write: (s: string) => (stderr += s) },
      now: () => shown.detectedAt,
    });
    expect(code).toBe(0);
  } finally {
    process.chdir(cwd);
  }
  expect(stdout.trim().split("\n").map((l) => JSON.parse(l) as unknown)).toEqual([shown]);
  expect(stderr).toBe(`${block(doc, "stderr")}\n`);
});
