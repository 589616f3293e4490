/**
 * The control stream on a Kafka topic (`control: { type: "kafka", topic }`), against librdkafka's
 * mock cluster: every service reads the whole topic itself (no consumer group) from the earliest
 * offset; the backlog is reduced to each rule's last change; then changes apply as they arrive.
 * Skipped when the mock cannot be built here (no C compiler or no librdkafka-dev).
 */
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { Kafka, logLevel, type Producer } from "kafkajs";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ConfigError, resolveConfig } from "../../../src/service/config/index.js";
import { baseConfig, rule, shown, startTestService, stopServices, until, versions } from "./helpers.js";
import { kafkaMockAvailable } from "../../../tools/kafka-mock/index.js";
import { uniqueName, useMockCluster } from "../../connectors/kafka/source-helpers.js";


describe("control stream config", () => {
  const resolve = (control: unknown) => resolveConfig(baseConfig({ control }), { file: "/tmp/x/vigil.config.json", baseDir: "/tmp/x", env: {} });
  const issues = (control: unknown): string[] => {
    try {
      resolve(control);
      return [];
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      return e.issues.map((i) => `${i.pointer} ${i.message}`);
    }
  };

  it("takes a Kafka topic with optional brokers, and still a NATS subject", () => {
    expect(resolve({ type: "kafka", topic: "vigil-rules" }).control).toEqual({ type: "kafka", topic: "vigil-rules" });
    expect(resolve({ type: "kafka", topic: "vigil-rules", brokers: ["k1:9092", "k2:9092"] }).control).toEqual({ type: "kafka", topic: "vigil-rules", brokers: ["k1:9092", "k2:9092"] });
    expect(resolve({ type: "nats", subject: "vigil.rules" }).control).toEqual({ type: "nats", subject: "vigil.rules" });
  });

  it("rejects a missing topic, a consumer group, bad brokers and the other type's keys", () => {
    expect(issues({ type: "kafka" })).toEqual(["/control/topic is required"]);
    expect(issues({ type: "kafka", topic: "t", groupId: "g" })[0]).toMatch(/^\/control\/groupId is not a known property/);
    expect(issues({ type: "kafka", topic: "t", brokers: ["nohost"] })).toEqual(["/control/brokers/0 must be host:port"]);
    expect(issues({ type: "kafka", topic: "t", subject: "s" })[0]).toMatch(/^\/control\/subject is not a known property/);
    expect(issues({ type: "nats", topic: "t" })).toContain("/control/subject is required");
    expect(issues({ type: "redis", topic: "t" })[0]).toMatch(/^\/control\/type must be one of: "nats", "kafka"/);
  });
});

