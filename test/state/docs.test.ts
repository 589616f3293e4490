import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { format } from "node:util";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it, vi } from "vitest";

const DOC = new URL("../../docs/state.md", import.meta.url);
const STATE = pathToFileURL(new URL("../../src/state/index.ts", import.meta.url).pathname).href;
const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

/** The fenced block right after `<!-- example:NAME -->`. */
function block(doc: string, name: string): string {
  const m = new RegExp(`<!-- example:${name} -->\\s*\`\`\`[a-z]*\\n([\\s\\S]*?)\\n\`\`\``).exec(doc);
  if (m === null) throw new Error(`no example:${name} block in docs/state.md`);
  return m[1];
}

describe("docs/state.md", () => {
  it.each(["heap", "leveldb"])("the runnable example prints what the page shows (%s backend)", async (backend) => {
    const doc = await readFile(DOC, "utf8");
    const dir = await mkdtemp(join(tmpdir(), "vigil-state-docs-"));
    dirs.push(dir);
    let code = block(doc, "state").replaceAll(`from "vigil"`, `from ${JSON.stringify(STATE)}`);
    if (backend === "leveldb") {
      code = code.replace("const factory = heapBackend();", `const factory = (await import(${JSON.stringify(STATE)})).levelDbBackend({ directory: ${JSON.stringify(dir)} });`);
      expect(code).toContain(".levelDbBackend(");
    }
    const file = join(dir, "example.ts");
    await writeFile(file, code);
    const lines: string[] = [];
    const log = vi.spyOn(console, "log").mockImplementation((...args: unknown[]) => void lines.push(format(...args)));
    try {
      await import(pathToFileURL(file).href);
    } finally {
      log.mockRestore();
    }
    expect(lines.join("\n")).toBe(block(doc, "state-output"));
  });
});
