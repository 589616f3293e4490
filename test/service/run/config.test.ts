import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig, resolveConfig } from "../../../src/service/config/index.js";
import { cli, defaultConfig, ROOT, serviceDir } from "./helpers.js";

const base = { sources: { transactions: { type: "file", path: "t.jsonl" } }, sinks: { alerts: { type: "console" } } };
const problems = (doc: unknown, env: NodeJS.ProcessEnv = {}): string[] => {
  try {
    resolveConfig(doc, { file: "vigil.config.json", baseDir: "/srv", env, cwd: "/work" });
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message.split("\n");
  }
  return [];
};

describe("service config", () => {
  it("the repository's default config is valid and resolves paths against its folder", async () => {
    const config = await loadConfig(join(ROOT, "vigil.config.json"), {});
    expect(config.patterns).toBe(join(ROOT, "patterns"));
    expect(config.sources.transactions).toMatchObject({ type: "file", paths: [join(ROOT, "examples/transactions.jsonl")], watch: false });
    expect(config.sinks.alerts.map((s) => s.type)).toEqual(["console", "file"]);
    expect(config.state).toEqual({ backend: "leveldb", directory: join(ROOT, ".vigil/state") });
    expect(config.checkpoints.directory).toBe(join(ROOT, ".vigil/checkpoints"));
  });

  it("the streaming example of the README is valid: a watched folder, the repository's rules, dead letters to a file", async () => {
    const dir = join(ROOT, "examples/streaming");
    const config = await loadConfig(join(dir, "vigil.config.json"), {});
    expect(config.patterns).toBe(join(ROOT, "patterns"));
    expect(config.sources.transactions).toMatchObject({ type: "file", paths: [join(dir, "incoming/*.jsonl")], watch: true });
    expect(config.deadLetters).toEqual({ type: "file", path: join(dir, "dead-letters.jsonl") });
  });

  it("a JetStream source may start a first run at the end of the stream or at a time", () => {
    const jetstream = (startFrom: unknown) =>
      resolveConfig({ ...base, sources: { t: { type: "jetstream", stream: "S", startFrom } } }, { file: "v.json", baseDir: "/srv", env: {}, cwd: "/w" }).sources.t;
    expect(jetstream("new")).toMatchObject({ startFrom: "new" });
    expect(jetstream({ time: "2026-11-21T00:00:00Z" })).toMatchObject({ startFrom: { time: Date.UTC(2026, 10, 21) } });
    expect(problems({ ...base, sources: { t: { type: "jetstream", stream: "S", startFrom: { time: "yesterday" } } } })).toContainEqual(
      expect.stringMatching(/^vigil\.config\.json \/sources\/t\/startFrom\/time: must match /),
    );
  });

  it("reports each problem on one line at its JSON pointer", () => {
    expect(problems({ ...base, sources: { transactions: { type: "ftp", path: "x" } } })).toEqual([
      'vigil.config.json /sources/transactions/type: must be one of: "file", "kafka", "jetstream"',
    ]);
    expect(problems({ ...base, sinks: { alerts: [{ type: "console", colour: true }], pager: 3 }, shutdown: "now" })).toEqual([
      "vigil.config.json /sinks/alerts/0/colour: is not a known property (expected: type)",
      "vigil.config.json /sinks/pager: must be an object or a list",
      'vigil.config.json /shutdown: must be one of: "checkpoint", "savepoint"',
    ]);
    expect(problems({ ...base, sources: { transactions: { type: "file", path: "t", outOfOrderness: "5 s" } } })[0]).toMatch(/^vigil\.config\.json \/sources\/transactions\/outOfOrderness: must be a duration/);
    expect(problems({ ...base, sources: { t: { type: "kafka" } } })).toEqual(["vigil.config.json /sources/t/topics: is required"]);
    expect(problems({ ...base, sinks: { alerts: { type: "file" } } })[0]).toMatch(/^vigil\.config\.json \/sinks\/alerts: a file sink needs exactly one of path .* or directory/);
  });

  it("environment variables override the file; bad values name the variable", () => {
    const env = { VIGIL_PATTERNS: "rules", VIGIL_STATE_DIR: "/var/vigil/state", VIGIL_CHECKPOINT_INTERVAL: "10s", VIGIL_SHUTDOWN: "checkpoint", VIGIL_STATE_BACKEND: "heap" };
    const config = resolveConfig({ ...base, checkpoints: { intervalMs: 1000 } }, { file: "vigil.config.json", baseDir: "/srv", env, cwd: "/work" });
    expect(config.patterns).toBe("/work/rules");
    expect(config.state).toEqual({ backend: "heap", directory: "/var/vigil/state" });
    expect(config.checkpoints.intervalMs).toBe(10_000);
    expect(config.shutdown).toBe("checkpoint");
    expect(resolveConfig(base, { file: "c", baseDir: "/srv", env: { VIGIL_CHECKPOINT_INTERVAL: "2500" } }).checkpoints.intervalMs).toBe(2500);
    expect(problems(base, { VIGIL_CHECKPOINT_INTERVAL: "soon", VIGIL_STATE_BACKEND: "redis" })).toEqual([
      '$VIGIL_STATE_BACKEND: must be leveldb or heap, got "redis"',
      '$VIGIL_CHECKPOINT_INTERVAL: must be milliseconds or a duration such as 10s, got "soon"',
    ]);
  });

  it("vigil run exits 2 on an invalid config, a missing one, or a rule naming an unknown sink", async () => {
    const dir = await serviceDir({ ...base, sinks: { alerts: { type: "console", x: 1 } } });
    const bad = await cli("run", "--config", join(dir, "vigil.config.json"));
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("/sinks/alerts/x: is not a known property");

    const missing = await cli("run", "--config", join(dir, "nope.json"));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("nope.json /: cannot read the config: no such file");

    const config = await defaultConfig();
    const dir2 = await serviceDir({ ...config, sinks: { pager: { type: "console" } } });
    const unknown = await cli("run", "--config", join(dir2, "vigil.config.json"));
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/patterns\/card-testing\.json \/alert\/sinks\/0: unknown sink alerts \(the config's sinks: pager\)/);
    expect(unknown.stdout).toBe("");
  });

  it("vigil run --help says what it does", async () => {
    const help = await cli("run", "--help");
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("--config <file>");
    expect(help.stdout).toContain("SIGTERM");
  });
});
