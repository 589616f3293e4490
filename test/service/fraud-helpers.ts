import { spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { ExpectedAlert } from "../../examples/fraud/events.js";

/** The repository root. */
export const ROOT = fileURLToPath(new URL("../..", import.meta.url));

export interface Ran {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a TypeScript entry point of the repository with `node --import tsx`, from the root. */
export function runTs(script: string, args: readonly string[]): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", script, ...args], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (b: Buffer) => out.push(b));
    child.stderr.on("data", (b: Buffer) => err.push(b));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout: Buffer.concat(out).toString("utf8"), stderr: Buffer.concat(err).toString("utf8") }));
  });
}

/** `vigil <args>` from source, as a child process. */
export const vigil = (...args: string[]): Promise<Ran> => runTs("test/service/fraud-cli.ts", args);

/** An alert as `vigil replay` prints it (the parts the test reads). */
export interface ReplayedAlert {
  readonly rule: string;
  readonly key: unknown;
  readonly time: number;
  readonly fields: Record<string, unknown>;
  readonly timedOut?: true;
}

/** `rule key time`: what an alert and an expected alert must agree on. */
export const signature = (a: { rule: string; key: unknown; time: number }): string => `${a.rule} ${JSON.stringify(a.key)} ${new Date(a.time).toISOString()}`;

export const parseLines = <T>(text: string): T[] => text.split("\n").filter((l) => l.trim() !== "").map((l) => JSON.parse(l) as T);

export async function readExpected(dir: string): Promise<ExpectedAlert[]> {
  return parseLines<ExpectedAlert>(await readFile(join(dir, "expected-alerts.jsonl"), "utf8"));
}

/** Sorted signatures, so that two lists compare as multisets and a failure shows the difference. */
export const signatures = (alerts: ReadonlyArray<{ rule: string; key: unknown; time: number }>): string[] => alerts.map(signature).sort();
