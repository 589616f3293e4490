import pino from "pino";
import { describe, expect, it } from "vitest";
import { Deserializers, type DeadLetter } from "../../../src/connectors/index.js";
import { KafkaSource, type KafkaPartitionSplit } from "../../../src/connectors/kafka/source.js";
import { CollectSink, StreamExecutionEnvironment, WatermarkStrategy, type JobClient } from "../../../src/runtime/index.js";
import { TumblingEventTimeWindows } from "../../../src/runtime/windowing/index.js";
import { commitFromOutside, duplicatesAndMissing, uniqueName, waitFor, type Produced, useMockCluster } from "./source-helpers.js";

/*
 * The Kafka source in "vigil" assignment against librdkafka's mock cluster: three brokers, every
 * topic's partitions led by all three. Records are JSON { id, p }; id i goes to partition i mod n.
 */

const fx = useMockCluster("vigil-kafka-source-");
const { clients } = fx;

/** A topic whose partition i is led by broker i mod 3 + 1. */
async function topic(partitions: number, prefix = "vigil-src"): Promise<string> {
  const name = uniqueName(prefix);
  await fx.mock.createTopic(name, partitions);
  for (let p = 0; p < partitions; p++) await fx.mock.setLeader(name, p, (p % 3) + 1);
  return name;
}

async function start<T>(source: KafkaSource<T>, parallelism = 1): Promise<{ sink: CollectSink<T>; client: JobClient }> {
  const sink = new CollectSink<T>();
  const env = new StreamExecutionEnvironment().setParallelism(parallelism);
  env.fromSource(source, WatermarkStrategy.noWatermarks<T>(), "kafka").sinkTo(sink);
  const client = await env.executeAsync("kafka-source-test");
  clients.push(client);
  return { sink, client };
}

