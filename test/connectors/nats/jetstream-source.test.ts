import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DeadLetter } from "../../../src/connectors/dead-letter.js";
import { Deserializers } from "../../../src/connectors/format.js";
import { JetStreamSource, type JetStreamSourceOptions, type JetStreamSplit } from "../../../src/connectors/nats/index.js";
import { collector, eventually, NatsFixture, pollUntil, readerCtx, sleep, unique } from "./helpers.js";

let fx: NatsFixture;
beforeAll(async () => {
  fx = await NatsFixture.open();
});
afterAll(async () => {
  await fx.cleanup();
});

const numbers = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => String(from + i));

async function open<T>(source: JetStreamSource<T>, splits?: JetStreamSplit[]) {
  const reader = source.createReader(readerCtx);
  await reader.addSplits(splits ?? (await source.createSplits()));
  return reader;
}

describe("JetStreamSource", () => {
  it("reads a stream in order from startFrom all, new, a sequence or a time, with the stream time as timestamp", async () => {
    const stream = await fx.stream("start");
    await fx.publish(`${stream}.a`, numbers(1, 5));
    await sleep(20);
    await fx.publish(`${stream}.a`, numbers(6, 8));
    // the server's own time of message 6, not this process's clock (this machine's clock is adjusted while it runs)
    const before = (await fx.jsm.streams.getMessage(stream, { seq: 6 })).time.getTime();
    expect(before).toBeGreaterThan((await fx.jsm.streams.getMessage(stream, { seq: 5 })).time.getTime());
    const cases: Array<[Partial<JetStreamSourceOptions<number>>, number[]]> = [
      [{ startFrom: "all" }, [1, 2, 3, 4, 5, 6, 7, 8]],
      [{ startFrom: { sequence: 4 } }, [4, 5, 6, 7, 8]],
      [{ startFrom: { time: before } }, [6, 7, 8]],
    ];
    for (const [opts, expected] of cases) {
      const reader = await open(new JetStreamSource<number>({ stream, ...opts }));
      const c = collector<number>();
      await pollUntil(reader, c.output, () => c.values.length >= expected.length, JSON.stringify(opts));
      expect(c.values).toEqual(expected);
      expect(c.splits.every((s) => s === stream)).toBe(true);
      expect(c.timestamps.every((t) => typeof t === "number" && Math.abs(t - Date.now()) < 60_000)).toBe(true);
      await reader.close?.();
    }
    const fresh = new JetStreamSource<number>({ stream, startFrom: "new" });
    const splits = await fresh.createSplits();
    expect(splits).toEqual([{ splitId: stream, stream, sequence: 9 }]);
    const reader = await open(fresh, splits);
    await fx.publish(`${stream}.a`, ["9"]);
    const c = collector<number>();
    await pollUntil(reader, c.output, () => c.values.length >= 1, "the new message");
    expect(c.values).toEqual([9]);
    await reader.close?.();
  });

  it("checkpoints the next stream sequence; a reader restored from it goes on with nothing lost or repeated", async () => {
    const stream = await fx.stream("restore");
    await fx.publish(`${stream}.x`, numbers(1, 300));
    const source = new JetStreamSource<number>({ stream, consumer: "vigil", batchSize: 7, fetchBatch: 50 });
    const r1 = await open(source);
    const c1 = collector<number>();
    await pollUntil(r1, c1.output, () => c1.values.length >= 100, "100 records");
    const splits = structuredClone(r1.snapshotState(1));
    expect(splits).toEqual([{ splitId: stream, stream, durable: "vigil", sequence: c1.values.length + 1 }]);
    await r1.close?.();
    const r2 = await open(source, splits);
    const c2 = collector<number>();
    await fx.publish(`${stream}.x`, numbers(301, 400));
    await pollUntil(r2, c2.output, () => c1.values.length + c2.values.length >= 400, "all 400 records");
    await sleep(100);
    await r2.pollNext(c2.output);
    expect([...c1.values, ...c2.values]).toEqual(numbers(1, 400).map(Number));
    await r2.close?.();
  });

  it("acks only when a checkpoint completes: the durable consumer's ack floor moves then, to the checkpoint's position", async () => {
    const stream = await fx.stream("acks");
    await fx.publish(`${stream}.x`, numbers(1, 50));
    const source = new JetStreamSource<number>({ stream, consumer: "acker" });
    const r = await open(source);
    const c = collector<number>();
    await pollUntil(r, c.output, () => c.values.length === 50, "50 records");
    expect(await fx.ackFloor(stream, "acker")).toBe(0);
    r.snapshotState(1);
    await fx.publish(`${stream}.x`, numbers(51, 60));
    await pollUntil(r, c.output, () => c.values.length === 60, "60 records");
    r.snapshotState(2);
    await sleep(100);
    expect(await fx.ackFloor(stream, "acker")).toBe(0); // checkpoints taken, none complete
    await r.notifyCheckpointComplete?.(1);
    await eventually(async () => (await fx.ackFloor(stream, "acker")) === 50, "the ack floor at checkpoint 1's position");
    await r.notifyCheckpointComplete?.(2);
    await eventually(async () => (await fx.ackFloor(stream, "acker")) === 60, "the ack floor at checkpoint 2's position");
    await r.close?.();

    // a new job (no checkpoint restored) resumes the existing durable consumer after its ack floor
    await fx.publish(`${stream}.x`, numbers(61, 62));
    const splits = await new JetStreamSource<number>({ stream, consumer: "acker", startFrom: "new" }).createSplits();
    expect(splits).toEqual([{ splitId: stream, stream, durable: "acker", sequence: 61 }]);
  });

  it("drops messages redelivered after the ack wait: nothing is emitted twice", async () => {
    const stream = await fx.stream("redeliver");
    await fx.publish(`${stream}.x`, numbers(1, 20));
    const source = new JetStreamSource<number>({ stream, consumer: "slow", ackWaitMs: 1000 });
    const r = await open(source);
    const c = collector<number>();
    await pollUntil(r, c.output, () => c.values.length === 20, "20 records");
    // no checkpoint completes, so the server redelivers everything after a second
    await eventually(async () => (await fx.jsm.consumers.info(stream, "slow")).num_redelivered > 0, "redeliveries");
    await fx.publish(`${stream}.x`, numbers(21, 25));
    await pollUntil(r, c.output, () => c.values.length >= 25, "the new records");
    await eventually(async () => (await fx.jsm.consumers.info(stream, "slow")).delivered.consumer_seq >= 45, "the redelivered messages to arrive");
    for (let i = 0; i < 5; i++) await r.pollNext(c.output);
    expect(c.values).toEqual(numbers(1, 25).map(Number));
    await r.close?.();
  });

  it("one split per filter subject, each with its own consumer and position; overlapping filters are refused", async () => {
    const stream = await fx.stream("filters");
    await fx.publish(`${stream}.a`, ["1", "2"]);
    await fx.publish(`${stream}.b.x`, ["10", "20"]);
    await fx.publish(`${stream}.c`, ["99"]);
    const source = new JetStreamSource<number>({ stream, consumer: "f", filterSubjects: [`${stream}.a`, `${stream}.b.>`] });
    expect(source.maxParallelism).toBe(2);
    const splits = await source.createSplits();
    expect(splits.map((s) => [s.splitId, s.durable, s.filterSubject])).toEqual([
      [`${stream}:${stream}.a`, "f-0", `${stream}.a`],
      [`${stream}:${stream}.b.>`, "f-1", `${stream}.b.>`],
    ]);
    const r = await open(source, [splits[1]]);
    const c = collector<number>();
    await pollUntil(r, c.output, () => c.values.length === 2, "split b's records");
    expect(c.values).toEqual([10, 20]);
    expect(r.snapshotState(1)).toEqual([{ ...splits[1], sequence: 5 }]);
    await r.close?.();
    expect(() => new JetStreamSource({ stream, filterSubjects: [`${stream}.*`, `${stream}.a`] })).toThrow(/overlap: a message would be read twice/);
    expect(() => new JetStreamSource({ stream, filterSubjects: [`${stream}.a.>`, `${stream}.*.b`] })).toThrow(/overlap/);
    expect(() => new JetStreamSource({ stream, filterSubjects: [`${stream}.a`, `${stream}.a.b`] })).not.toThrow();
  });

  it("stops pulling while its buffer is full (backpressure) and goes on when polled", async () => {
    const stream = await fx.stream("pressure");
    await fx.publish(`${stream}.x`, numbers(1, 3000));
    const source = new JetStreamSource<number>({ stream, consumer: "bp", fetchBatch: 100, maxBuffered: 300 });
    const r = await open(source);
    await eventually(async () => (await fx.jsm.consumers.info(stream, "bp")).delivered.stream_seq >= 300, "the first pulls");
    await sleep(300); // time for pulls that should not happen
    expect((await fx.jsm.consumers.info(stream, "bp")).delivered.stream_seq).toBeLessThanOrEqual(400);
    const c = collector<number>();
    await pollUntil(r, c.output, () => c.values.length === 3000, "all records");
    expect(c.values).toEqual(numbers(1, 3000).map(Number));
    await r.close?.();
  });

  it("sends undecodable messages to the dead letters with subject, stream sequence and reason; their position is passed", async () => {
    const stream = await fx.stream("dead");
    const letters: DeadLetter[] = [];
    await fx.publish(`${stream}.in`, ['{"n":1}', "oops", '{"n":"two"}', '{"n":3}']);
    const schema = { type: "object", required: ["n"], properties: { n: { type: "integer" } } };
    const source = new JetStreamSource<{ n: number }>({ stream, name: "orders", deserializer: Deserializers.json({ schema }), deadLetters: (d) => letters.push(d) });
    const r = await open(source);
    const c = collector<{ n: number }>();
    await pollUntil(r, c.output, () => c.values.length === 2, "two records");
    expect(c.values).toEqual([{ n: 1 }, { n: 3 }]);
    expect(letters).toEqual([
      { source: "orders", subject: `${stream}.in`, streamSequence: 2, raw: "oops", reason: expect.stringMatching(/^json\+schema: .*JSON/) },
      { source: "orders", subject: `${stream}.in`, streamSequence: 3, raw: '{"n":"two"}', reason: "json+schema: schema: /n must be integer" },
    ]);
    expect(source.deadLetterCount).toBe(2);
    expect(r.snapshotState(1)[0].sequence).toBe(5);
    await r.close?.();
  });

  it("deletes its ephemeral consumer on close; fails clearly for a missing stream and bad options", async () => {
    const stream = await fx.stream("ephemeral");
    await fx.publish(`${stream}.x`, ["1"]);
    const r = await open(new JetStreamSource<number>({ stream }));
    const c = collector<number>();
    await pollUntil(r, c.output, () => c.values.length === 1, "the record");
    expect((await fx.jsm.streams.info(stream)).state.consumer_count).toBe(1);
    await r.close?.();
    await eventually(async () => (await fx.jsm.streams.info(stream)).state.consumer_count === 0, "the ephemeral consumer to go");

    await expect(new JetStreamSource({ stream: unique("missing") }).createSplits()).rejects.toMatchObject({ code: "SOURCE_NOT_FOUND", message: expect.stringMatching(/cannot read stream "missing_\w+"/) });
    expect(() => new JetStreamSource({ stream: "a.b" })).toThrow(/stream "a.b" must be a non-empty name/);
    expect(() => new JetStreamSource({ stream: "s", startFrom: { sequence: 0 } as never })).toThrow(/startFrom must be/);
    expect(() => new JetStreamSource({ stream: "s", ackWaitMs: 10 })).toThrow(/ackWaitMs must be an integer of at least 1000/);
  });
});
