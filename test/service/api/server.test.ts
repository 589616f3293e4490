import { createServer, type AddressInfo } from "node:net";
import { mkdtemp, readFile, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { bearerMatches, buildApiServer, readApiState, startApiServer, type ApiServer, type ApiServerOptions } from "../../../src/service/api/index.js";
import { createLogger } from "../../../src/service/log.js";
import { FakeControl, patternDocument } from "./fake-control.js";

const silent = createLogger({ level: "silent" });
/** 90 minutes after the fake job started. */
const NOW = Date.UTC(2025, 0, 2, 4, 34, 5);

async function server(control = new FakeControl(), options: ApiServerOptions = {}) {
  const app = await buildApiServer(control, { now: () => NOW, ...options }, silent);
  const call = async (method: "GET" | "PUT" | "POST" | "DELETE", url: string, init: { body?: unknown; payload?: string; headers?: Record<string, string> } = {}) => {
    const r = await app.inject({
      method,
      url,
      headers: init.headers ?? {},
      ...(init.body !== undefined && { payload: init.body as object }),
      ...(init.payload !== undefined && { payload: init.payload }),
    });
    return { status: r.statusCode, headers: r.headers, text: r.body, json: () => JSON.parse(r.body) as any };
  };
  return { app, control, call };
}

const started: ApiServer[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((s) => s.close()));
});

describe("probes", () => {
  it("/health is up unless the job failed; /ready only while it runs", async () => {
    const { control, call } = await server();
    expect((await call("GET", "/health")).json()).toEqual({ status: "up", job: "RUNNING" });
    expect((await call("GET", "/ready")).status).toBe(200);
    control.jobStatus = "RESTARTING";
    expect((await call("GET", "/health")).status).toBe(200);
    const notReady = await call("GET", "/ready");
    expect([notReady.status, notReady.json()]).toEqual([503, { ready: false, job: "RESTARTING" }]);
    control.jobStatus = "FAILED";
    const down = await call("GET", "/health");
    expect([down.status, down.json()]).toEqual([503, { status: "down", job: "FAILED" }]);
  });
});

describe("jobs", () => {
  it("lists the one job and finds it by id", async () => {
    const { call } = await server();
    const { jobs } = (await call("GET", "/jobs")).json();
    expect(jobs).toEqual([
      {
        id: "0f3c9a12",
        name: "vigil",
        status: "RUNNING",
        startedAt: "2025-01-02T03:04:05.000Z",
        uptimeMs: 5_400_000,
        restoredFrom: "/tmp/vigil/checkpoints/chk-7",
        sources: ["transactions"],
        rules: 2,
      },
    ]);
    expect((await call("GET", "/jobs/0f3c9a12")).json()).toEqual(jobs[0]);
    const missing = await call("GET", "/jobs/nope");
    expect([missing.status, missing.json()]).toEqual([404, { error: "not_found", message: "no job nope (this service runs job 0f3c9a12)" }]);
  });
});

