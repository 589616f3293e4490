import { spawn } from "node:child_process";
import { mkdtemp, writeFile } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { apiStateFile, startApiServer, type ApiServer, type StartApiOptions } from "../../../src/service/api/index.js";
import { loadConfig } from "../../../src/service/config/index.js";
import { createLogger } from "../../../src/service/log.js";
import { cli } from "../run/helpers.js";
import { FakeControl, ROOT } from "./fake-control.js";

const silent = createLogger({ level: "silent" });
const started: ApiServer[] = [];
afterEach(async () => {
  delete process.env.VIGIL_API_TOKEN;
  await Promise.all(started.splice(0).map((s) => s.close()));
});

async function serve(options: StartApiOptions = {}, control = new FakeControl()) {
  const api = await startApiServer(control, { port: 0, ...options }, silent);
  started.push(api);
  return { api, control };
}


/** A port nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const { port } = s.address() as AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

/** A folder with a minimal config whose checkpoints go to `.vigil/checkpoints`. */
async function configDir(api?: unknown): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "vigil-remote-"));
  const config = { sources: { transactions: { type: "file", path: "events.jsonl" } }, sinks: { alerts: { type: "console" } }, ...(api !== undefined && { api }) };
  await writeFile(join(dir, "vigil.config.json"), JSON.stringify(config));
  return dir;
}

describe("vigil status", () => {
  it("prints the job, rules, alerts and last checkpoint of the service at --url", async () => {
    const { api, control } = await serve();
    await control.triggerCheckpoint();
    const r = await cli("status", "--url", api.url);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^job 0f3c9a12 \(vigil\): RUNNING, up \d+d \d+h \(since 2025-01-02T03:04:05.000Z\)$/);
    expect(lines.slice(1)).toEqual([
      "resumed from: /tmp/vigil/checkpoints/chk-7",
      "sources: transactions",
      "rules: 2, 6 alerts so far",
      "last checkpoint: 8 at /tmp/vigil/checkpoints/chk-8 (4.0 kB)",
      `api: ${api.url}`,
    ]);
    const json = await cli("status", "--url", `${api.url}/`, "--json");
    expect(JSON.parse(json.stdout)).toMatchObject({ url: api.url, job: { id: "0f3c9a12", status: "RUNNING" }, lastCheckpoint: { checkpointId: 8 } });
  });

  it("finds the service through the state file next to the config's checkpoint directory", async () => {
    const dir = await configDir({ port: 0 });
    const configFile = join(dir, "vigil.config.json");
    const stateFile = apiStateFile(await loadConfig(configFile, {}));
    expect(stateFile).toBe(join(dir, ".vigil", "api.json"));
    const { api } = await serve({ stateFile });
    const r = await cli("status", "--config", configFile);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`api: ${api.url}`);
    await api.close();
    // the state file went with the server; with port 0 nothing else says where a service would be
    const gone = await cli("status", "--config", configFile);
    expect(gone.code).toBe(3);
    expect(gone.stderr).toBe(`vigil status: no service: no state file ${stateFile} (is the service of ${configFile} running? with api.port 0 only that file knows its URL)\n`);
  });

  it("exits 3 naming the URL tried when no service answers", async () => {
    const port = await closedPort();
    const r = await cli("status", "--url", `http://127.0.0.1:${port}`);
    expect(r.code).toBe(3);
    expect(r.stderr).toBe(`vigil status: no service answers at http://127.0.0.1:${port} (--url): connection refused\n`);
    // a config's fixed port is tried when there is no state file
    const dir = await configDir({ port });
    const viaConfig = await cli("status", "--config", join(dir, "vigil.config.json"));
    expect(viaConfig.code).toBe(3);
    expect(viaConfig.stderr).toContain(`no service answers at http://127.0.0.1:${port} (${join(dir, "vigil.config.json")} (no state file ${join(dir, ".vigil", "api.json")})): connection refused`);
  });

  it("sends the token from VIGIL_API_TOKEN; without it, exits 1 and says what to set", async () => {
    const { api } = await serve({ token: "t0ken" });
    const refused = await cli("status", "--url", api.url);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(
      "vigil status: the service refused (401 unauthorized): this service needs a bearer token: Authorization: Bearer <token>\nvigil status: set VIGIL_API_TOKEN to the service's token\n",
    );
    process.env.VIGIL_API_TOKEN = "wrong";
    expect((await cli("status", "--url", api.url)).stderr).toContain("VIGIL_API_TOKEN does not hold the service's token");
    process.env.VIGIL_API_TOKEN = "t0ken";
    expect((await cli("status", "--url", api.url)).code).toBe(0);
  });

  it("bad usage exits 2", async () => {
    expect((await cli("status", "--url", "not a url")).code).toBe(2);
    expect((await cli("status", "--url", "ftp://127.0.0.1:1")).stderr).toBe("vigil status: --url ftp://127.0.0.1:1: must be an http:// or https:// URL\n");
    expect((await cli("status", "--timeout", "soon")).code).toBe(2);
    const missing = await cli("status", "--config", join(tmpdir(), "no-such-vigil.config.json"));
    expect([missing.code, missing.stderr]).toEqual([2, `vigil status: ${join(tmpdir(), "no-such-vigil.config.json")} /: cannot read the config: no such file\n`]);
  });
});

