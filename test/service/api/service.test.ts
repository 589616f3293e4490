import { copyFile, mkdir } from "node:fs/promises";
import { join } from "node:path";
import { Writable } from "node:stream";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { runCommand } from "../../../src/service/run/index.js";
import { cli, serviceDir } from "../run/helpers.js";


describe("the REST API of a real service", () => {
  it("answers while the service runs, and vigil stop ends the run as SIGTERM does (exit 0, a savepoint)", async () => {
    const dir = await serviceDir({
      patterns: "patterns",
      sources: { transactions: { type: "file", path: "incoming", watch: true, watchIntervalMs: 100, outOfOrderness: "4h", idleness: "200ms" } },
      sinks: { alerts: { type: "file", path: "alerts.jsonl" } },
      state: { backend: "heap" },
      checkpoints: { intervalMs: 0, directory: ".vigil/checkpoints" },
      shutdown: "savepoint",
      api: { port: 0 },
    });
    await mkdir(join(dir, "incoming"));
    await copyFile(join(dir, "examples/transactions.jsonl"), join(dir, "incoming/a.jsonl"));
    const config = join(dir, "vigil.config.json");

    let logs = "";
    const log = pino({ level: "info" }, new Writable({ write: (chunk: Buffer, _e, done) => ((logs += chunk.toString("utf8")), done()) }));
    let stderr = "";
    let url: string | undefined;
    let ended: number | undefined;
    const run = runCommand(
      config,
      { io: { stdout: { write: () => true }, stderr: { write: (s: string) => (stderr += s) } }, log },
      // no signal handlers: only the API stops this one
      { onStopSignal: () => () => undefined, onApiListening: (u) => (url = u), env: {} },
    );
    void run.then((code) => (ended = code));
    await expect.poll(() => url !== undefined || ended !== undefined, { timeout: 30_000 }).toBe(true);
    expect(url, `${stderr}\n${logs}`).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

    await expect.poll(async () => (await fetch(`${url}/ready`)).status, { timeout: 30_000 }).toBe(200);
    const { jobs } = (await (await fetch(`${url}/jobs`)).json()) as { jobs: Array<{ status: string; sources: string[]; rules: number }> };
    expect(jobs).toEqual([expect.objectContaining({ status: "RUNNING", sources: ["transactions"], rules: 10 })]);
    const rules = (await (await fetch(`${url}/rules/card-testing`)).json()) as { id: string; document: Record<string, unknown> };
    expect([rules.id, rules.document.id]).toEqual(["card-testing", "card-testing"]);
    // a rule replaced through the API runs at once; a broken one is refused with its problems
    const put = (doc: unknown) => fetch(`${url}/rules/card-testing`, { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify(doc) });
    const replaced = await put({ ...rules.document, version: 4 });
    expect(replaced.status).toBe(200);
    expect(((await (await fetch(`${url}/rules/card-testing`)).json()) as { version: number }).version).toBe(4);
    const broken = await put({ ...rules.document, version: 5, stages: [{ name: "small", where: "amount <" }] });
    expect(broken.status).toBe(400);
    const problems = (await broken.json()) as { error: string; details: string[] };
    expect(problems.error).toBe("invalid_rule");
    expect(problems.details.some((d) => d.includes("/stages/0/where"))).toBe(true);
    const checkpoint = await fetch(`${url}/checkpoints`, { method: "POST" });
    expect(checkpoint.status).toBe(201);

    // Prometheus metrics of this run: the sample's 291 lines read (2 of them dead letters), the
    // checkpoint just taken, the rules' partial matches and the operators' watermarks
    const scrape = async () => (await fetch(`${url}/metrics`)).text();
    await expect.poll(scrape, { timeout: 30_000 }).toMatch(/^vigil_events_in_total\{source="transactions"\} 289$/m);
    const metrics = await scrape();
    expect(metrics).toMatch(/^vigil_dead_letters_total\{source="transactions",reason_class="[a-z_]+"\} [12]$/m);
    expect(metrics).toMatch(/^vigil_checkpoints_total\{result="completed"\} [1-9]/m);
    expect(metrics).toMatch(/^vigil_partial_matches\{rule="card-testing",version="4"\} \d+$/m);
    expect(metrics).toMatch(/^vigil_watermark_lag_seconds\{operator="[^"]+"\} [\d.e+-]+$/m);
    expect(metrics).toMatch(/^vigil_state_entries\{operator="[^"]+",backend="heap"\} [1-9]/m);
    expect(metrics).toMatch(/^process_cpu_seconds_total /m);

    const status = await cli("status", "--config", config);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toMatch(/: RUNNING, up /);

    const stop = await cli("stop", "--config", config);
    expect(stop.code, stop.stderr).toBe(0);
    expect(stop.stdout).toMatch(/savepoint/);
    expect(await run).toBe(0);
    expect(stderr).toMatch(/^summary: stopped \(.*savepoint.*\)/m);
    expect(logs).toContain(`"url":"${url}"`);
    // the API went with the service
    await expect(fetch(`${url}/health`)).rejects.toThrow();
    expect((await cli("status", "--config", config)).code).toBe(3);
  });
});