describe("rules", () => {
  it("lists rules and gets one with its document", async () => {
    const { call } = await server();
    const { rules } = (await call("GET", "/rules")).json();
    expect(rules.map((r: { id: string }) => r.id)).toEqual(["card-testing", "impossible-travel"]);
    expect(rules[0]).toEqual({ id: "card-testing", version: 3, description: expect.any(String), source: "transactions", file: "patterns/card-testing.json", state: "active" });
    const one = (await call("GET", "/rules/card-testing")).json();
    expect(one.document).toEqual(patternDocument("card-testing"));
    expect((await call("GET", "/rules/nope")).json()).toEqual({ error: "not_found", message: "no rule nope" });
    const bad = await call("GET", "/rules/-x");
    expect(bad.status).toBe(400);
    expect(bad.json().details).toEqual(["params/id: must be a rule id: letters, digits, '.', '_' and '-', starting with a letter or digit"]);
  });

  it("PUT creates (201, Location) and replaces (200) a rule", async () => {
    const { call, control } = await server();
    const doc = { ...patternDocument("card-testing"), id: "card-testing-eu" };
    const created = await call("PUT", "/rules/card-testing-eu", { body: doc });
    expect(created.status).toBe(201);
    expect(created.headers.location).toBe("/rules/card-testing-eu");
    expect(created.json()).toMatchObject({ created: true, rule: { id: "card-testing-eu", version: 3, file: "api:card-testing-eu" } });
    const replaced = await call("PUT", "/rules/card-testing-eu", { body: { ...doc, version: 4 } });
    expect([replaced.status, replaced.json().created, replaced.json().rule.version]).toEqual([200, false, 4]);
    expect((await call("GET", "/rules/card-testing-eu")).json().document).toEqual({ ...doc, version: 4 });
    expect(control.calls).toEqual(["putRule card-testing-eu", "putRule card-testing-eu"]);
  });

  it("PUT with a document that breaks the schema: 400 with every problem, one line each, and nothing deployed", async () => {
    const { call, control } = await server();
    const doc = { ...patternDocument("card-testing"), version: "4", within: "ten minutes", colour: "red" } as Record<string, unknown>;
    delete doc.stages;
    const r = await call("PUT", "/rules/card-testing", { body: doc });
    expect(r.status).toBe(400);
    const body = r.json();
    expect(body.error).toBe("invalid_rule");
    expect(body.message).toBe("the rule document is not valid: 4 problems");
    expect([...body.details].sort()).toEqual(
      [
        "/stages: is required",
        "/colour: is not a known property (expected: $schema, id, version, description, source, key, eventTime, within, afterMatch, stages, alert, onTimeout)",
        "/version: must be an integer",
        expect.stringMatching(/^\/within: must be a duration/),
      ].sort(),
    );
    expect(control.calls).toEqual([]);
  });

  it("PUT with a bad expression: the control's compile errors come back as 400 details", async () => {
    const { call } = await server();
    const doc = patternDocument("card-testing") as { stages: Array<{ where: string }> };
    doc.stages[1].where = "amount > 500 && merchant != first($smal).merchant";
    const r = await call("PUT", "/rules/card-testing", { body: doc });
    expect(r.status).toBe(400);
    expect(r.json().error).toBe("invalid_rule");
    expect(r.json().details).toEqual([expect.stringMatching(/^api:card-testing \/stages\/1\/where:\d+: unknown stage \$smal/)]);
  });

  it("PUT whose document id is not the path's: 400 id_mismatch, the control is not asked", async () => {
    const { call, control } = await server();
    const r = await call("PUT", "/rules/other", { body: patternDocument("card-testing") });
    expect([r.status, r.json()]).toEqual([400, { error: "id_mismatch", message: 'the document\'s id "card-testing" is not the path\'s "other"' }]);
    expect(control.calls).toEqual([]);
  });

  it("PUT with a body that is not JSON, empty, or not declared JSON", async () => {
    const { call } = await server();
    const json = { "content-type": "application/json" };
    const broken = await call("PUT", "/rules/x", { payload: '{"id": "x",', headers: json });
    expect([broken.status, broken.json().error]).toEqual([400, "invalid_json"]);
    const empty = await call("PUT", "/rules/x", { payload: "", headers: json });
    expect([empty.status, empty.json().error]).toEqual([400, "invalid_json"]);
    const text = await call("PUT", "/rules/x", { payload: "id: x", headers: { "content-type": "text/plain" } });
    expect([text.status, text.json().error]).toEqual([415, "unsupported_media_type"]);
    const array = await call("PUT", "/rules/x", { payload: "[1]", headers: json });
    expect([array.status, array.json().details]).toEqual([400, ["/: must be an object"]]);
  });

  it("DELETE: 204, then 404", async () => {
    const { call } = await server();
    const first = await call("DELETE", "/rules/card-testing");
    expect([first.status, first.text]).toEqual([204, ""]);
    expect((await call("DELETE", "/rules/card-testing")).status).toBe(404);
    expect((await call("GET", "/rules")).json().rules.map((r: { id: string }) => r.id)).toEqual(["impossible-travel"]);
  });

  it("statistics per rule and for all", async () => {
    const { call } = await server();
    const all = (await call("GET", "/stats/rules")).json();
    expect(all.rules).toHaveLength(2);
    expect(all.rules[0]).toEqual({ rule: "card-testing", version: 3, events: 100, skipped: 2, invalid: 1, late: 0, alerts: 3, timeouts: 0 });
    expect((await call("GET", "/rules/impossible-travel/stats")).json()).toEqual({ rule: "impossible-travel", versions: [all.rules[1]] });
    expect((await call("GET", "/rules/nope/stats")).status).toBe(404);
  });
});

