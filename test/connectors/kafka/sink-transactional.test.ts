import fc from "fast-check";
import { Kafka, logLevel } from "kafkajs";
import { describe, expect, it } from "vitest";
import { KafkaSink, type KafkaSinkOptions } from "../../../src/connectors/kafka/sink.js";
import type { OutgoingRecord, ProducerIdentity, ResumeOutcome, TransactionalProducers } from "../../../src/connectors/kafka/sink-producers.js";
import type { KafkaSinkState } from "../../../src/connectors/kafka/sink-transactional.js";
import { RestartStrategies, StreamExecutionEnvironment, WatermarkStrategy, type SinkWriter, type SinkWriterContext } from "../../../src/runtime/index.js";
import { runtimeLogger } from "../../../src/runtime/logger.js";
import { FailureInjector, SlowListSource, tempDirs } from "../../runtime/checkpoint/helpers.js";

/*
 * The transaction bookkeeping (which ids, begin/send/commit/abort order across checkpoints,
 * aborts, restores and fencing) against a fake of Kafka's transaction coordinator: the real path
 * needs a Kafka cluster, which this machine does not have (the mock cluster keeps no per-id
 * epochs, so it neither fences nor isolates; see docs/kafka-sink.md). The fake keeps what the
 * coordinator keeps per transactional id (producer id, epoch, open transaction) and what a
 * read_committed consumer would see.
 */

type Entry = { producerId: string; epoch: number; state: "ready" | "ongoing" | "committed" | "aborted"; records: string[] };

class FakeKafka {
  /** What a read_committed consumer sees, in commit order. */
  readonly visible: string[] = [];
  /** Every call, as "op id detail". */
  readonly calls: string[] = [];
  readonly ids = new Map<string, Entry>();
  private nextPid = 100;
  /** Makes the next `send` fail with this error. */
  failNextSend: Error | undefined;
  openConnections = 0;

  producers(): TransactionalProducers {
    const fake = this;
    return {
      async connect() {
        fake.openConnections++;
      },
      async close() {
        fake.openConnections--;
      },
      create(transactionalId) {
        let mine = -1;
        const entry = () => {
          const e = fake.ids.get(transactionalId);
          if (e === undefined || e.epoch !== mine) throw Object.assign(new Error(`producer of ${transactionalId} is fenced`), { type: "INVALID_PRODUCER_EPOCH" });
          return e;
        };
        return {
          transactionalId,
          async init(): Promise<ProducerIdentity> {
            let e = fake.ids.get(transactionalId);
            if (e === undefined) fake.ids.set(transactionalId, (e = { producerId: String(fake.nextPid++), epoch: -1, state: "ready", records: [] }));
            if (e.state === "ongoing") {
              fake.calls.push(`abort ${transactionalId} by-init`);
              e.records = [];
            }
            e.epoch++;
            e.state = "ready";
            mine = e.epoch;
            fake.calls.push(`init ${transactionalId} e${e.epoch}`);
            return { producerId: e.producerId, producerEpoch: e.epoch };
          },
          begin() {},
          async send(records: readonly OutgoingRecord[]) {
            await Promise.resolve();
            const e = entry();
            if (fake.failNextSend !== undefined) {
              const err = fake.failNextSend;
              fake.failNextSend = undefined;
              throw err;
            }
            const values = records.map((r) => String(r.message.value));
            e.state = "ongoing";
            e.records.push(...values);
            fake.calls.push(`send ${transactionalId} ${values.join(",")}`);
          },
          async commit() {
            const e = entry();
            if (e.state === "ongoing") fake.visible.push(...e.records);
            e.records = [];
            e.state = "committed";
            fake.calls.push(`commit ${transactionalId}`);
          },
          async abort() {
            const e = entry();
            e.records = [];
            e.state = "aborted";
            fake.calls.push(`abort ${transactionalId}`);
          },
        };
      },
      async resumeCommit(transactionalId, identity): Promise<ResumeOutcome> {
        const e = fake.ids.get(transactionalId);
        let outcome: ResumeOutcome;
        if (e === undefined || e.producerId !== identity.producerId || e.epoch !== identity.producerEpoch) outcome = { kind: "fenced", reason: "INVALID_PRODUCER_EPOCH" };
        else if (e.state === "ongoing" || e.state === "committed") {
          if (e.state === "ongoing") fake.visible.push(...e.records);
          e.records = [];
          e.state = "committed";
          outcome = { kind: "committed" };
        } else outcome = { kind: "aborted", reason: "INVALID_TXN_STATE" };
        fake.calls.push(`resume ${transactionalId} e${identity.producerEpoch} ${outcome.kind}`);
        return outcome;
      },
    };
  }

