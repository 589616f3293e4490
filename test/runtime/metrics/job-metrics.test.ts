import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import {
  CollectSink,
  InMemorySource,
  RestartStrategies,
  StreamExecutionEnvironment,
  WatermarkStrategy,
  type Collector,
  type JobClient,
  type KeyedProcessContext,
  type KeyedProcessFunction,
  type RuntimeContext,
  type Sink,
  type SubtaskMetrics,
  type ValueState,
} from "../../../src/index.js";
import { ValueStateDescriptor } from "../../../src/state/descriptors.js";

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), "vigil-metrics-"));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

interface Ev {
  key: string;
  ts: number;
}

/** Counts events per key in keyed state; registers a gauge per "pattern" and a counter, as the CEP operator would. */
class PerKey implements KeyedProcessFunction<string, Ev, string> {
  private count!: ValueState<number>;
  private seen = 0;
  open(ctx: RuntimeContext) {
    this.count = ctx.getState(new ValueStateDescriptor<number>("count"));
    const group = ctx.getMetricGroup();
    group.addGroup("pattern", "rule-a@1").gauge("partialMatches", () => this.seen * 2);
    group.addGroup("pattern", "rule-b@3").gauge("partialMatches", () => this.seen);
    this.counter = group.counter("processed");
  }
  private counter!: { inc(): void };
  processElement(e: Ev, _ctx: KeyedProcessContext<string>, out: Collector<string>) {
    this.count.update((this.count.value() ?? 0) + 1);
    this.seen++;
    this.counter.inc();
    out.collect(e.key);
  }
}

const by = (m: { subtasks: readonly SubtaskMetrics[] }, name: string): SubtaskMetrics => {
  const s = m.subtasks.find((x) => x.name === name);
  if (s === undefined) throw new Error(`no subtask ${name} in ${m.subtasks.map((x) => x.name).join(", ")}`);
  return s;
};

async function stop(client: JobClient, source: InMemorySource<unknown>): Promise<void> {
  source.end();
  await client.getJobExecutionResult().catch(() => {});
}

