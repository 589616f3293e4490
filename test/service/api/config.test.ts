import { describe, expect, it } from "vitest";
import { ConfigError, resolveConfig } from "../../../src/service/config/index.js";

const base = { sources: { transactions: { type: "file", path: "events.jsonl" } }, sinks: { alerts: { type: "console" } } };
const resolveWith = (doc: unknown, env: NodeJS.ProcessEnv = {}) => resolveConfig(doc, { file: "vigil.config.json", baseDir: "/srv/vigil", env, cwd: "/srv/vigil" });

function problems(doc: unknown, env: NodeJS.ProcessEnv = {}): string[] {
  try {
    resolveWith(doc, env);
    return [];
  } catch (err) {
    if (err instanceof ConfigError) return err.message.split("\n");
    throw err;
  }
}

describe("the config's api key", () => {
  it("defaults to the API on 127.0.0.1:8717, falling back to a free port, token from VIGIL_API_TOKEN", () => {
    expect(resolveWith(base).api).toEqual({ enabled: true, host: "127.0.0.1", port: 8717, portFallback: true, tokenEnv: "VIGIL_API_TOKEN" });
  });

  it("takes the file's values; a port that is set does not fall back", () => {
    const api = { enabled: false, host: "0.0.0.0", port: 9000, tokenEnv: "FRAUD_API_TOKEN" };
    expect(resolveWith({ ...base, api }).api).toEqual({ ...api, portFallback: false });
    expect(resolveWith({ ...base, api: { port: 0 } }).api).toMatchObject({ port: 0, portFallback: false });
  });

  it("VIGIL_API_PORT overrides the file", () => {
    expect(resolveWith({ ...base, api: { port: 9000 } }, { VIGIL_API_PORT: "0" }).api).toMatchObject({ port: 0, portFallback: false });
    expect(resolveWith(base, { VIGIL_API_PORT: "8800" }).api).toMatchObject({ port: 8800, portFallback: false });
    expect(problems(base, { VIGIL_API_PORT: "http" })).toEqual(['$VIGIL_API_PORT: must be a port number from 0 to 65535 (0: any free port), got "http"']);
    expect(problems(base, { VIGIL_API_PORT: "70000" })).toHaveLength(1);
  });

  it("reports every problem at its pointer; the token itself has no place in the file", () => {
    expect(problems({ ...base, api: { port: 70000, tokenEnv: "my-token", token: "abc" } })).toEqual([
      "vigil.config.json /api/token: is not a known property (expected: enabled, host, port, tokenEnv)",
      "vigil.config.json /api/port: must be at most 65535",
      "vigil.config.json /api/tokenEnv: must be the name of an environment variable (letters, digits and '_')",
    ]);
  });
});