describe("checkpoints, savepoints, stop", () => {
  it("triggers a checkpoint (201) and lists it; 409 when the job does not run", async () => {
    const { call, control } = await server();
    expect((await call("GET", "/checkpoints")).json()).toEqual({ checkpoints: [] });
    const r = await call("POST", "/checkpoints");
    expect([r.status, r.json()]).toEqual([201, { checkpointId: 8, kind: "checkpoint", location: "/tmp/vigil/checkpoints/chk-8", bytesWritten: 1024, size: 4096 }]);
    expect((await call("GET", "/checkpoints")).json().checkpoints).toEqual([r.json()]);
    control.jobStatus = "FINISHED";
    const refused = await call("POST", "/checkpoints");
    expect([refused.status, refused.json()]).toEqual([409, { error: "job_not_running", message: "cannot take a checkpoint: the job is FINISHED" }]);
  });

  it("takes a savepoint where configured or in an absolute directory; refuses relative ones and unknown properties", async () => {
    const { call, control } = await server();
    const plain = await call("POST", "/savepoints");
    expect([plain.status, plain.json()]).toEqual([201, { path: "/tmp/vigil/checkpoints/savepoints/savepoint-9" }]);
    const dir = join(tmpdir(), "sp");
    expect((await call("POST", "/savepoints", { body: { directory: dir } })).json()).toEqual({ path: `${dir}/savepoint-9` });
    const relative = await call("POST", "/savepoints", { body: { directory: "sp" } });
    expect([relative.status, relative.json().message]).toEqual([400, 'directory must be an absolute path on the service\'s machine, got "sp"']);
    const unknown = await call("POST", "/savepoints", { body: { dir: "/x" } });
    expect([unknown.status, unknown.json().details]).toEqual([400, ["body: dir is not a known property"]]);
    expect(control.calls).toEqual(["triggerSavepoint (default)", `triggerSavepoint ${dir}`]);
  });

  it("stops: answers with the snapshot once taken; 409 once stopped", async () => {
    const { call, control } = await server();
    const r = await call("POST", "/stop");
    expect([r.status, r.json()]).toEqual([200, { stopped: true, snapshot: "/tmp/vigil/savepoints/savepoint-1" }]);
    expect(control.calls).toEqual(["stop"]);
    expect((await call("POST", "/stop")).status).toBe(409);
  });

  it("stop?wait=false answers 202 before the snapshot is taken", async () => {
    const { call, control } = await server();
    let open!: () => void;
    control.stopGate = new Promise<void>((r) => (open = r));
    const r = await call("POST", "/stop?wait=false");
    expect([r.status, r.json()]).toEqual([202, { stopping: true }]);
    expect(control.jobStatus).toBe("RUNNING");
    open();
    await expect.poll(() => control.jobStatus).toBe("FINISHED");
    expect((await call("POST", "/stop?wait=perhaps")).json().details).toEqual(["querystring/wait: must be boolean"]);
  });
});

describe("errors, OpenAPI, metrics", () => {
  it("an unknown route is a JSON 404", async () => {
    const { call } = await server();
    const r = await call("GET", "/jobz");
    expect([r.status, r.headers["content-type"], r.json()]).toEqual([404, "application/json; charset=utf-8", { error: "not_found", message: "no route GET /jobz (GET /openapi.json lists them)" }]);
  });

  it("a control that throws gives a JSON 500 naming the route", async () => {
    const control = new FakeControl();
    control.triggerCheckpoint = async () => {
      throw new Error("disk full");
    };
    const { call } = await server(control);
    const r = await call("POST", "/checkpoints");
    expect([r.status, r.json()]).toEqual([500, { error: "internal", message: "POST /checkpoints failed: disk full" }]);
  });

  it("serves an OpenAPI 3.1 document with every route and the pattern schema as the PUT body", async () => {
    const { call } = await server(new FakeControl(), { version: "1.2.3" });
    const doc = (await call("GET", "/openapi.json")).json();
    expect(doc.openapi).toBe("3.1.0");
    expect(doc.info).toMatchObject({ title: "Vigil REST API", version: "1.2.3" });
    const operations = Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
    expect(operations.sort()).toEqual(
      [
        "GET /health",
        "GET /ready",
        "GET /jobs",
        "GET /jobs/{id}",
        "GET /rules",
        "GET /rules/{id}",
        "PUT /rules/{id}",
        "DELETE /rules/{id}",
        "GET /rules/{id}/stats",
        "GET /stats/rules",
        "GET /checkpoints",
        "POST /checkpoints",
        "POST /savepoints",
        "POST /stop",
        "GET /openapi.json",
        "GET /metrics",
      ].sort(),
    );
    expect(doc.paths["/rules/{id}"].put.requestBody.content["application/json"].schema).toEqual({ $ref: "#/components/schemas/PatternDocument" });
    expect(doc.components.schemas.PatternDocument.required).toContain("stages");
    // every $ref resolves inside the document
    for (const [, target] of JSON.stringify(doc).matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)) expect(doc.components.schemas, target).toHaveProperty([target]);
    expect(doc.components.securitySchemes.bearer).toMatchObject({ type: "http", scheme: "bearer" });
    expect(doc.paths["/health"].get.security).toEqual([]);
  });

  it("/metrics passes the registry's text and content type through; 404 without metrics", async () => {
    const without = await server();
    expect((await without.call("GET", "/metrics")).json()).toEqual({ error: "not_found", message: "this service runs without metrics" });
    const text = "# HELP vigil_events_total Events read.\n# TYPE vigil_events_total counter\nvigil_events_total{source=\"transactions\"} 291\n";
    const { call } = await server(new FakeControl(), { metrics: { contentType: "text/plain; version=0.0.4; charset=utf-8", text: async () => text } });
    const r = await call("GET", "/metrics");
    expect([r.status, r.headers["content-type"], r.text]).toEqual([200, "text/plain; version=0.0.4; charset=utf-8", text]);
  });
});

