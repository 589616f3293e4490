import { cp, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { main } from "../../../src/service/cli.js";

/** The repository root. */
export const ROOT = fileURLToPath(new URL("../../..", import.meta.url));

/** A temp folder with `patterns/` and the sample traffic copied in, and `config` (if given) as `vigil.config.json`. */
export async function serviceDir(config?: unknown): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "vigil-run-"));
  await cp(join(ROOT, "patterns"), join(dir, "patterns"), { recursive: true });
  await cp(join(ROOT, "examples/transactions.jsonl"), join(dir, "examples/transactions.jsonl"));
  if (config !== undefined) await writeFile(join(dir, "vigil.config.json"), JSON.stringify(config, null, 2));
  return dir;
}

/** The repository's default config, as the README's first command uses it. */
export async function defaultConfig(): Promise<Record<string, unknown>> {
  const doc = JSON.parse(await readFile(join(ROOT, "vigil.config.json"), "utf8")) as Record<string, unknown>;
  delete doc.$schema;
  return doc;
}

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** `vigil <args>` in this process, with buffers for stdout and stderr. */
export async function cli(...args: string[]): Promise<CliRun> {
  let stdout = "";
  let stderr = "";
  const code = await main(["node", "vigil", "--log-level", "silent", ...args], {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
  });
  return { code, stdout, stderr };
}

export const parseLines = <T>(text: string): T[] => text.split("\n").filter((l) => l.trim() !== "").map((l) => JSON.parse(l) as T);

/** What two runs must agree on, one string per alert, sorted: a set comparison that shows the difference on failure. */
export const identities = (alerts: ReadonlyArray<{ id: string; rule: string; version: number; key: unknown; time: number; timedOut?: true }>): string[] =>
  alerts.map((a) => JSON.stringify([a.id, a.rule, a.version, a.key, a.time, a.timedOut === true])).sort();
