import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach } from "vitest";
import type { FileSource, FileSourceSplit } from "../../../src/connectors/index.js";
import type { SourceReader } from "../../../src/runtime/index.js";
import { runtimeLogger } from "../../../src/runtime/logger.js";

export type Reader = SourceReader<unknown, FileSourceSplit>;

/** A fresh temporary directory per test (`dir()`), removed after it. */
export function tempDirPerTest(prefix: string): () => string {
  let dir = "";
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), prefix));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  return () => dir;
}

export interface Emitted {
  value: unknown;
  split: string;
  ts: number | undefined;
}

/** Collects what a reader emits; `finished` lists finished splits. */
export function collector() {
  const records: Emitted[] = [];
  const finished: string[] = [];
  return {
    records,
    finished,
    output: {
      collect: (value: unknown, split: string, ts?: number) => void records.push({ value, split, ts }),
      splitFinished: (split: string) => void finished.push(split),
    },
  };
}

export function reader<T>(source: FileSource<T>, log = runtimeLogger(), subtaskIndex = 0, parallelism = 1): Reader {
  return source.createReader({ subtaskIndex, parallelism, log }) as Reader;
}

/** Polls until the input ends or `maxPolls` polls were made; true when it ended. */
export async function poll(r: Reader, out: ReturnType<typeof collector>["output"], maxPolls = Infinity): Promise<boolean> {
  for (let i = 0; i < maxPolls; i++) {
    const status = await r.pollNext(out);
    if (status === "end") return true;
    if (status === "waiting") await r.available!();
  }
  return false;
}

/** Reads a bounded source to its end with one reader. */
export async function readAll<T>(source: FileSource<T>): Promise<ReturnType<typeof collector>> {
  const r = reader(source);
  r.addSplits(await source.createSplits({ parallelism: 1 }));
  const c = collector();
  await poll(r, c.output);
  await r.close?.();
  return c;
}

/** Waits (polling `check`, which may be async) until it holds; fails after `timeoutMs` naming `what`. */
export async function eventually(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