describe("bearer token", () => {
  const token = "s3cr3t-t0ken-value";

  it("is needed everywhere but the probes", async () => {
    const { call } = await server(new FakeControl(), { token });
    expect((await call("GET", "/health")).status).toBe(200);
    expect((await call("GET", "/ready")).status).toBe(200);
    const none = await call("GET", "/jobs");
    expect([none.status, none.headers["www-authenticate"], none.json().error]).toEqual([401, 'Bearer realm="vigil"', "unauthorized"]);
    const wrong = await call("GET", "/jobs", { headers: { authorization: "Bearer nope" } });
    expect([wrong.status, wrong.headers["www-authenticate"]]).toEqual([401, 'Bearer realm="vigil", error="invalid_token"']);
    expect((await call("GET", "/jobs", { headers: { authorization: `Basic ${token}` } })).status).toBe(401);
    expect((await call("GET", "/jobs", { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
    expect((await call("GET", "/jobs", { headers: { authorization: `bearer ${token}` } })).status).toBe(200);
    // nothing is parsed, and no route is revealed, before the token is checked
    expect((await call("PUT", "/rules/x", { payload: "{", headers: { "content-type": "application/json" } })).status).toBe(401);
    expect((await call("GET", "/no-such-route")).status).toBe(401);
    expect((await call("GET", "/openapi.json")).status).toBe(401);
  });

  it("compares in constant time over equal-length digests", () => {
    expect(bearerMatches(`Bearer ${token}`, token)).toBe(true);
    expect(bearerMatches(`Bearer ${token}x`, token)).toBe(false);
    expect(bearerMatches("Bearer", token)).toBe(false);
    expect(bearerMatches(token, token)).toBe(false);
    expect(bearerMatches(undefined, token)).toBe(false);
  });

  it("never reaches the logs, while requests are logged", async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString("utf8"));
        done();
      },
    });
    const log = pino({ level: "trace" }, sink);
    const app = await buildApiServer(new FakeControl(), { token }, log);
    await app.inject({ method: "GET", url: "/jobs", headers: { authorization: `Bearer ${token}` } });
    await app.inject({ method: "POST", url: "/checkpoints", headers: { authorization: `Bearer ${token}` } });
    await app.inject({ method: "GET", url: "/jobs", headers: { authorization: "Bearer wrong-token" } });
    await app.close();
    const all = lines.join("");
    expect(all).toContain('"url":"/checkpoints"');
    expect(all).toContain('"statusCode":401');
    expect(all).not.toContain(token);
    expect(all).not.toContain("wrong-token");
    expect(all.toLowerCase()).not.toContain("authorization");
  });
});

describe("startApiServer", () => {
  it("listens on 127.0.0.1 by default, on any free port with port 0, and keeps its URL in the state file while it runs", async () => {
    const dir = await mkdtemp(join(tmpdir(), "vigil-api-"));
    const stateFile = join(dir, ".vigil", "api.json");
    const api = await startApiServer(new FakeControl(), { port: 0, stateFile, configFile: join(dir, "vigil.config.json") }, silent);
    started.push(api);
    const address = api.app.server.address() as AddressInfo;
    expect(address.address).toBe("127.0.0.1");
    expect(api.url).toBe(`http://127.0.0.1:${address.port}`);
    expect(await readApiState(stateFile)).toMatchObject({ url: api.url, pid: process.pid, jobId: "0f3c9a12" });
    expect(JSON.parse(await readFile(stateFile, "utf8"))).not.toHaveProperty("token");
    const r = await fetch(`${api.url}/health`);
    expect(r.status).toBe(200);
    await api.close();
    await expect(stat(stateFile)).rejects.toMatchObject({ code: "ENOENT" });
    await expect(fetch(`${api.url}/health`)).rejects.toThrow();
  });

  it("a taken port: another free one when falling back, else an error naming the address", async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, "127.0.0.1", r));
    const taken = (blocker.address() as AddressInfo).port;
    try {
      await expect(startApiServer(new FakeControl(), { port: taken }, silent)).rejects.toThrow(`the REST API cannot listen on 127.0.0.1:${taken}: the port is taken`);
      const api = await startApiServer(new FakeControl(), { port: taken, portFallback: true }, silent);
      started.push(api);
      expect(api.port).not.toBe(taken);
      expect((await fetch(`${api.url}/health`)).status).toBe(200);
    } finally {
      await new Promise((r) => blocker.close(r));
    }
  });
});