describe("KafkaSource (vigil assignment)", () => {
  it(
    "reads every record of a six-partition topic on three brokers exactly once, at parallelism 2, with Kafka timestamps (bounded: stopAt latest)",
    async () => {
      const t = await topic(6);
      await fx.producer.sendRange(t, 0, 600, 6, (i) => 1_700_000_000_000 + i * 10);
      const source = new KafkaSource<Produced>({ brokers: fx.mock.brokers, topics: [t], stopAt: "latest", name: "orders", batchSize: 50 });
      const splits = (await source.createSplits()) as KafkaPartitionSplit[];
      expect(splits.map((s) => s.splitId)).toEqual([0, 1, 2, 3, 4, 5].map((p) => `${t}-${p}`));
      expect(splits.every((s) => s.kind === "partition" && s.offset === "0" && s.stopAt === "100")).toBe(true);

      const sink = new CollectSink<Produced>();
      const env = new StreamExecutionEnvironment().setParallelism(2);
      env.fromSource(source, WatermarkStrategy.noWatermarks<Produced>(), "kafka").sinkTo(sink);
      const result = await env.execute("bounded");
      expect(result.kind).toBe("finished");
      const ids = sink.values.map((v) => v.id);
      expect(duplicatesAndMissing(ids, 600)).toEqual({ duplicates: [], missing: [] });
      expect(ids.length).toBe(600);
      for (const r of sink.records) expect(r.timestamp).toBe(1_700_000_000_000 + r.value.id * 10);
      // split i went to subtask i mod 2, and a partition's records keep their order
      for (const r of sink.records) expect(r.subtask).toBe(r.value.p % 2);
      for (let p = 0; p < 6; p++) {
        const ofP = sink.values.filter((v) => v.p === p).map((v) => v.id);
        expect(ofP).toEqual([...ofP].sort((a, b) => a - b));
      }
    },
    30_000,
  );

  it(
    "emits each record with its partition as split and its Kafka timestamp, so the runtime keeps a watermark per partition",
    async () => {
      const t = await topic(2);
      await fx.producer.sendRange(t, 0, 6, 2, (i) => 5_000 + i);
      const source = new KafkaSource<Produced>({ brokers: fx.mock.brokers, topics: [t], stopAt: "latest" });
      const reader = source.createReader({ subtaskIndex: 0, parallelism: 1, log: pino({ level: "silent" }) });
      await reader.addSplits(await source.createSplits());
      const emitted: Array<[number, string, number | undefined]> = [];
      const finished: string[] = [];
      const output = { collect: (v: Produced, split: string, ts?: number) => void emitted.push([v.id, split, ts]), splitFinished: (s: string) => void finished.push(s) };
      for (let status = await reader.pollNext(output); status !== "end"; status = await reader.pollNext(output)) if (status === "waiting") await reader.available!();
      await reader.close!();
      expect(emitted.sort((a, b) => a[0] - b[0])).toEqual([0, 1, 2, 3, 4, 5].map((id) => [id, `${t}-${id % 2}`, 5_000 + id]));
      expect(finished.sort()).toEqual([`${t}-0`, `${t}-1`]);
    },
    30_000,
  );

  it(
    "holds the job's watermark at the slowest partition: windows fire only when every partition has passed them",
    async () => {
      const t = await topic(2);
      await fx.producer.sendTo(t, 0, 100, () => 0, (i) => i); // partition 0: event times 0..99
      await fx.producer.sendTo(t, 1000, 1010, () => 1, (i) => i - 1000); // partition 1: event times 0..9
      let read = 0;
      const fired = new CollectSink<number>();
      const env = new StreamExecutionEnvironment();
      env
        .fromSource(new KafkaSource<Produced>({ brokers: fx.mock.brokers, topics: [t] }), WatermarkStrategy.forMonotonousTimestamps<Produced>(), "kafka")
        .map((v) => {
          read++;
          return v;
        })
        .keyBy(() => 0)
        .window(TumblingEventTimeWindows.of(10))
        .apply<number>((_key, w, _input, out) => out.collect(w.start))
        .sinkTo(fired);
      const client = await env.executeAsync("per-partition watermarks");
      clients.push(client);
      await waitFor(() => read === 110, "every record");
      await new Promise((r) => setTimeout(r, 300));
      expect(fired.values).toEqual([]); // partition 1 is at 9: window [0, 10) is still open
      await fx.producer.sendTo(t, 2000, 2001, () => 1, () => 55);
      await waitFor(() => fired.values.length >= 5, "the windows before 55");
      await new Promise((r) => setTimeout(r, 300));
      await client.cancel();
      expect(fired.values).toEqual([0, 10, 20, 30, 40]);
    },
    30_000,
  );

  it(
    "emits at most batchSize records per poll and stops fetching while maxBufferedRecords are waiting",
    async () => {
      const t = await topic(1);
      for (let i = 0; i < 500; i += 10) await fx.producer.sendRange(t, i, i + 10, 1);
      const source = new KafkaSource<Produced>({ brokers: fx.mock.brokers, topics: [t], stopAt: "latest", batchSize: 1000, maxBufferedRecords: 50, maxBytesPerPartition: 1024 });
      const reader = source.createReader({ subtaskIndex: 0, parallelism: 1, log: pino({ level: "silent" }) });
      await reader.addSplits(await source.createSplits());
      const ids: number[] = [];
      const output = { collect: (v: Produced) => void ids.push(v.id), splitFinished: () => {} };
      await reader.available!();
      await new Promise((r) => setTimeout(r, 1_000)); // time for many fetches, were they not paused
      await reader.pollNext(output);
      expect(ids.length).toBeGreaterThan(0);
      expect(ids.length).toBeLessThan(150); // the buffer limit, plus what one fetch brings
      for (let status = await reader.pollNext(output); status !== "end"; status = await reader.pollNext(output)) if (status === "waiting") await reader.available!();
      await reader.close!();
      expect(ids).toEqual(Array.from({ length: 500 }, (_, i) => i)); // all, in offset order

      const small = new KafkaSource<Produced>({ brokers: fx.mock.brokers, topics: [t], stopAt: "latest", batchSize: 7 });
      const r2 = small.createReader({ subtaskIndex: 0, parallelism: 1, log: pino({ level: "silent" }) });
      await r2.addSplits(await small.createSplits());
      const perPoll: number[] = [];
      let n = 0;
      const counting = { collect: () => void n++, splitFinished: () => {} };
      for (;;) {
        n = 0;
        const status = await r2.pollNext(counting);
        perPoll.push(n);
        if (status === "end") break;
        if (status === "waiting") await r2.available!();
      }
      await r2.close!();
      expect(perPoll.reduce((a, b) => a + b, 0)).toBe(500);
      expect(Math.max(...perPoll)).toBe(7);
    },
    30_000,
  );

  it(
    "moves a restored position past the end of a partition to its end, says so, and reads on",
    async () => {
      const t = await topic(1);
      await fx.producer.sendRange(t, 0, 10, 1);
      const logged: string[] = [];
      const source = new KafkaSource<Produced>({ brokers: fx.mock.brokers, topics: [t] });
      const reader = source.createReader({ subtaskIndex: 0, parallelism: 1, log: pino({ level: "warn" }, { write: (s: string) => void logged.push(s) }) });
      await reader.addSplits([{ splitId: `${t}-0`, kind: "partition", topic: t, partition: 0, offset: "1000" }]);
      const ids: number[] = [];
      const output = { collect: (v: Produced) => void ids.push(v.id), splitFinished: () => {} };
      await waitFor(() => logged.some((l) => l.includes("offset out of range")), "the out-of-range warning");
      await fx.producer.sendRange(t, 10, 13, 1);
      while ((await reader.pollNext(output)) === "waiting" && ids.length < 3) await reader.available!();
      expect(reader.snapshotState(1)).toEqual([{ splitId: `${t}-0`, kind: "partition", topic: t, partition: 0, offset: "13" }]);
      await reader.close!();
      expect(ids).toEqual([10, 11, 12]);
      expect(logged.map((l) => JSON.parse(l))).toContainEqual(expect.objectContaining({ level: 40, from: 1000, to: 10, msg: "offset out of range (beyond the end): moving to the end" }));
    },
    30_000,
  );

  it(
    "keeps reading what is produced while it runs, at parallelism 2 (continuous)",
    async () => {
      const t = await topic(4);
      await fx.producer.sendRange(t, 0, 100, 4);
      const { sink, client } = await start(new KafkaSource<Produced>({ brokers: fx.mock.brokers, topics: [t] }), 2);
      await waitFor(() => sink.values.length >= 100, "the first 100 records");
      await fx.producer.sendRange(t, 100, 300, 4);
      await waitFor(() => sink.values.length >= 300, "all 300 records");
      await client.cancel();
      expect(duplicatesAndMissing(sink.values.map((v) => v.id), 300)).toEqual({ duplicates: [], missing: [] });
    },
    30_000,
  );

  it(
    "starts from earliest, latest, the group's committed offsets (else offsetReset) or a time",
    async () => {
      const t = await topic(2);
      await fx.producer.sendRange(t, 0, 20, 2); // 10 per partition
      const group = uniqueName("vigil-src-group");
      await commitFromOutside(fx.mock, group, t, { 0: 7 }); // partition 1 has no committed offset
      const offsets = async (options: Partial<ConstructorParameters<typeof KafkaSource>[0]>) =>
        ((await new KafkaSource({ brokers: fx.mock.brokers, topics: [t], ...options }).createSplits()) as KafkaPartitionSplit[])
          .filter((s) => s.kind === "partition")
          .map((s) => s.offset);
      expect(await offsets({ startFrom: "earliest" })).toEqual(["0", "0"]);
      expect(await offsets({ startFrom: "latest" })).toEqual(["10", "10"]);
      expect(await offsets({ startFrom: "committed", groupId: group })).toEqual(["7", "0"]);
      expect(await offsets({ startFrom: "committed", groupId: group, offsetReset: "latest" })).toEqual(["7", "10"]);
      // no record is that recent: Kafka answers "none" and the source starts at the end
      expect(await offsets({ startFrom: { timestamp: Date.now() + 3_600_000 } })).toEqual(["10", "10"]);

      // "latest" reads only what comes after the start
      const { sink, client } = await start(new KafkaSource<Produced>({ brokers: fx.mock.brokers, topics: [t], startFrom: "latest" }));
      await fx.producer.sendRange(t, 20, 30, 2);
      await waitFor(() => sink.values.length >= 10, "the records produced after the start");
      await new Promise((r) => setTimeout(r, 200));
      await client.cancel();
      expect(sink.values.map((v) => v.id).sort((a, b) => a - b)).toEqual([20, 21, 22, 23, 24, 25, 26, 27, 28, 29]);
    },
    30_000,
  );

  it(
    "sends records that fail JSON Schema or do not parse to the dead letters with topic, partition, offset and reason, and goes on",
    async () => {
      const t = await topic(1);
      await fx.producer.sendRaw(t, 0, ['{"id":1,"amount":5}', '{"id":2,"amount":"five"}', "not json", null, '{"id":3,"amount":7}', "\u00ff\u00fe"]);
      const letters: DeadLetter[] = [];
      const logged: string[] = [];
      const schema = { type: "object", required: ["id", "amount"], properties: { id: { type: "integer" }, amount: { type: "number" } } };
      const source = new KafkaSource<{ id: number; amount: number }>({
        brokers: fx.mock.brokers,
        topics: [t],
        name: "payments",
        stopAt: "latest",
        deserializer: Deserializers.json({ schema }),
        deadLetters: (d) => letters.push(d),
      });
      const sink = new CollectSink<{ id: number; amount: number }>();
      const env = new StreamExecutionEnvironment().setLogger(pino({ level: "warn" }, { write: (s: string) => logged.push(s) }));
      env.fromSource(source, WatermarkStrategy.noWatermarks(), "kafka").sinkTo(sink);
      await env.execute("dead letters");
      expect(sink.values.map((v) => v.id)).toEqual([1, 3]);
      expect(letters).toEqual([
        { source: "payments", topic: t, partition: 0, offset: "1", reason: expect.stringMatching(/^json\+schema: schema: \/amount must be number/), raw: '{"id":2,"amount":"five"}' },
        { source: "payments", topic: t, partition: 0, offset: "2", reason: expect.stringMatching(/^json\+schema: /), raw: "not json" },
        { source: "payments", topic: t, partition: 0, offset: "3", reason: "the record has no value (a tombstone)", raw: "" },
        { source: "payments", topic: t, partition: 0, offset: "5", reason: expect.stringMatching(/^json\+schema: /), raw: "\u00ff\u00fe" },
      ]);
      expect(source.deadLetterCount).toBe(4);
      const warnings = logged.map((l) => JSON.parse(l) as { msg: string; offset?: number });
      expect(warnings.filter((w) => w.msg === "malformed record sent to dead letters").map((w) => w.offset)).toEqual([1, 2, 3, 5]);
    },
    30_000,
  );

  it(
    "finds topics created later that match its pattern and reads them from their start",
    async () => {
      const prefix = uniqueName("vigil-src-re");
      const first = `${prefix}-a`;
      await fx.mock.createTopic(first, 2);
      await fx.producer.sendRange(first, 0, 10, 2);
      const { sink, client } = await start(new KafkaSource<Produced>({ brokers: fx.mock.brokers, topics: new RegExp(`^${prefix}-`), partitionDiscoveryIntervalMs: 200 }), 2);
      await waitFor(() => sink.values.length >= 10, "the first topic's records");
      const second = `${prefix}-b`;
      await fx.mock.createTopic(second, 3);
      await fx.producer.sendRange(second, 100, 130, 3);
      await waitFor(() => sink.values.length >= 40, "the new topic's records");
      await client.cancel();
      expect(sink.values.map((v) => v.id).sort((a, b) => a - b)).toEqual([...Array.from({ length: 10 }, (_, i) => i), ...Array.from({ length: 30 }, (_, i) => 100 + i)]);
    },
    30_000,
  );

  it("refuses bad options with a clear error", () => {
    const brokers = ["127.0.0.1:9"];
    expect(() => new KafkaSource({ brokers, topics: [] })).toThrow(/topics must be a non-empty list/);
    expect(() => new KafkaSource({ brokers, topics: ["t"], assignment: "group" })).toThrow(/assignment "group" needs a groupId/);
    expect(() => new KafkaSource({ brokers, topics: ["t"], startFrom: "committed" })).toThrow(/startFrom "committed" needs a groupId/);
    expect(() => new KafkaSource({ brokers, topics: ["t"], groupId: "g", assignment: "group", stopAt: "latest" })).toThrow(/stopAt works with assignment "vigil" only/);
    expect(() => new KafkaSource({ brokers, topics: ["t"], batchSize: 0 })).toThrow(/batchSize must be an integer >= 1/);
    expect(() => new KafkaSource({ brokers, topics: ["t"], startFrom: { timestamp: Number.NaN } })).toThrow(/startFrom must be/);
  });
});

