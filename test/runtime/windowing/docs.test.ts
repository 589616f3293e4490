import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterAll, expect, test, vi } from "vitest";

const DOC = new URL("../../../docs/windows.md", import.meta.url);
const SRC = new URL("../../../src/", import.meta.url);
let dir: string | undefined;
afterAll(async () => {
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

/** The fenced block right after `<!-- example:NAME -->`. */
function block(doc: string, name: string): string {
  const m = new RegExp(`<!-- example:${name} -->\\s*\`\`\`[a-z]*\\n([\\s\\S]*?)\\n\`\`\``).exec(doc);
  if (m === null) throw new Error(`no example:${name} block in docs/windows.md`);
  return m[1];
}

test("the runnable example of docs/windows.md prints what the page shows", async () => {
  const doc = await readFile(DOC, "utf8");
  dir = await mkdtemp(join(tmpdir(), "vigil-windows-doc-"));
  // "vigil" is the package root; the windowing API is re-exported beside it
  const root = (p: string) => JSON.stringify(pathToFileURL(fileURLToPath(new URL(p, SRC))).href);
  await writeFile(join(dir, "vigil.ts"), `export * from ${root("index.ts")};\nexport * from ${root("runtime/windowing/index.ts")};\n`);
  await writeFile(join(dir, "example.ts"), block(doc, "windows").replace(/from "vigil"/g, `from ${JSON.stringify(pathToFileURL(join(dir, "vigil.ts")).href)}`));
  const lines: string[] = [];
  const log = vi.spyOn(console, "log").mockImplementation((...args: unknown[]) => void lines.push(args.join(" ")));
  try {
    await import(pathToFileURL(join(dir, "example.ts")).href);
  } finally {
    log.mockRestore();
  }
  expect(lines.join("\n")).toBe(block(doc, "windows-output"));
});
