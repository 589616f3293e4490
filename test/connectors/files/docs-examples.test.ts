/**
 * Runs the examples of docs/file-connectors.md marked `<!-- runnable -->`, as written (only the
 * `"vigil"` import is pointed at the sources), in a directory holding the files they read.
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterEach, describe, expect, it, vi } from "vitest";
import { readCommitted, readCommittedCsv } from "../../../src/connectors/index.js";
import { tempDirPerTest } from "./helpers.js";

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, "../../..");
const tmp = tempDirPerTest("vigil-file-docs-");
const cwd = process.cwd();
afterEach(() => {
  process.chdir(cwd);
  vi.restoreAllMocks();
});

const orders = [
  { id: "o1", amount: 50, ts: 1000 },
  { id: "o2", amount: 150, ts: 2000 },
  { id: "o3", amount: 300, ts: 3000 },
];

async function fixture(root: string): Promise<void> {
  const files: Record<string, string> = {
    "data/orders/a.jsonl": orders.slice(0, 2).map((o) => JSON.stringify(o)).join("\n") + "\nnot json\n",
    "data/orders/b.jsonl": JSON.stringify(orders[2]) + "\n",
    "data/payments.csv": "id,card,amount,ts\r\np1,c1,20,2026-01-01T00:00:00Z\r\np2,c1,1500,2026-01-01T00:01:00Z\r\n,c2,9000,2026-01-01T00:02:00Z\r\np4,c2,2500.5,1767225780000\r\n",
    "data/2026-01/a.csv": "n,flag\n1,true\n",
    "data/2026-01/deep/b.csv": "n,flag\n2,false\n",
    "data/2026-02/c.csv": "n,flag\n3,true\n",
    "data/2025-12/old.csv": "n,flag\n9,true\n",
  };
  for (const [name, content] of Object.entries(files)) {
    await mkdir(dirname(join(root, name)), { recursive: true });
    await writeFile(join(root, name), content);
  }
  await mkdir(join(root, "incoming"));
  await mkdir(join(root, "staging"));
}

async function examples(): Promise<string[]> {
  const doc = await readFile(join(repo, "docs/file-connectors.md"), "utf8");
  return [...doc.matchAll(/<!-- runnable -->\n```ts\n([\s\S]*?)```/g)].map((m) => m[1]);
}

/** Runs example `i` in a fresh fixture directory; returns the directory and what it logged. */
async function run(i: number): Promise<{ root: string; logged: unknown[][] }> {
  const code = (await examples())[i].replaceAll('from "vigil"', `from ${JSON.stringify(pathToFileURL(join(repo, "src/index.ts")).href)}`);
  const root = tmp();
  await fixture(root);
  const file = join(root, `example-${i}.ts`);
  await writeFile(file, code);
  const logged: unknown[][] = [];
  vi.spyOn(console, "log").mockImplementation((...args: unknown[]) => void logged.push(args));
  vi.spyOn(console, "warn").mockImplementation(() => {});
  process.chdir(root);
  await import(pathToFileURL(file).href);
  return { root, logged };
}

describe("docs/file-connectors.md examples", () => {
  it("has the five runnable examples", async () => {
    expect(await examples()).toHaveLength(5);
  });

  it("JSON lines, exactly once: the large orders are committed", async () => {
    const { root } = await run(0);
    expect((await readCommitted<{ id: string }>(join(root, "out/large-orders"))).map((o) => o.id).sort()).toEqual(["o2", "o3"]);
  });

  it("CSV with a header and typed columns: the large payments, typed, in CSV", async () => {
    const { root, logged } = await run(1);
    const expected = [
      { id: "p2", card: "c1", amount: 1500, ts: Date.parse("2026-01-01T00:01:00Z") },
      { id: "p4", card: "c2", amount: 2500.5, ts: 1767225780000 },
    ];
    expect(logged).toEqual([[expected]]);
    expect(await readCommittedCsv(join(root, "out/large-payments"))).toEqual(expected.map((p) => ({ ...p, amount: String(p.amount), ts: String(p.ts) })));
  });

  it("a glob: the 2026 files only", async () => {
    const { logged } = await run(2);
    expect(logged).toEqual([[3]]);
  });

  it("continuous mode: a file renamed into the watched directory is committed", async () => {
    const { root } = await run(3);
    expect((await readCommitted<{ id: string }>(join(root, "out/incoming"))).map((o) => o.id).sort()).toEqual(["o1", "o2"]);
  });

  it("a rolling sink: the orders as CSV parts", async () => {
    const { root, logged } = await run(4);
    expect((logged[0][0] as string[]).length).toBeGreaterThanOrEqual(1);
    const rows = await readCommittedCsv(join(root, "out/orders-csv"));
    expect(rows.sort((a, b) => String(a.id).localeCompare(String(b.id)))).toEqual(orders.map((o) => ({ id: o.id, amount: String(o.amount), ts: String(o.ts) })));
  });
});