describe("vigil savepoint", () => {
  it("prints the savepoint's path; a relative --directory is sent absolute", async () => {
    const { api, control } = await serve();
    const plain = await cli("savepoint", "--url", api.url);
    expect([plain.code, plain.stdout]).toEqual([0, "/tmp/vigil/checkpoints/savepoints/savepoint-9\n"]);
    const r = await cli("savepoint", "--url", api.url, "--directory", "backups");
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${join(process.cwd(), "backups")}/savepoint-9\n`);
    expect(control.calls).toEqual(["triggerSavepoint (default)", `triggerSavepoint ${join(process.cwd(), "backups")}`]);
  });

  it("exits 1 with the service's reason when it refuses", async () => {
    const { api, control } = await serve();
    control.jobStatus = "FINISHED";
    const r = await cli("savepoint", "--url", api.url);
    expect([r.code, r.stderr]).toEqual([1, "vigil savepoint: the service refused (409 job_not_running): cannot take a savepoint: the job is FINISHED\n"]);
  });
});

describe("vigil stop", () => {
  it("prints the snapshot and returns once the service no longer answers", async () => {
    const control = new FakeControl();
    const { api } = await serve({}, control);
    // as vigil run does: the API closes when the job has ended
    const stop = control.stop.bind(control);
    control.stop = async () => {
      const path = await stop();
      setTimeout(() => void api.close(), 200);
      return path;
    };
    const r = await cli("stop", "--url", api.url);
    expect(r.stdout).toBe("/tmp/vigil/savepoints/savepoint-1\n");
    expect(r.stderr).toBe(`vigil stop: the service at ${api.url} has stopped\n`);
    expect(r.code).toBe(0);
    await expect(fetch(`${api.url}/health`)).rejects.toThrow();
  });

  it("--no-wait returns once the snapshot is taken", async () => {
    const { api, control } = await serve();
    const r = await cli("stop", "--url", api.url, "--no-wait");
    expect([r.code, r.stdout]).toEqual([0, "/tmp/vigil/savepoints/savepoint-1\n"]);
    expect(control.jobStatus).toBe("FINISHED");
  });
});

describe("--help", () => {
  it.each(["status", "savepoint", "stop"])("vigil %s --help names the options and exit codes", async (name) => {
    const r = await cli(name, "--help");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("--url <url>");
    expect(r.stdout).toContain("--config <file>");
    expect(r.stdout).toContain("VIGIL_API_TOKEN");
    expect(r.stdout).toContain("3 no service answers at the URL");
  });
});

describe("in a process of its own", () => {
  it("vigil status exits as soon as it has printed (no connection keeps it alive)", async () => {
    const { api } = await serve();
    const t0 = Date.now();
    const child = spawn(process.execPath, ["--import", "tsx", "test/service/fraud-cli.ts", "status", "--url", api.url], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (b: Buffer) => (out += b.toString("utf8")));
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    expect(code).toBe(0);
    expect(out).toContain("RUNNING");
    // well under an HTTP keep-alive timeout (5 s) plus tsx's start-up
    expect(Date.now() - t0).toBeLessThan(15_000);
  });
});
