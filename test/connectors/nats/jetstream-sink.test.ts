import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { JetStreamSink } from "../../../src/connectors/nats/index.js";
import { runtimeLogger } from "../../../src/runtime/logger.js";
import type { SinkWriterContext } from "../../../src/runtime/index.js";
import { NatsFixture, unique } from "./helpers.js";

let fx: NatsFixture;
beforeAll(async () => {
  fx = await NatsFixture.open();
});
afterAll(async () => {
  await fx.cleanup();
});

const ctx = (): SinkWriterContext => ({ subtaskIndex: 0, parallelism: 1, log: runtimeLogger(), restoredState: [], attempt: "t", checkpointing: true });

type Alert = { id: string; card: string; rule: string };

describe("JetStreamSink", () => {
  it("publishes with Nats-Msg-Id and headers; snapshotState resolves once every earlier publish is stored; a replay is dropped", async () => {
    const stream = await fx.stream("sink");
    const sink = new JetStreamSink<Alert>({
      subject: (a) => `${stream}.alerts.${a.rule}`,
      msgId: (a) => a.id,
      headers: (a) => ({ card: a.card }),
      stream,
      maxBatchSize: 7,
    });
    const w = sink.createWriter(ctx());
    const alerts = Array.from({ length: 50 }, (_, i): Alert => ({ id: `a${i}`, card: `c${i % 3}`, rule: i % 2 === 0 ? "velocity" : "testing" }));
    for (const a of alerts.slice(0, 30)) w.write(a, 0);
    const state = await w.snapshotState?.(1);
    expect(state).toEqual({ subtask: 0, parallelism: 1, seq: 30 });
    expect((await fx.jsm.streams.info(stream)).state.messages).toBe(30); // no flush was called: the snapshot published them
    // after a restore the job writes again what followed the checkpoint, and more
    for (const a of alerts.slice(20)) w.write(a, 0);
    await w.flush?.(false);
    await w.close?.();
    const stored = await fx.read(stream);
    expect(stored.map((m) => m.msgId)).toEqual(alerts.map((a) => a.id));
    expect(stored[1]).toMatchObject({ subject: `${stream}.alerts.testing`, data: JSON.stringify(alerts[1]) });
    const m = await fx.jsm.streams.getMessage(stream, { seq: stored[4].seq });
    expect(m.header.get("card")).toBe("c1");
    expect(sink.duplicateCount).toBe(10);
    expect(sink.storedCount).toBe(50);
  });

  it("fails the flush clearly when no stream takes the subject, or the stream is not the expected one", async () => {
    const stream = await fx.stream("sinkerr");
    const nowhere = new JetStreamSink<Alert>({ subject: unique("nowhere"), msgId: (a) => a.id, maxPublishAttempts: 2 });
    const w1 = nowhere.createWriter(ctx());
    w1.write({ id: "x", card: "c", rule: "r" }, 0);
    await expect(w1.flush?.(false)).rejects.toMatchObject({ code: "SINK_WRITE_FAILED", message: expect.stringMatching(/Nats-Msg-Id x\) failed after 2 attempts: no responders: no stream takes this subject/) });
    await w1.close?.();

    const other = await fx.stream("sinkother");
    const wrong = new JetStreamSink<Alert>({ subject: `${stream}.a`, msgId: (a) => a.id, stream: other });
    const w2 = wrong.createWriter(ctx());
    w2.write({ id: "y", card: "c", rule: "r" }, 0);
    await expect(w2.flush?.(false)).rejects.toThrow(/the stream refused the message: expected stream does not match/);
    await w2.close?.();

    const missing = new JetStreamSink<Alert>({ subject: `${stream}.a`, msgId: (a) => a.id, stream: unique("missing") });
    const w3 = missing.createWriter(ctx());
    w3.write({ id: "z", card: "c", rule: "r" }, 0);
    await expect(w3.flush?.(false)).rejects.toThrow(/cannot read stream "missing_\w+"/);
    await w3.close?.();
    expect(() => new JetStreamSink<Alert>({ subject: "a.>", msgId: (a) => a.id })).toThrow(/must not contain wildcards/);
    expect(() => new JetStreamSink<Alert>({ subject: "a", msgId: undefined as never })).toThrow(/msgId must be a function/);
  });
});