describe("JobClient.getMetrics (local executor)", () => {
  it("reports watermarks, keyed-state entries and the gauges and counters an operator registered", async () => {
    const env = new StreamExecutionEnvironment().setParallelism(1);
    const source = new InMemorySource<Ev>();
    const sink = new CollectSink<string>();
    env
      .fromSource(source, WatermarkStrategy.forBoundedOutOfOrderness<Ev>(100).withTimestampAssigner((e) => e.ts), "events")
      .uid("events")
      .keyBy((e) => e.key)
      .process(new PerKey())
      .uid("per-key")
      .name("per key")
      .sinkTo(sink);
    const client = await env.executeAsync("metrics");

    const before = client.getMetrics();
    expect(before.subtasksReported).toBe(true);
    expect(by(before, "events").currentOutputWatermark).toBe(Number.NEGATIVE_INFINITY);
    expect(by(before, "per key").currentInputWatermark).toBe(Number.NEGATIVE_INFINITY);

    source.push({ key: "a", ts: 1_000 }, { key: "b", ts: 5_000 }, { key: "a", ts: 3_000 }, { key: "c", ts: 4_000 });
    await vi.waitFor(() => expect(sink.values.length).toBe(4), { timeout: 5_000, interval: 5 });
    await vi.waitFor(() => expect(by(client.getMetrics(), "per key").currentInputWatermark).toBe(4_899), { timeout: 5_000, interval: 5 });

    const m = client.getMetrics();
    expect(m.status).toBe("RUNNING");
    expect(m.jobName).toBe("metrics");
    const src = by(m, "events");
    expect(src).toMatchObject({ kind: "source", operatorId: "events", subtaskIndex: 0, currentOutputWatermark: 4_899, idle: false, metrics: [] });
    expect(src.currentInputWatermark).toBeUndefined();
    const op = by(m, "per key");
    expect(op).toMatchObject({ kind: "operator", operatorId: "per-key", currentInputWatermark: 4_899, currentOutputWatermark: 4_899, backPressuredTimeMs: 0 });
    // one "count" entry per key
    expect(op.state).toEqual({ backend: "heap", entries: 3 });
    expect([...op.metrics].sort((x, y) => JSON.stringify(x).localeCompare(JSON.stringify(y)))).toEqual([
      { name: "partialMatches", kind: "gauge", labels: { pattern: "rule-a@1" }, value: 8 },
      { name: "partialMatches", kind: "gauge", labels: { pattern: "rule-b@3" }, value: 4 },
      { name: "processed", kind: "counter", labels: {}, value: 4 },
    ]);
    expect(m.subtasks.find((s) => s.kind === "sink")?.state).toBeUndefined();

    await stop(client, source);
    const end = client.getMetrics();
    expect(end.status).toBe("FINISHED");
    expect(by(end, "per key").currentInputWatermark).toBe(Number.POSITIVE_INFINITY);
  });

  it("counts completed and failed checkpoints with the duration and size of the last", async () => {
    const env = new StreamExecutionEnvironment().setParallelism(1).enableCheckpointing(0, { directory: tmp(), tolerableFailures: 10 });
    const source = new InMemorySource<Ev>();
    let failNext = false;
    env
      .fromSource(source, WatermarkStrategy.forMonotonousTimestamps<Ev>().withTimestampAssigner((e) => e.ts), "events")
      .keyBy((e) => e.key)
      .process(new PerKey())
      .sinkTo({
        createWriter: () => ({
          write() {},
          snapshotState: () => {
            if (failNext) throw new Error("no snapshot this time");
            return null;
          },
        }),
      });
    const client = await env.executeAsync("checkpoints");
    expect(client.getMetrics().checkpoints).toMatchObject({ triggered: 0, completed: 0, failed: 0, inProgress: false, lastCompleted: undefined });

    source.push({ key: "a", ts: 1 }, { key: "b", ts: 2 });
    const t0 = Date.now();
    const first = await client.triggerCheckpoint();
    await client.triggerCheckpoint();
    failNext = true;
    await expect(client.triggerCheckpoint()).rejects.toThrow(/no snapshot this time/);

    const { checkpoints } = client.getMetrics();
    expect(checkpoints.triggered).toBe(3);
    expect(checkpoints.completed).toBe(2);
    expect(checkpoints.failed).toBe(1);
    expect(checkpoints.inProgress).toBe(false);
    expect(checkpoints.recent.map((c) => c.checkpointId)).toEqual([first.checkpointId, first.checkpointId + 1]);
    const last = checkpoints.lastCompleted!;
    expect(last.checkpointId).toBe(first.checkpointId + 1);
    expect(last.kind).toBe("checkpoint");
    expect(last.durationMs).toBeGreaterThanOrEqual(0);
    expect(last.durationMs).toBeLessThanOrEqual(Date.now() - t0);
    expect(last.sizeBytes).toBeGreaterThan(0);
    expect(last.completedAt).toBeGreaterThanOrEqual(t0);
    expect(checkpoints.lastFailure).toMatchObject({ checkpointId: first.checkpointId + 2, kind: "checkpoint" });
    expect(checkpoints.lastFailure!.message).toMatch(/no snapshot this time/);

    failNext = false;
    await stop(client, source);
  });

  it("backpressured time of a source grows while a sink's flush is slow, and stays near 0 with a fast sink", async () => {
    const run = async (flushMs: number) => {
      const env = new StreamExecutionEnvironment().setParallelism(1);
      const source = new InMemorySource<number>();
      let flushes = 0;
      const sink: Sink<number> = {
        createWriter: () => ({
          write() {},
          flush: (end: boolean) => {
            if (end) return;
            return new Promise<void>((r) => setTimeout(r, flushMs)).then(() => void flushes++);
          },
        }),
      };
      env.fromSource(source, WatermarkStrategy.noWatermarks<number>(), "numbers").sinkTo(sink, "slow sink");
      const client = await env.executeAsync("backpressure");
      for (let i = 0; i < 4; i++) {
        const before = flushes;
        source.push(i);
        await vi.waitFor(() => expect(flushes).toBe(before + 1), { timeout: 5_000, interval: 2 });
      }
      const m = client.getMetrics();
      await stop(client, source);
      return { source: by(m, "numbers").backPressuredTimeMs, sink: m.subtasks.find((s) => s.kind === "sink")!.backPressuredTimeMs };
    };
    const slow = await run(40);
    // four flushes of at least 40 ms each (timers may fire a millisecond early)
    expect(slow.source).toBeGreaterThanOrEqual(4 * 38);
    expect(slow.sink).toBe(0);
    const fast = await run(0);
    expect(fast.source).toBeLessThan(slow.source / 2);
  });

  it("counts restarts; the backpressured time of the failed attempt is kept in the total", async () => {
    const env = new StreamExecutionEnvironment().setParallelism(1).setRestartStrategy(RestartStrategies.fixedDelay(3, 0));
    const source = new InMemorySource<number>();
    let failed = false;
    let flushes = 0;
    env
      .fromSource(source, WatermarkStrategy.noWatermarks<number>(), "numbers")
      .map((n) => {
        if (n === 2 && !failed) {
          failed = true;
          throw new Error("once");
        }
        return n;
      })
      .sinkTo({
        createWriter: () => ({
          write() {},
          flush: (end: boolean) => (end ? undefined : new Promise<void>((r) => setTimeout(r, 30)).then(() => void flushes++)),
        }),
      });
    const client = await env.executeAsync("restarts");
    source.push(1);
    await vi.waitFor(() => expect(flushes).toBe(1), { timeout: 5_000, interval: 2 });
    const before = by(client.getMetrics(), "numbers").backPressuredTimeMs;
    expect(before).toBeGreaterThanOrEqual(28);
    source.push(2);
    await vi.waitFor(() => expect(client.getMetrics().restarts).toBe(1), { timeout: 5_000, interval: 2 });
    const after = client.getMetrics();
    expect(after.status).toBe("RUNNING");
    // a new source subtask, which replays from the start (no checkpoint): the total does not drop
    expect(by(after, "numbers").backPressuredTimeMs).toBeGreaterThanOrEqual(before);
    // the new attempt's flush is done and its reader waits for data (InMemorySource misses an end() that comes during a flush)
    await vi.waitFor(() => expect(flushes).toBe(2), { timeout: 5_000, interval: 2 });
    expect(by(client.getMetrics(), "numbers").backPressuredTimeMs).toBeGreaterThanOrEqual(before + 28);
    await stop(client, source);
  });

  it("a gauge that throws is left out of the reading; the others still appear", async () => {
    const env = new StreamExecutionEnvironment().setParallelism(1);
    const source = new InMemorySource<Ev>();
    env
      .fromSource(source, WatermarkStrategy.noWatermarks<Ev>(), "events")
      .keyBy((e) => e.key)
      .process({
        open(ctx: RuntimeContext) {
          ctx.getMetricGroup().gauge("broken", () => {
            throw new Error("boom");
          });
          ctx.getMetricGroup().addGroup("io").gauge("ok", () => 7);
        },
        processElement() {},
      })
      .name("gauges")
      .sinkTo(new CollectSink());
    const client = await env.executeAsync("gauges");
    expect(by(client.getMetrics(), "gauges").metrics).toEqual([{ name: "io.ok", kind: "gauge", labels: {}, value: 7 }]);
    await stop(client, source);
  });
});
