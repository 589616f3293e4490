import { describe, expect, it } from "vitest";
import {
  createLogger,
  jobLogger,
  maskUrlCredentials,
  parseLogFormat,
  pendingJobLogger,
  REDACTED,
  redactSecrets,
  resolveLogFormat,
  ruleLogger,
} from "../../src/service/log.js";

function capture(format: "json" | "pretty", level = "info") {
  const lines: string[] = [];
  const log = createLogger({ level, format, destination: { write: (s: string) => void lines.push(s) } });
  const json = () => lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  return { log, lines, json };
}

describe("log format selection", () => {
  it("--log-format wins, then VIGIL_LOG_FORMAT, then pretty on a terminal and JSON otherwise", () => {
    expect(resolveLogFormat("json", { VIGIL_LOG_FORMAT: "pretty" }, true)).toBe("json");
    expect(resolveLogFormat("pretty", {}, false)).toBe("pretty");
    expect(resolveLogFormat(undefined, { VIGIL_LOG_FORMAT: "pretty" }, false)).toBe("pretty");
    expect(resolveLogFormat(undefined, { VIGIL_LOG_FORMAT: "JSON" }, true)).toBe("json");
    expect(resolveLogFormat(undefined, {}, true)).toBe("pretty");
    expect(resolveLogFormat(undefined, {}, false)).toBe("json");
    // a typo in the environment falls back to the default rather than stopping the service
    expect(resolveLogFormat(undefined, { VIGIL_LOG_FORMAT: "yaml" }, false)).toBe("json");
  });

  it("refuses an unknown --log-format value", () => {
    expect(parseLogFormat("Pretty")).toBe("pretty");
    expect(() => parseLogFormat("text")).toThrow(/--log-format must be json or pretty, got "text"/);
    expect(() => createLogger({ format: "xml", destination: { write() {} } })).toThrow(/--log-format/);
  });

  it("json: one JSON document per line, written at once, below the level left out", () => {
    const { log, lines, json } = capture("json", "info");
    log.debug("hidden");
    log.info({ events: 3 }, "read");
    log.warn("careful");
    expect(lines).toHaveLength(2);
    expect(lines.every((l) => l.endsWith("\n"))).toBe(true);
    expect(json().map((l) => [l.level, l.msg, l.name])).toEqual([
      [30, "read", "vigil"],
      [40, "careful", "vigil"],
    ]);
    expect(json()[0].events).toBe(3);
  });

  it("pretty: readable lines, not JSON, with the level, the message and the fields", () => {
    const { log, lines } = capture("pretty");
    log.info({ jobId: "j-1" }, "job running");
    expect(lines).toHaveLength(1);
    expect(() => JSON.parse(lines[0])).toThrow();
    expect(lines[0]).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: job running\n/);
    expect(lines[0]).toContain('jobId: "j-1"');
    // no colour codes when not writing to a terminal
    expect(lines[0]).not.toContain("\u001b[");
  });
});

describe("redaction", () => {
  it("never logs a secret, at the top level or nested in a config, in json and pretty alike", () => {
    const config = {
      sources: { tx: { type: "kafka", brokers: ["broker:9092"], sasl: { mechanism: "scram-sha-512", username: "vigil", password: "hunter2" } } },
      sinks: { hook: [{ type: "webhook", url: "https://hooks.example/x", headers: { Authorization: "Bearer s3cr3t", "set-cookie": "sid=abc" } }] },
      database: { connectionString: "postgres://vigil:pgpass@db:5432/alerts" },
    };
    for (const format of ["json", "pretty"] as const) {
      const { log, lines } = capture(format);
      log.info({ password: "p", token: "t", apiKey: "k", config, url: "nats://user:natspass@nats:4222" }, "starting");
      log.child({ secret: "in-bindings" }).info("child");
      const all = lines.join("");
      for (const secret of ["hunter2", "s3cr3t", "sid=abc", "pgpass", "natspass", "in-bindings"]) expect(all, `${format}: ${secret}`).not.toContain(secret);
      expect(all).toContain(REDACTED);
      // what is not secret stays readable
      expect(all).toContain("broker:9092");
      expect(all).toContain("https://hooks.example/x");
      expect(all).toContain("postgres://vigil:");
    }
    const { log, json } = capture("json");
    log.info({ config }, "x");
    const logged = json()[0].config as typeof config;
    expect(logged.sources.tx.sasl).toBe(REDACTED);
    expect(logged.sinks.hook[0].headers).toEqual({ Authorization: REDACTED, "set-cookie": REDACTED });
    expect(logged.database.connectionString).toBe(`postgres://vigil:${REDACTED}@db:5432/alerts`);
    // the caller's object is left as it was
    expect(config.sources.tx.sasl.password).toBe("hunter2");
    expect(config.sinks.hook[0].headers.Authorization).toBe("Bearer s3cr3t");
  });

  it("leaves objects without secrets as they are, and errors to the error serializer", () => {
    const plain = { a: 1, b: { c: [1, 2, { d: "x" }] } };
    expect(redactSecrets(plain)).toBe(plain);
    expect(maskUrlCredentials("kafka://broker:9092")).toBe("kafka://broker:9092");
    expect(maskUrlCredentials(["amqp://u:p@h", "h2"])).toEqual([`amqp://u:${REDACTED}@h`, "h2"]);
    const { log, json } = capture("json");
    log.error({ err: new Error("boom") }, "failed");
    expect(json()[0].err).toMatchObject({ type: "Error", message: "boom" });
  });
});

describe("child loggers", () => {
  it("every line about a job or a rule carries its id", () => {
    const { log, json } = capture("json");
    const job = jobLogger(log, { jobId: "j-42", jobName: "vigil" });
    job.info("job line");
    ruleLogger(job, { id: "card-testing", version: 3 }).warn({ key: "c1" }, "rule line");
    jobLogger(log, { jobId: "j-43" }).info("no name");
    const [a, b, c] = json();
    expect(a).toMatchObject({ jobId: "j-42", job: "vigil", msg: "job line" });
    expect(b).toMatchObject({ jobId: "j-42", job: "vigil", rule: "card-testing@3", key: "c1", msg: "rule line" });
    expect(c).toMatchObject({ jobId: "j-43", msg: "no name" });
    expect(c.job).toBeUndefined();
  });

  it("a pending job logger and the loggers made from it carry the job id from the moment the job has one", () => {
    const { log, json, lines: all } = capture("json");
    const lines = () => all;
    const pending = pendingJobLogger(log);
    const rule = pending.rule({ id: "card-testing", version: 2 });
    const source = pending.child({ source: "tx" });
    pending.log.info("building");
    pending.setJob({ jobId: "j-7", jobName: "vigil" });
    pending.setJob({ jobId: "ignored" });
    pending.log.info("running");
    rule.warn("rule line");
    source.info("source line");
    pending.log.child({ operator: "later" }).info("made after");
    const [before, after, ruleLine, sourceLine, later] = json();
    expect(before.jobId).toBeUndefined();
    expect(after).toMatchObject({ jobId: "j-7", job: "vigil", msg: "running" });
    expect(ruleLine).toMatchObject({ jobId: "j-7", rule: "card-testing@2", msg: "rule line" });
    expect(sourceLine).toMatchObject({ jobId: "j-7", source: "tx", msg: "source line" });
    expect(later).toMatchObject({ jobId: "j-7", operator: "later", msg: "made after" });
    // the id once per line, not repeated
    expect(lines().filter((l) => l.includes('"msg":"made after"'))[0].match(/"jobId"/g)).toHaveLength(1);
  });
});
