/**
 * Runs the fraud job in child processes and kills it with SIGKILL at random moments, restarting it
 * after each kill, until it has been killed `kills` times; then lets it finish. Shared by the
 * crash test (test/runtime/checkpoint/crash.test.ts) and the soak (bench/checkpoint/soak.ts).
 */
import { spawn } from "node:child_process";

export interface KillRunOptions {
  /** The command and arguments that start the job (e.g. node dist/bench/checkpoint/fraud-job.js ...). */
  readonly command: string;
  readonly args: readonly string[];
  readonly kills: number;
  /** A kill comes at a random moment in [minDelayMs, maxDelayMs) after the job prints "running". */
  readonly minDelayMs: number;
  readonly maxDelayMs: number;
  /** Random numbers in [0, 1) (seeded by the caller, so a failure can be reproduced). */
  readonly random: () => number;
  /** Gives up after this many starts (a job that never makes progress). */
  readonly maxStarts?: number;
  readonly env?: NodeJS.ProcessEnv;
}

export interface KillRunResult {
  readonly kills: number;
  readonly starts: number;
  /** Delay after "running" of each kill (ms). */
  readonly killDelays: number[];
  /** What each start restored from ("fresh" or a checkpoint directory). */
  readonly restoredFrom: string[];
}

interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Starts the job; if `killAfter` is given, kills it that long after it prints "running" (unless it ended first). */
function runOnce(o: KillRunOptions, killAfter: number | undefined): Promise<Exit & { killed: boolean; restoredFrom: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(o.command, [...o.args], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...o.env } });
    let stdout = "";
    let stderr = "";
    let killed = false;
    let restoredFrom = "";
    let timer: NodeJS.Timeout | undefined;
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
      const m = /running (\S+)/.exec(stdout);
      if (m !== null && restoredFrom === "") {
        restoredFrom = m[1];
        if (killAfter !== undefined) {
          timer = setTimeout(() => {
            killed = child.kill("SIGKILL");
          }, killAfter);
        }
      }
    });
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
      if (stderr.length > 200_000) stderr = stderr.slice(-100_000);
    });
    child.on("error", reject);
    child.on("exit", (code, signal) => {
      if (timer !== undefined) clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, killed: killed && signal === "SIGKILL", restoredFrom });
    });
  });
}

export async function runWithKills(o: KillRunOptions): Promise<KillRunResult> {
  const killDelays: number[] = [];
  const restoredFrom: string[] = [];
  let starts = 0;
  const maxStarts = o.maxStarts ?? o.kills * 4 + 2;
  while (killDelays.length < o.kills) {
    if (++starts > maxStarts) throw new Error(`the job was started ${maxStarts} times but killed only ${killDelays.length} times`);
    const delay = Math.floor(o.minDelayMs + o.random() * (o.maxDelayMs - o.minDelayMs));
    const r = await runOnce(o, delay);
    restoredFrom.push(r.restoredFrom);
    if (r.killed) {
      killDelays.push(delay);
      continue;
    }
    if (r.code === 0 && r.stdout.includes("finished")) {
      throw new Error(`the job finished before it was killed ${o.kills} times (${killDelays.length} kills); give it more input or kill sooner`);
    }
    throw new Error(`the job failed (exit ${r.code}, signal ${r.signal}):\n${r.stderr.slice(-4000)}`);
  }
  starts++;
  const last = await runOnce(o, undefined);
  restoredFrom.push(last.restoredFrom);
  if (last.code !== 0 || !last.stdout.includes("finished")) {
    throw new Error(`the last run did not finish (exit ${last.code}, signal ${last.signal}):\n${last.stderr.slice(-4000)}`);
  }
  return { kills: killDelays.length, starts, killDelays, restoredFrom };
}

/** A small seeded generator (mulberry32). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
