import { mkdir, readFile, rename, unlink, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { VigilConfig } from "../config/index.js";

/**
 * What a running service writes so that `vigil status|savepoint|stop` find its API without being
 * told the URL (the port may be any free one). Never holds the token.
 */
export interface ApiState {
  readonly url: string;
  readonly pid: number;
  readonly jobId: string;
  /** ISO-8601, when the API started listening. */
  readonly startedAt: string;
  /** The config file the service was started with. */
  readonly config: string;
}

/**
 * Where a service started with `config` writes its {@link ApiState}: `api.json` in the folder
 * that holds the checkpoint directory (`.vigil/api.json` for the default `.vigil/checkpoints`),
 * so that the CLI, given the same config (and environment), finds it.
 */
export function apiStateFile(config: Pick<VigilConfig, "checkpoints">): string {
  return join(dirname(config.checkpoints.directory), "api.json");
}

/** Writes the state file atomically (a reader never sees half of it). */
export async function writeApiState(file: string, state: ApiState): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(state, null, 2)}\n`);
  await rename(tmp, file);
}

/** The state file's content; undefined when there is none or it is not one of ours. */
export async function readApiState(file: string): Promise<ApiState | undefined> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch {
    return undefined;
  }
  try {
    const doc = JSON.parse(text) as Partial<ApiState>;
    return typeof doc.url === "string" && typeof doc.pid === "number" ? (doc as ApiState) : undefined;
  } catch {
    return undefined;
  }
}

/** Removes the state file if it is still this server's (a newer service may have replaced it). */
export async function removeApiState(file: string, url: string): Promise<void> {
  const state = await readApiState(file);
  if (state === undefined || state.url !== url || state.pid !== process.pid) return;
  await unlink(file).catch(() => undefined);
}
