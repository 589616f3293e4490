import { mkdir, mkdtemp, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Alert } from "../../../src/service/alert.js";
import { resolveConfig } from "../../../src/service/config/index.js";
import { createLogger } from "../../../src/service/log.js";
import { startService, type RunningService } from "../../../src/service/run/index.js";

/** A log line as the tests read it. */
export interface Log {
  readonly level: number;
  readonly msg: string;
  readonly [k: string]: unknown;
}

/** A rule over processing time: `first` then (followedBy) `then` of one card. */
export function rule(id: string, version: number, first: string, then: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id,
    version,
    source: "tx",
    key: "card",
    eventTime: null,
    stages: [
      { name: "x", where: `kind == '${first}'` },
      { name: "y", where: `kind == '${then}'` },
    ],
    alert: { severity: "low", fields: { n: "count($x)" }, sinks: ["alerts"] },
    ...extra,
  };
}

/** The config of the tests' services: events from files dropped into `incoming/`, alerts to the console, the folder watched. */
export const baseConfig = (extra: Record<string, unknown>) => ({
  patterns: "patterns",
  sources: { tx: { type: "file", path: "incoming", watch: true, watchIntervalMs: 50 } },
  sinks: { alerts: { type: "console" } },
  state: { backend: "heap" },
  checkpoints: { intervalMs: 0, directory: ".vigil/checkpoints" },
  api: { enabled: false },
  reload: { watch: true, debounceMs: 50, intervalMs: 200 },
  ...extra,
});

/** A service started on a temp folder, with its alerts and logs at hand. */
export interface Service {
  readonly dir: string;
  readonly svc: RunningService;
  readonly alerts: () => Alert[];
  readonly logs: Log[];
  send(...events: Array<Record<string, unknown>>): Promise<void>;
  writeRule(name: string, doc: unknown): Promise<void>;
}

const running: Service[] = [];
let fileNo = 0;

/** Starts a service with `rules` (file name to document) in its pattern folder; stopped by {@link stopServices}. */
export async function startTestService(rules: Record<string, unknown>, extraConfig: Record<string, unknown> = {}, logLevel = "info"): Promise<Service> {
  const dir = await mkdtemp(join(tmpdir(), "vigil-reload-"));
  await mkdir(join(dir, "patterns"));
  await mkdir(join(dir, "incoming"));
  for (const [name, doc] of Object.entries(rules)) await writeFile(join(dir, "patterns", name), JSON.stringify(doc, null, 2));
  const config = resolveConfig(baseConfig(extraConfig), { file: join(dir, "vigil.config.json"), baseDir: dir, env: {} });
  let out = "";
  const logs: Log[] = [];
  const log = createLogger({ level: logLevel, format: "json", destination: { write: (line: string) => void logs.push(JSON.parse(line) as Log) } });
  const svc = await startService(config, { stdout: { write: (s: string) => ((out += s), true) }, log });
  const s: Service = {
    dir,
    svc,
    logs,
    alerts: () => out.split("\n").filter((l) => l.trim() !== "").map((l) => JSON.parse(l) as Alert),
    async send(...events) {
      // renamed into place: the file source never sees half a file
      const tmp = join(dir, `e${fileNo}.tmp`);
      await writeFile(tmp, events.map((e) => JSON.stringify(e)).join("\n") + "\n");
      await rename(tmp, join(dir, "incoming", `e${fileNo++}.jsonl`));
    },
    async writeRule(name, doc) {
      // as editors save: a temp file renamed over the old one
      const tmp = join(dir, "patterns", `.${name}.swp`);
      await writeFile(tmp, typeof doc === "string" ? doc : JSON.stringify(doc, null, 2));
      await rename(tmp, join(dir, "patterns", name));
    },
  };
  running.push(s);
  return s;
}

/** Stops every service the test started and removes their folders (an `afterEach`). */
export async function stopServices(): Promise<void> {
  for (const s of running.splice(0)) {
    await s.svc.stop().catch(() => undefined);
    await s.svc.done.catch(() => undefined);
    await rm(s.dir, { recursive: true, force: true });
  }
}

/** Polls `probe` until it gives a value (the machine is loaded: no fixed sleeps). */
export async function until<T>(what: string, probe: () => T | undefined | false, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export const versions = (s: Service) => s.svc.control.rules().map((r) => `${r.id}@${r.version}:${r.state}`).sort();
export const shown = (alerts: Alert[]) => alerts.map((a) => `${a.rule}@${a.version} ${String(a.key)} n=${String(a.fields.n)}`).sort();
