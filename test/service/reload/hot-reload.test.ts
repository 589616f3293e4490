/**
 * Hot reload in `vigil run` (startService): a running service watches its pattern folder, swaps
 * in changed files, rejects broken ones (the old version keeps running), stops removed rules,
 * and takes rules from the REST API's control and from a control stream on NATS.
 */
import { appendFile, mkdir, mkdtemp, readFile, rm, unlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect } from "nats";
import { afterEach, describe, expect, it } from "vitest";
import { resolveConfig } from "../../../src/service/config/index.js";
import { createLogger } from "../../../src/service/log.js";
import { startService } from "../../../src/service/run/index.js";
import { rule, shown, startTestService, stopServices, until, versions } from "./helpers.js";

afterEach(stopServices);
const start = (rules: Record<string, unknown>, extraConfig: Record<string, unknown> = {}) => startTestService(rules, extraConfig);

describe("hot reload of the pattern folder", () => {
  it("a changed file is swapped in: the old version finishes its partial match, new ones use the new version", async () => {
    const s = await start({ "pair.json": rule("pair", 1, "a", "b") });
    await s.send({ card: "c1", kind: "a" });
    await until("the event read", () => s.svc.control.ruleStats().find((r) => r.version === 1 && r.events === 1));
    await s.writeRule("pair.json", rule("pair", 2, "a", "c"));
    await until("version 2 deployed", () => versions(s).includes("pair@2:active") && versions(s).includes("pair@1:draining"));
    await s.send({ card: "c1", kind: "a" }, { card: "c1", kind: "b" }, { card: "c1", kind: "c" });
    await until("two alerts", () => s.alerts().length >= 2);
    expect(shown(s.alerts())).toEqual(["pair@1 c1 n=1", "pair@2 c1 n=1"]);
    const v1 = s.alerts().find((a) => a.version === 1)!;
    expect((v1.match as Record<string, Array<{ kind: string }>>).y[0].kind).toBe("b");
    // its only partial match done, version 1 is dropped
    await until("version 1 retired", () => versions(s).join() === "pair@2:active");
    expect(s.svc.control.ruleStats().map((r) => `${r.rule}@${r.version}`).sort()).toEqual(["pair@1", "pair@2"]);
    expect(s.logs.some((l) => l.msg.startsWith("rule updated") && l.rule === "pair" && l.version === 2 && l.previous === 1)).toBe(true);
  });

  it("a broken file is rejected with every problem logged, and the old version keeps running", async () => {
    const s = await start({ "pair.json": rule("pair", 1, "a", "b") });
    const broken = rule("pair", 2, "a", "b");
    (broken.stages as Array<Record<string, unknown>>)[1].where = "kind == $nope";
    broken.alert = { severity: "low", fields: {}, sinks: ["pager"] };
    await s.writeRule("pair.json", broken);
    const rejected = await until("the rejection", () => s.logs.find((l) => l.msg.startsWith("rule rejected")));
    expect(rejected.level).toBe(50);
    const problems = s.logs.filter((l) => l.level === 50 && l.msg !== rejected.msg).map((l) => l.msg);
    expect(problems.some((p) => /\/stages\/1\/where/.test(p) && /nope/.test(p))).toBe(true);
    await s.writeRule("pair.json", "{ not json");
    await until("the second rejection", () => s.logs.filter((l) => l.msg.startsWith("rule rejected")).length >= 2);
    expect(s.logs.some((l) => l.level === 50 && /invalid JSON/.test(l.msg))).toBe(true);
    // same version, other content: rejected too
    await s.writeRule("pair.json", rule("pair", 1, "a", "c"));
    await until("the third rejection", () => s.logs.some((l) => /still version 1/.test(l.msg)));
    expect(versions(s)).toEqual(["pair@1:active"]);
    await s.send({ card: "c2", kind: "a" }, { card: "c2", kind: "b" });
    await until("an alert of version 1", () => s.alerts().length >= 1);
    expect(shown(s.alerts())).toEqual(["pair@1 c2 n=1"]);
  });

  it("removing a file stops the rule and drops its state; a new file starts a rule", async () => {
    const s = await start({ "pair.json": rule("pair", 1, "a", "b"), "other.json": rule("other", 1, "b", "c") });
    await s.send({ card: "c3", kind: "a" });
    await until("the event read", () => s.svc.control.ruleStats().find((r) => r.rule === "pair" && r.events === 1));
    await unlink(join(s.dir, "patterns", "pair.json"));
    await until("pair stopped", () => versions(s).join() === "other@1:active");
    expect(s.logs.some((l) => /rule stopped and its state dropped/.test(l.msg) && l.rule === "pair")).toBe(true);
    await s.writeRule("late.json", rule("late", 1, "b", "d"));
    await until("late deployed", () => versions(s).includes("late@1:active"));
    await s.send({ card: "c3", kind: "b" }, { card: "c3", kind: "c" }, { card: "c3", kind: "d" });
    await until("two alerts", () => s.alerts().length >= 2);
    expect(shown(s.alerts())).toEqual(["late@1 c3 n=1", "other@1 c3 n=1"]);
  });

  it("a rule moved to another key or source without an operator for it: the job is planned again from a savepoint", async () => {
    const s = await start({ "pair.json": rule("pair", 1, "a", "b") });
    await s.send({ card: "c4", user: "u4", kind: "a" });
    await until("the event read", () => s.svc.control.ruleStats().find((r) => r.events === 1));
    await s.writeRule("pair.json", rule("pair", 2, "a", "b", { key: "user" }));
    await until("version 2 running", () => versions(s).includes("pair@2:active"));
    expect(s.logs.some((l) => /re-planning the job/.test(l.msg))).toBe(true);
    await s.send({ card: "c4", user: "u4", kind: "a" }, { card: "c4", user: "u4", kind: "b" });
    await until("an alert of version 2", () => s.alerts().some((a) => a.version === 2));
    expect(s.alerts().find((a) => a.version === 2)!.key).toBe("u4");
  });

  it("control.putRule validates, writes <id>.json and deploys; deleteRule removes it", async () => {
    const s = await start({ "pair.json": rule("pair", 1, "a", "b") });
    const bad = await s.svc.control.putRule("api-rule", { ...rule("api-rule", 1, "a", "b"), stages: [] });
    expect(bad.ok).toBe(false);
    const put = await s.svc.control.putRule("api-rule", rule("api-rule", 1, "a", "e"));
    expect(put).toMatchObject({ ok: true, created: true, rule: { id: "api-rule", version: 1, state: "active" } });
    expect(JSON.parse(await readFile(join(s.dir, "patterns", "api-rule.json"), "utf8"))).toMatchObject({ id: "api-rule", version: 1 });
    expect(s.svc.control.getRule("api-rule")?.document).toMatchObject({ id: "api-rule" });
    await s.send({ card: "c5", kind: "a" }, { card: "c5", kind: "e" });
    await until("an alert of api-rule", () => s.alerts().some((a) => a.rule === "api-rule"));
    // the watcher sees the file the service wrote as known: no second deployment
    await s.svc.checkPatterns();
    expect(s.logs.filter((l) => l.rule === "api-rule" && l.msg === "rule deployed")).toHaveLength(1);
    expect(await s.svc.control.deleteRule("api-rule")).toBe(true);
    expect(versions(s)).toEqual(["pair@1:active"]);
    await expect(readFile(join(s.dir, "patterns", "api-rule.json"))).rejects.toThrow();
    expect(await s.svc.control.deleteRule("api-rule")).toBe(false);
  });

  it("with watch off, file changes are not picked up", async () => {
    const s = await start({ "pair.json": rule("pair", 1, "a", "b") }, { reload: { watch: false } });
    await s.writeRule("pair.json", rule("pair", 2, "a", "c"));
    await new Promise((r) => setTimeout(r, 500));
    expect(versions(s)).toEqual(["pair@1:active"]);
  });
});