  /** The calls about one transactional id, in order. */
  of(id: string): string[] {
    return this.calls.filter((c) => c.split(" ")[1] === id);
  }
}

function context(over: Partial<SinkWriterContext> = {}): SinkWriterContext {
  return { subtaskIndex: 0, parallelism: 1, log: runtimeLogger(), restoredState: [], attempt: "a", checkpointing: true, ...over };
}

function sinkOf(fake: FakeKafka, over: Partial<KafkaSinkOptions<string>> = {}): KafkaSink<string> {
  return new KafkaSink<string>({
    name: "out",
    topic: "t",
    serializer: "string",
    guarantee: "exactly-once",
    transactionalIdPrefix: "p",
    producerFactory: () => fake.producers(),
    ...over,
  });
}

const clone = <S>(s: S): S => structuredClone(s);

describe("KafkaSink exactly-once bookkeeping (fake coordinator)", () => {
  it("commits one transaction per checkpoint when it completes, taking ids from a pool with a new epoch each time", async () => {
    const fake = new FakeKafka();
    const w = await sinkOf(fake).createWriter(context());
    w.write("a", 0);
    w.write("b", 0);
    await w.flush!(false);
    const s1 = (await w.snapshotState!(1)) as KafkaSinkState;
    w.write("c", 0);
    const s2 = (await w.snapshotState!(2)) as KafkaSinkState;
    expect(fake.visible).toEqual([]); // sent, not committed
    await w.notifyCheckpointComplete!(1);
    expect(fake.visible).toEqual(["a", "b"]);
    w.write("d", 0);
    const s3 = (await w.snapshotState!(3)) as KafkaSinkState;
    await w.notifyCheckpointComplete!(3); // 2 is covered by 3
    expect(fake.visible).toEqual(["a", "b", "c", "d"]);
    await w.close!();

    // ids: 0 sealed at 1 while 1 takes new records; 2 needs a third id; 0 is free again by 3
    expect(s1.pending.map((p) => [p.checkpointId, p.txn.transactionalId])).toEqual([[1, "p-0-0"]]);
    expect(s1.current.transactionalId).toBe("p-0-1");
    expect(s2.pending.map((p) => [p.checkpointId, p.txn.transactionalId])).toEqual([
      [1, "p-0-0"],
      [2, "p-0-1"],
    ]);
    expect(s2.current.transactionalId).toBe("p-0-2");
    expect(s3.pending.map((p) => [p.checkpointId, p.txn.transactionalId])).toEqual([
      [2, "p-0-1"],
      [3, "p-0-2"],
    ]);
    expect(s3.current.transactionalId).toBe("p-0-0");
    expect(s3.poolSize).toBe(3);
    // the checkpoint holds what a restore resumes with
    expect(s1.pending[0].txn).toMatchObject({ producerId: fake.ids.get("p-0-0")!.producerId, producerEpoch: 1 });

    // fencing probed p-0-0 (epoch 0: unused); then every transaction inits its id afresh
    expect(fake.of("p-0-0")).toEqual(["init p-0-0 e0", "init p-0-0 e1", "send p-0-0 a,b", "commit p-0-0", "init p-0-0 e2", "abort p-0-0"]);
    expect(fake.of("p-0-1")).toEqual(["init p-0-1 e0", "send p-0-1 c", "commit p-0-1"]);
    expect(fake.of("p-0-2")).toEqual(["init p-0-2 e0", "send p-0-2 d", "commit p-0-2"]);
    expect(fake.openConnections).toBe(0);
  });

  it("keeps an aborted checkpoint's transaction pending until a later checkpoint completes, and never commits an empty one", async () => {
    const fake = new FakeKafka();
    const w = await sinkOf(fake).createWriter(context());
    await w.snapshotState!(1); // nothing written: nothing sealed
    await w.notifyCheckpointComplete!(1);
    w.write("a", 0);
    await w.snapshotState!(2);
    await w.notifyCheckpointAborted!(2);
    w.write("b", 0);
    await w.snapshotState!(3);
    expect(fake.visible).toEqual([]);
    await w.notifyCheckpointComplete!(3);
    expect(fake.visible).toEqual(["a", "b"]);
    expect(fake.calls.filter((c) => c.startsWith("commit"))).toEqual(["commit p-0-0", "commit p-0-1"]);
    await w.close!();
  });

  it("after a crash commits the checkpoint's pending transaction with its stored epoch, aborts the open one and fences the zombie", async () => {
    const fake = new FakeKafka();
    const old = await sinkOf(fake).createWriter(context());
    old.write("a", 0);
    const s1 = clone(await old.snapshotState!(1)); // checkpoint 1 completes, but its notification is lost
    old.write("b", 0);
    await old.flush!(false); // b is in p-0-1's open transaction
    const restored = await sinkOf(fake).createWriter(context({ restoredState: [s1], attempt: "b" }));
    expect(fake.visible).toEqual(["a"]);
    expect(fake.calls).toContain("resume p-0-0 e1 committed");
    expect(fake.calls).toContain("abort p-0-1 by-init"); // fencing aborted the open transaction
    // the zombie cannot write or commit any more
    old.write("c", 0);
    await expect(old.flush!(false)).rejects.toThrow(/sink "out" subtask 0: flushTransaction failed for transaction .*p-0-1.*fenced/);
    // probing: the ids the state names (2), then on to the first unused one
    expect(fake.calls.filter((c) => c.startsWith("init") && c.includes("p-0-2"))[0]).toBe("init p-0-2 e0");
    restored.write("d", 0);
    await restored.snapshotState!(1);
    await restored.notifyCheckpointComplete!(1);
    expect(fake.visible).toEqual(["a", "d"]);
    await restored.close!();
  });

  it("does not commit twice when the checkpoint's transaction was committed before the crash, or when restored twice", async () => {
    const fake = new FakeKafka();
    const old = await sinkOf(fake).createWriter(context());
    old.write("a", 0);
    const s1 = clone(await old.snapshotState!(1));
    await old.notifyCheckpointComplete!(1);
    expect(fake.visible).toEqual(["a"]);
    old.write("b", 0);
    await old.snapshotState!(2); // p-0-1 sealed: this checkpoint never completes
    old.write("c", 0);
    await old.flush!(false); // p-0-0 again, with a new epoch
    await sinkOf(fake).createWriter(context({ restoredState: [s1], attempt: "b" }));
    expect(fake.calls).toContain("resume p-0-0 e1 fenced"); // p-0-0 has moved on: not committed again
    await sinkOf(fake).createWriter(context({ restoredState: [s1], attempt: "c" }));
    expect(fake.visible).toEqual(["a"]);
  });

  it("restored at a lower parallelism, one subtask commits and fences the ids of both old subtasks", async () => {
    const fake = new FakeKafka();
    const sink = sinkOf(fake);
    const w0 = await sink.createWriter(context({ subtaskIndex: 0, parallelism: 2 }));
    const w1 = await sink.createWriter(context({ subtaskIndex: 1, parallelism: 2 }));
    w0.write("x0", 0);
    w1.write("x1", 0);
    const states = [clone(await w0.snapshotState!(1)), clone(await w1.snapshotState!(1))];
    w1.write("y1", 0);
    await w1.flush!(false);
    const w = await sinkOf(fake).createWriter(context({ restoredState: states, attempt: "b" }));
    expect([...fake.visible].sort()).toEqual(["x0", "x1"]);
    expect(fake.calls).toContain("abort p-1-1 by-init");
    expect(fake.ids.get("p-1-2")?.epoch).toBe(0); // probed up to the first unused id of old subtask 1
    await w.close!();
  });

  it("fails on a send error, and every later flush and checkpoint fails too", async () => {
    const fake = new FakeKafka();
    const w = await sinkOf(fake).createWriter(context());
    fake.failNextSend = Object.assign(new Error("The request timed out"), { type: "REQUEST_TIMED_OUT", retriable: true });
    w.write("a", 0);
    await expect(w.flush!(false)).rejects.toThrow(/sink "out" subtask 0: flushTransaction failed for transaction .*p-0-0.*sending 1 records to topic "t" failed: REQUEST_TIMED_OUT: The request timed out/);
    w.write("b", 0);
    await expect(w.snapshotState!(1)).rejects.toThrow(/an earlier write or commit failed; the job must restart/);
    expect(fake.visible).toEqual([]);
  });

  it("for any writes, flushes, checkpoints, completions, aborts and crashes, makes visible exactly the records of completed checkpoints", async () => {
    type Op = { kind: "write"; n: number } | { kind: "flush" } | { kind: "checkpoint" } | { kind: "complete"; pick: number; notify: boolean } | { kind: "abort" } | { kind: "crash" };
    const op: fc.Arbitrary<Op> = fc.oneof(
      { arbitrary: fc.record({ kind: fc.constant("write" as const), n: fc.integer({ min: 1, max: 3 }) }), weight: 3 },
      { arbitrary: fc.constant({ kind: "flush" as const }), weight: 1 },
      { arbitrary: fc.constant({ kind: "checkpoint" as const }), weight: 3 },
      { arbitrary: fc.record({ kind: fc.constant("complete" as const), pick: fc.nat(), notify: fc.boolean() }), weight: 2 },
      { arbitrary: fc.constant({ kind: "abort" as const }), weight: 1 },
      { arbitrary: fc.constant({ kind: "crash" as const }), weight: 1 },
    );
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 30, size: "max" }), async (ops) => {
        const fake = new FakeKafka();
        let attempt = 0;
        let w: SinkWriter<string> = await sinkOf(fake).createWriter(context({ attempt: "a0" }));
        let position = 0; // records are "0", "1", ...; a restore replays from the checkpoint's position
        let nextId = 1;
        let taken: Array<{ id: number; state: unknown; position: number }> = [];
        let completed: { id: number; state: unknown; position: number } | undefined;
        let visible = 0; // the reference: records [0, visible) are visible
        const expected = () => Array.from({ length: visible }, (_, i) => String(i));
        for (const o of ops) {
          if (o.kind === "write") for (let k = 0; k < o.n; k++) w.write(String(position++), 0);
          else if (o.kind === "flush") await w.flush!(false);
          else if (o.kind === "checkpoint") {
            const id = nextId++;
            taken.push({ id, state: clone(await w.snapshotState!(id)), position });
          } else if (o.kind === "complete" && taken.length > 0) {
            const c = taken[o.pick % taken.length];
            completed = c;
            taken = taken.filter((t) => t.id > c.id);
            if (o.notify) {
              await w.notifyCheckpointComplete!(c.id);
              visible = c.position;
            }
          } else if (o.kind === "abort" && taken.length > 0) {
            await w.notifyCheckpointAborted!(taken.pop()!.id);
          } else if (o.kind === "crash") {
            w = await sinkOf(fake).createWriter(context({ attempt: `a${++attempt}`, restoredState: completed === undefined ? [] : [completed.state] }));
            position = completed?.position ?? 0;
            visible = position;
            taken = [];
          }
          expect(fake.visible).toEqual(expected());
        }
        await w.snapshotState!(nextId);
        await w.notifyCheckpointComplete!(nextId);
        await w.close!();
        visible = position;
        expect(fake.visible).toEqual(expected());
        // nothing stays open: a read_committed consumer is never held back
        expect([...fake.ids].filter(([, e]) => e.state === "ongoing").map(([id]) => id)).toEqual([]);
      }),
      { numRuns: 150 },
    );
  });
});

