import { spawn } from "node:child_process";
import { copyFile, mkdir, rename } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readCommitted } from "../../../src/connectors/index.js";
import type { Alert } from "../../../src/service/alert.js";
import { ROOT, serviceDir } from "./helpers.js";

interface Child {
  readonly stderr: () => string;
  readonly exited: Promise<number | null>;
  kill(signal: NodeJS.Signals): void;
}

/** `vigil run --config <file>` from source, as a child process (SIGTERM must reach a real process). */
function startVigil(config: string): Child {
  const child = spawn(process.execPath, ["--import", "tsx", "test/service/fraud-cli.ts", "run", "--config", config], { cwd: ROOT, stdio: ["ignore", "ignore", "pipe"] });
  let err = "";
  child.stderr.on("data", (b: Buffer) => (err += b.toString("utf8")));
  const exited = new Promise<number | null>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => resolve(code));
  });
  return { stderr: () => err, exited, kill: (s) => child.kill(s) };
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 45_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe.each(["savepoint", "checkpoint"] as const)("SIGTERM with shutdown %s", (shutdown) => {
  it("exits 0, and a restart resumes without writing any alert twice to the exactly-once sink", async () => {
    const dir = await serviceDir({
      patterns: "patterns",
      sources: { transactions: { type: "file", path: "incoming", watch: true, watchIntervalMs: 100, outOfOrderness: "1m", idleness: "200ms" } },
      sinks: { alerts: { type: "file", directory: "out" } },
      state: { backend: "leveldb", directory: ".vigil/state" },
      checkpoints: { intervalMs: 200, directory: ".vigil/checkpoints" },
      shutdown,
    });
    const config = join(dir, "vigil.config.json");
    const out = join(dir, "out");
    const committed = async () => readCommitted<Alert>(out).catch(() => [] as Alert[]);
    await mkdir(join(dir, "incoming"));
    await copyFile(join(dir, "examples/transactions.jsonl"), join(dir, "incoming/a.jsonl"));

    const first = startVigil(config);
    const before = await until("alerts of a.jsonl committed", async () => {
      const alerts = await committed();
      return alerts.length > 0 ? alerts : undefined;
    });
    first.kill("SIGTERM");
    expect(await first.exited, first.stderr()).toBe(0);
    expect(first.stderr()).toMatch(/^summary: stopped \(.+\)/m);
    const afterFirst = await committed();
    expect(afterFirst.length).toBeGreaterThanOrEqual(before.length);

    // more traffic while it is down; the restart resumes where it stopped
    // renamed into place, so the watcher never sees it half-written
    await copyFile(join(dir, "examples/transactions.jsonl"), join(dir, "incoming/b.tmp"));
    await rename(join(dir, "incoming/b.tmp"), join(dir, "incoming/b.jsonl"));
    const second = startVigil(config);
    const known = new Set(afterFirst.map((a) => a.id));
    await until("alerts of b.jsonl committed", async () => ((await committed()).some((a) => !known.has(a.id)) ? true : undefined));
    second.kill("SIGTERM");
    expect(await second.exited, second.stderr()).toBe(0);
    expect(second.stderr()).toMatch(/^summary: stopped \(.+\), resumed from /m);

    const all = await committed();
    const ids = all.map((a) => a.id);
    expect(new Set(ids).size).toBe(ids.length);
    // what the first run committed is there once, not again
    for (const a of afterFirst) expect(ids.filter((id) => id === a.id)).toHaveLength(1);
  });
});
