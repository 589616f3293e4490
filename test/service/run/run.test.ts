import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Alert } from "../../../src/service/alert.js";
import { cli, defaultConfig, identities, parseLines, serviceDir } from "./helpers.js";

describe("vigil run on the default config", () => {
  it("raises exactly the alerts vigil replay raises over the same file, to the console and to alerts.jsonl", async () => {
    const dir = await serviceDir(await defaultConfig());
    const run = await cli("run", "--config", join(dir, "vigil.config.json"));
    expect(run.stderr).toMatch(/^summary: finished: 291 events read, 2 invalid, 9 alerts$/m);
    expect(run.code).toBe(0);
    const replay = await cli("replay", join(dir, "patterns"), join(dir, "examples/transactions.jsonl"));
    expect(replay.code).toBe(0);
    const expected = identities(parseLines<Alert>(replay.stdout));
    expect(expected).toHaveLength(9);
    expect(identities(parseLines<Alert>(run.stdout))).toEqual(expected);
    expect(identities(parseLines<Alert>(await readFile(join(dir, "alerts.jsonl"), "utf8")))).toEqual(expected);

    // started again, it resumes from the final checkpoint: the input is done, nothing is raised twice
    const again = await cli("run", "--config", join(dir, "vigil.config.json"));
    expect(again.code).toBe(0);
    expect(again.stderr).toMatch(/^summary: finished, resumed from .*: 0 events read, 0 invalid, 0 alerts$/m);
    expect(again.stdout).toBe("");
  });

  it("writes every refused event to the dead-letter output with its reason, and goes on", async () => {
    const dir = await serviceDir({ ...(await defaultConfig()), deadLetters: { type: "file", path: "out/dead-letters.jsonl" } });
    const run = await cli("run", "--config", join(dir, "vigil.config.json"));
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/^summary: finished: 291 events read, 2 invalid, 9 alerts$/m);
    const dead = parseLines<{ source: string; reason: string; raw: string; file?: string; line?: number; position?: string; at: number }>(await readFile(join(dir, "out/dead-letters.jsonl"), "utf8"));
    const lines = (await readFile(join(dir, "examples/transactions.jsonl"), "utf8")).split("\n");
    // two lines that are no JSON object (the source refuses them), two events without a usable time (the rules do)
    const undecodable = dead.filter((d) => d.file !== undefined);
    expect(undecodable).toHaveLength(2);
    for (const d of undecodable) {
      expect(d.reason).toMatch(/^jsonl: /);
      expect(d.raw).toBe(lines[d.line! - 1]);
    }
    const untimed = dead.filter((d) => d.file === undefined);
    expect(untimed).toHaveLength(2);
    for (const d of untimed) {
      expect(d.reason).toMatch(/^no usable event time: field ts/);
      const line = Number(/^transactions\.jsonl:(\d+)$/.exec(d.position!)![1]);
      expect(JSON.parse(d.raw)).toEqual(JSON.parse(lines[line - 1]));
    }
    expect(dead.every((d) => d.source === "transactions" && d.at > 0)).toBe(true);
  });

  it("refuses a dead-letter output the schema does not know, naming where", async () => {
    const dir = await serviceDir({ ...(await defaultConfig()), deadLetters: { type: "file" } });
    const run = await cli("run", "--config", join(dir, "vigil.config.json"));
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/\/deadLetters.*path/);
  });

  it("shares one keyBy and one CEP operator among rules with the same source, key and time", async () => {
    const { buildServiceJob } = await import("../../../src/service/run/index.js");
    const { loadConfig } = await import("../../../src/service/config/index.js");
    const { loadRulesOrThrow } = await import("../../../src/service/pattern-file/index.js");
    const { StreamExecutionEnvironment } = await import("../../../src/runtime/index.js");
    const dir = await serviceDir(await defaultConfig());
    const config = await loadConfig(join(dir, "vigil.config.json"), {});
    const rules = await loadRulesOrThrow(config.patterns);
    const env = new StreamExecutionEnvironment();
    buildServiceJob(env, config, rules, { stdout: { write: () => true }, log: (await import("../../../src/service/log.js")).createLogger({ level: "silent" }), now: Date.now });
    const cep = env.describe().split("\n").filter((l) => /CEP /.test(l));
    // keys in patterns/: cardId (5 rules), accountId (4), [cardId, merchant], [accountId, transferId]
    expect(cep).toHaveLength(4);
    expect(cep.some((l) => /card-testing/.test(l) && /card-velocity/.test(l) && /impossible-travel/.test(l))).toBe(true);
  });
});