describe("KafkaSink options", () => {
  const base = { name: "out", topic: "t", serializer: "string" as const, brokers: ["localhost:9092"] };

  it("refuses options that cannot work, naming the sink and the option", () => {
    expect(() => new KafkaSink<string>({ ...base, guarantee: "exactly-once" })).toThrow(/sink "out": exactly-once needs transactionalIdPrefix/);
    expect(() => new KafkaSink<string>({ ...base, acks: 0 })).toThrow(/sink "out": acks 0 gives no acknowledgement to wait for; at-least-once needs acks -1/);
    expect(() => new KafkaSink<string>({ ...base, guarantee: "exactly-once", transactionalIdPrefix: "p", acks: 1 })).toThrow(/exactly-once needs acks -1/);
    expect(() => new KafkaSink<string>({ ...base, idempotent: true, acks: 1 })).toThrow(/idempotent producer needs acks -1/);
    expect(() => new KafkaSink<string>({ ...base, compression: "brotli" as never })).toThrow(/compression must be one of none, gzip/);
    expect(() => new KafkaSink<string>({ ...base, compression: "zstd" })).toThrow(/compression "zstd" needs its codec registered/);
    expect(() => new KafkaSink<string>({ ...base, maxBatchSize: 0 })).toThrow(/maxBatchSize must be a positive integer/);
    expect(() => new KafkaSink<string>({ ...base, serializer: "xml" as never })).toThrow(/serializer must be "json", "string", "bytes" or a Serializer/);
    expect(() => new KafkaSink<string>({ ...base, topic: "" })).toThrow(/topic must be a topic name or a function/);
    expect(() => new KafkaSink<string>({ ...base, guarantee: "exactly-once", transactionalIdPrefix: "p", transactionTimeoutMs: 10 })).toThrow(/transactionTimeoutMs/);
    expect(() => new KafkaSink<string>({ ...base, brokers: ["nohost"] })).toThrow(/sink "out": broker "nohost" is not host:port/);
  });

  it("needs brokers from the options or KAFKA_BROKERS", () => {
    const saved = process.env.KAFKA_BROKERS;
    delete process.env.KAFKA_BROKERS;
    try {
      expect(() => new KafkaSink<string>({ name: "out", topic: "t", serializer: "string" })).toThrow(/sink "out": no Kafka brokers: pass brokers/);
    } finally {
      if (saved !== undefined) process.env.KAFKA_BROKERS = saved;
    }
  });
});