describe("control stream over NATS", () => {
  it("puts and deletes rules from messages on a subject", async () => {
    const subject = `vigil.rules.test.${process.pid}.${Date.now()}`;
    const s = await start({ "pair.json": rule("pair", 1, "a", "b") }, { control: { type: "nats", servers: "nats://127.0.0.1:4222", subject } });
    const nc = await connect({ servers: "nats://127.0.0.1:4222" });
    try {
      const ask = async (m: unknown) => JSON.parse(new TextDecoder().decode((await nc.request(subject, new TextEncoder().encode(JSON.stringify(m)), { timeout: 10_000 })).data)) as Record<string, unknown>;
      expect(await ask({ op: "put", document: rule("fleet", 1, "a", "f") })).toMatchObject({ ok: true, rule: "fleet", version: 1 });
      expect(versions(s)).toContain("fleet@1:active");
      expect(JSON.parse(await readFile(join(s.dir, "patterns", "fleet.json"), "utf8"))).toMatchObject({ id: "fleet" });
      const bad = await ask({ op: "put", document: { ...rule("fleet", 2, "a", "f"), source: "nowhere" } });
      expect(bad.ok).toBe(false);
      expect(String((bad.errors as string[])[0])).toMatch(/unknown source nowhere/);
      expect(await ask({ op: "frobnicate" })).toMatchObject({ ok: false });
      await s.send({ card: "c6", kind: "a" }, { card: "c6", kind: "f" });
      await until("an alert of fleet", () => s.alerts().some((a) => a.rule === "fleet"));
      expect(await ask({ op: "delete", id: "fleet" })).toMatchObject({ ok: true });
      expect(versions(s)).toEqual(["pair@1:active"]);
    } finally {
      await nc.close();
    }
  });
});

describe("a bounded run", () => {
  it("still finishes when its sources are read, with the folder watched", async () => {
    const dir = await mkdtemp(join(tmpdir(), "vigil-reload-"));
    await mkdir(join(dir, "patterns"));
    await writeFile(join(dir, "patterns", "pair.json"), JSON.stringify(rule("pair", 1, "a", "b")));
    await writeFile(join(dir, "events.jsonl"), "");
    await appendFile(join(dir, "events.jsonl"), [{ card: "c", kind: "a" }, { card: "c", kind: "b" }].map((e) => JSON.stringify(e)).join("\n") + "\n");
    const config = resolveConfig(
      {
        patterns: "patterns",
        sources: { tx: { type: "file", path: "events.jsonl" } },
        sinks: { alerts: { type: "console" } },
        state: { backend: "heap" },
        checkpoints: { intervalMs: 0, directory: ".vigil/checkpoints" },
        api: { enabled: false },
      },
      { file: join(dir, "vigil.config.json"), baseDir: dir, env: {} },
    );
    let out = "";
    const svc = await startService(config, { stdout: { write: (x: string) => ((out += x), true) }, log: createLogger({ level: "silent" }) });
    const result = await svc.done;
    expect(result.kind).toBe("finished");
    expect(out.trim().split("\n")).toHaveLength(1);
    await rm(dir, { recursive: true, force: true });
  });
});

describe("a control stream that cannot be reached", () => {
  it("fails the start (the job already launched is cancelled first)", async () => {
    const pair = rule("pair", 1, "amount > 100", "amount > 200");
    const closedPort = 1; // nothing listens there
    await expect(start({ "pair.json": pair }, { control: { type: "nats", servers: `nats://127.0.0.1:${closedPort}`, subject: "vigil.rules.none" } })).rejects.toThrow();
  });
});