describe.skipIf(!kafkaMockAvailable())("control stream on a Kafka topic (librdkafka's mock cluster)", () => {
  const fx = useMockCluster("vigil-kafka-control-");
  // a plain producer (not idempotent: the mock has no controller), keying records by rule id
  let producer: Producer;
  beforeAll(async () => {
    producer = new Kafka({ brokers: fx.mock.brokers, clientId: "vigil-control-test", logLevel: logLevel.NOTHING }).producer({ idempotent: false, allowAutoTopicCreation: false });
    await producer.connect();
  });
  afterAll(async () => {
    await producer?.disconnect();
  });

  afterEach(stopServices);
  const start = (rules: Record<string, unknown>, topic: string) =>
    startTestService(rules, { control: { type: "kafka", topic, brokers: fx.mock.brokers } }, "debug");
  /** Produces control messages keyed by rule id (as a compacted topic wants them) into one partition. */
  const produce = (topic: string, partition: number, ...messages: Array<{ key: string; value: string | null }>) => producer.send({ topic, messages: messages.map((m) => ({ ...m, partition })) });
  const put = (doc: Record<string, unknown>) => ({ key: String(doc.id), value: JSON.stringify({ op: "put", document: doc }) });
  const del = (id: string) => ({ key: id, value: JSON.stringify({ op: "delete", id }) });

  it(
    "at start: the backlog is reduced to each rule's last change; then puts, deletes and malformed messages as they arrive, seen by every service of the fleet",
    async () => {
      const topic = uniqueName("vigil-rules");
      await fx.mock.createTopic(topic, 3);
      // backlog: pair's history (the folder already has v1), and a rule added then deleted
      await produce(topic, 0, put(rule("pair", 1, "a", "b")));
      await produce(topic, 1, put(rule("gone", 1, "a", "b")), put(rule("gone", 2, "a", "c")), del("gone"));
      await produce(topic, 2, put(rule("extra", 3, "x", "y")));

      const s1 = await start({ "pair.json": rule("pair", 1, "a", "b") }, topic);
      // a service that has none of the fleet's rules yet (startService needs at least one file)
      const s2 = await start({ "local.json": rule("local", 1, "q", "r") }, topic);
      // startService returns once the backlog is applied
      expect(versions(s1)).toEqual(["extra@3:active", "pair@1:active"]);
      expect(versions(s2)).toEqual(["extra@3:active", "local@1:active", "pair@1:active"]);
      for (const s of [s1, s2]) {
        expect(s.logs.some((l) => l.rule === "gone" && l.msg.startsWith("rule "))).toBe(false); // its history was never replayed
        expect(s.logs.some((l) => /^control stream caught up/.test(l.msg) && l.rules === 3)).toBe(true);
        expect(s.logs.filter((l) => l.msg.startsWith("rule deployed")).map((l) => l.rule).sort()).toEqual(s === s1 ? ["extra"] : ["extra", "pair"]);
      }
      expect(JSON.parse(await readFile(join(s2.dir, "patterns", "pair.json"), "utf8"))).toEqual(rule("pair", 1, "a", "b"));

      // a new version: both services swap it in, written into their folders
      await produce(topic, 0, put(rule("pair", 2, "a", "c")));
      for (const s of [s1, s2]) {
        await until("pair v2 deployed", () => s.svc.control.getRule("pair")?.version === 2);
        expect(versions(s)).toContain("pair@2:active");
        expect(JSON.parse(await readFile(join(s.dir, "patterns", "pair.json"), "utf8")).version).toBe(2);
      }
      await s1.send({ card: "c1", kind: "a" }, { card: "c1", kind: "c" });
      await until("an alert of version 2", () => s1.alerts().length >= 1);
      expect(shown(s1.alerts())).toEqual(["pair@2 c1 n=1"]);

      // malformed messages are logged with topic, partition and offset, and skipped
      await produce(topic, 1, { key: "x", value: "{ not json" }, { key: "x", value: JSON.stringify({ op: "upsert", id: "x" }) }, { key: "x", value: null });
      await produce(topic, 0, put({ ...rule("pair", 3, "a", "c"), stages: [] }));
      for (const s of [s1, s2]) {
        const skipped = await until("two skips", () => {
          const l = s.logs.filter((x) => x.msg.startsWith("control message skipped"));
          return l.length >= 2 && l;
        });
        expect(skipped.map((l) => [l.level, l.topic, l.partition, l.offset])).toEqual([
          [50, topic, 1, "3"],
          [50, topic, 1, "4"],
        ]);
        expect(skipped[0].msg).toMatch(/not JSON/);
        expect(skipped[1].msg).toMatch(/op must be "put" or "delete"/);
        // an invalid document is rejected by validation, logged with its position too
        const rejected = await until("the rejection", () => s.logs.find((x) => x.msg.startsWith("control message rejected")));
        expect([rejected.topic, rejected.partition, rejected.offset, rejected.rule]).toEqual([topic, 0, "2", "pair"]);
        expect(versions(s)).toContain("pair@2:active");
      }

      // a delete: the rule stops, its file goes
      await produce(topic, 0, del("pair"));
      for (const s of [s1, s2]) {
        await until("pair stopped", () => s.svc.control.rules().every((r) => r.id !== "pair"));
        expect(existsSync(join(s.dir, "patterns", "pair.json"))).toBe(false);
      }
      await s1.send({ card: "c2", kind: "a" }, { card: "c2", kind: "c" }, { card: "c2", kind: "x" }, { card: "c2", kind: "y" });
      await until("extra's alert", () => s1.alerts().some((a) => a.rule === "extra"));
      expect(shown(s1.alerts())).toEqual(["extra@3 c2 n=1", "pair@2 c1 n=1"]);

      // a service started now sees the topic's last word: pair deleted, though its folder has it
      const s3 = await start({ "pair.json": rule("pair", 2, "a", "c") }, topic);
      expect(versions(s3)).toEqual(["extra@3:active"]);
      expect(existsSync(join(s3.dir, "patterns", "pair.json"))).toBe(false);
    },
    60_000,
  );
});