// ---- against a real cluster ----------------------------------------------------------------------

const brokers = process.env.KAFKA_BROKERS;
const real = brokers === undefined || brokers.trim() === "";
const suffix = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;

async function withTopic<R>(name: string, partitions: number, fn: (kafka: Kafka) => Promise<R>): Promise<R> {
  const kafka = new Kafka({ brokers: brokers!.split(","), clientId: "vigil-test", logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: name, numPartitions: partitions }], waitForLeaders: true });
  try {
    return await fn(kafka);
  } finally {
    await admin.deleteTopics({ topics: [name] }).catch(() => {});
    await admin.disconnect();
  }
}

/** Reads `topic` with read_committed (kafkajs's default) until `done` holds, then `settleMs` more (to catch duplicates); returns the values. */
async function readCommitted(kafka: Kafka, topic: string, done: (values: string[]) => boolean, settleMs = 1_000): Promise<string[]> {
  const consumer = kafka.consumer({ groupId: `vigil-test-${suffix}-${Math.random().toString(36).slice(2)}`, readUncommitted: false });
  const values: string[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({ eachMessage: async ({ message }) => void values.push(String(message.value)) });
  const deadline = Date.now() + 30_000;
  while (!done(values) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  await new Promise((r) => setTimeout(r, settleMs));
  await consumer.disconnect();
  return values;
}

describe("KafkaSink exactly-once against a real cluster", () => {
  const dirs = tempDirs("vigil-kafka-sink-");

  it.skipIf(real)("(needs KAFKA_BROKERS) a job with a failure and a restart writes every record once for read_committed consumers", async () => {
    const topic = `vigil-sink-eo-${suffix}`;
    await withTopic(topic, 3, async (kafka) => {
      const n = 600;
      const failures = new FailureInjector([350]);
      const env = new StreamExecutionEnvironment()
        .setParallelism(2)
        .enableCheckpointing(50, { directory: dirs.tmp() })
        .setRestartStrategy(RestartStrategies.fixedDelay(1, 0));
      const splits = [0, 1].map((s) => Array.from({ length: n / 2 }, (_, i) => String(s * (n / 2) + i)));
      env
        .fromSource(new SlowListSource(splits, 10), WatermarkStrategy.noWatermarks(), "numbers")
        .map((v) => (failures.tick(), v))
        .sinkTo(new KafkaSink<string>({ name: "eo", topic, serializer: "string", key: (v) => v, guarantee: "exactly-once", transactionalIdPrefix: `vigil-test-${suffix}`, transactionTimeoutMs: 60_000 }));
      await env.execute("kafka-exactly-once");
      expect(failures.failures).toBe(1);
      const values = await readCommitted(kafka, topic, (v) => v.length >= n);
      expect(values.length).toBe(n);
      expect(new Set(values).size).toBe(n);
    });
  });

  it.skipIf(real)("(needs KAFKA_BROKERS) a restored writer commits the checkpoint's transaction, aborts the open one and fences the zombie", async () => {
    const topic = `vigil-sink-fence-${suffix}`;
    await withTopic(topic, 1, async (kafka) => {
      const sink = () => new KafkaSink<string>({ name: "eo", topic, serializer: "string", guarantee: "exactly-once", transactionalIdPrefix: `vigil-fence-${suffix}`, transactionTimeoutMs: 60_000 });
      const old = await sink().createWriter(context());
      old.write("a", 0);
      const s1 = clone(await old.snapshotState!(1)); // completed; the notification is lost
      old.write("b", 0);
      await old.flush!(false); // b is in an open transaction
      const restored = await sink().createWriter(context({ restoredState: [s1], attempt: "b" }));
      old.write("c", 0);
      await expect(old.flush!(false)).rejects.toThrow(/sink "eo" subtask 0/);
      restored.write("d", 0);
      await restored.snapshotState!(1);
      await restored.notifyCheckpointComplete!(1);
      const values = await readCommitted(kafka, topic, (v) => v.includes("d"));
      expect(values).toEqual(["a", "d"]);
      await restored.close!();
      await Promise.resolve(old.close!()).catch(() => {});
    });
  });

  it.skipIf(real)("(needs KAFKA_BROKERS) cleans up", () => dirs.cleanup());
});
