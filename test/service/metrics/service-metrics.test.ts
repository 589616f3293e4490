import { describe, expect, it, vi } from "vitest";
import { Registry } from "prom-client";
import {
  CollectSink,
  InMemorySource,
  StreamExecutionEnvironment,
  WatermarkStrategy,
  type JobMetrics,
  type KeyedProcessFunction,
  type RuntimeContext,
  type ValueState,
  type SubtaskMetrics,
} from "../../../src/index.js";
import type { Alert } from "../../../src/service/alert.js";
import { ValueStateDescriptor } from "../../../src/state/descriptors.js";
import { createServiceMetrics, reasonClass } from "../../../src/service/metrics/index.js";

/** The value of one sample in Prometheus text, or undefined if absent. `labels` must match exactly (any order). */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split("\n")) {
    if (line.startsWith("#")) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (m === null || m[1] !== name) continue;
    const got: Record<string, string> = {};
    for (const [, k, v] of (m[2] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) got[k] = v;
    const want = Object.entries(labels);
    if (want.length !== Object.keys(got).length || want.some(([k, v]) => got[k] !== v)) continue;
    return Number(m[3]);
  }
  return undefined;
}

const alert = (rule: string, version: number, time: number, detectedAt: number, timedOut = false): Alert => ({
  id: `${rule}-${time}`,
  rule,
  version,
  severity: "high",
  key: { text: "k", value: "k" } as never,
  time,
  detectedAt,
  fields: {},
  match: {},
  ...(timedOut && { timedOut: true as const }),
});

const subtask = (over: Partial<SubtaskMetrics> & Pick<SubtaskMetrics, "name">): SubtaskMetrics => ({
  operatorId: over.name,
  subtaskIndex: 0,
  kind: "operator",
  currentOutputWatermark: Number.NEGATIVE_INFINITY,
  idle: false,
  backPressuredTimeMs: 0,
  metrics: [],
  ...over,
});

const jobMetrics = (over: Partial<JobMetrics> = {}): JobMetrics => ({
  jobId: "j1",
  jobName: "vigil",
  status: "RUNNING",
  takenAt: 0,
  restarts: 0,
  subtasksReported: true,
  subtasks: [],
  checkpoints: { triggered: 0, completed: 0, failed: 0, inProgress: false, lastCompleted: undefined, lastFailure: undefined, recent: [] },
  ...over,
});

describe("service metrics: counters from the observer", () => {
  it("exports the exact counts of events, dead letters, alerts, matches, timeouts and late events", async () => {
    const metrics = createServiceMetrics({ defaultMetrics: false, sources: ["quiet"], rules: [{ id: "idle-rule", version: 1 }] });
    const o = metrics.observer;
    for (let i = 0; i < 5; i++) o.eventRead!("tx");
    for (let i = 0; i < 3; i++) o.eventRead!("logins");
    o.eventRead!("tx");
    o.deadLetter!("tx", "jsonl: Unexpected token } in JSON at position 7");
    o.deadLetter!("tx", "jsonl: Unexpected end of JSON input");
    o.deadLetter!("tx", 'field "ts" is missing or is neither a number of ms nor a date string');
    o.deadLetter!("logins", "the record has no value (a tombstone)");
    const a1 = alert("card-testing", 2, 1_000, 1_004);
    const a2 = alert("card-testing", 2, 2_000, 2_300);
    const a3 = alert("card-testing", 1, 3_000, 3_050);
    const t1 = alert("slow-login", 1, 5_000, 12_000, true);
    for (const a of [a1, a2, a3, t1]) o.alertEmitted!(a);
    o.alertRouted!("console", a1);
    o.alertRouted!("console", a2);
    o.alertRouted!("kafka-alerts", a1);
    o.lateEvent!("tx");
    o.lateEvent!("tx");
    metrics.declare({ rules: [{ id: "deployed-later", version: 1 }], sinks: ["unused"] });

    const text = await metrics.text();
    expect(metrics.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(sample(text, "vigil_events_in_total", { source: "tx" })).toBe(6);
    expect(sample(text, "vigil_events_in_total", { source: "logins" })).toBe(3);
    expect(sample(text, "vigil_events_in_total", { source: "quiet" })).toBe(0);
    expect(sample(text, "vigil_dead_letters_total", { source: "tx", reason_class: "decode" })).toBe(2);
    expect(sample(text, "vigil_dead_letters_total", { source: "tx", reason_class: "event_time" })).toBe(1);
    expect(sample(text, "vigil_dead_letters_total", { source: "logins", reason_class: "empty" })).toBe(1);
    expect(sample(text, "vigil_alerts_out_total", { sink: "console" })).toBe(2);
    expect(sample(text, "vigil_alerts_out_total", { sink: "kafka-alerts" })).toBe(1);
    expect(sample(text, "vigil_rule_matches_total", { rule: "card-testing", version: "2" })).toBe(2);
    expect(sample(text, "vigil_rule_matches_total", { rule: "card-testing", version: "1" })).toBe(1);
    expect(sample(text, "vigil_rule_matches_total", { rule: "slow-login", version: "1" })).toBe(0);
    expect(sample(text, "vigil_rule_timeouts_total", { rule: "slow-login", version: "1" })).toBe(1);
    expect(sample(text, "vigil_rule_matches_total", { rule: "idle-rule", version: "1" })).toBe(0);
    expect(sample(text, "vigil_late_events_total", { source: "tx" })).toBe(2);
    expect(sample(text, "vigil_late_events_total", { source: "quiet" })).toBe(0);
    expect(sample(text, "vigil_rule_timeouts_total", { rule: "deployed-later", version: "1" })).toBe(0);
    expect(sample(text, "vigil_alerts_out_total", { sink: "unused" })).toBe(0);

    // scraping twice does not double anything
    o.eventRead!("tx");
    const again = await metrics.text();
    expect(sample(again, "vigil_events_in_total", { source: "tx" })).toBe(7);
    expect(sample(again, "vigil_rule_matches_total", { rule: "card-testing", version: "2" })).toBe(2);
  });

  it("puts each alert's latency (detectedAt - time) into the histogram's buckets", async () => {
    const metrics = createServiceMetrics({ defaultMetrics: false });
    // 4 ms, 300 ms, 50 ms, 7 s (a timeout), and a clock-skewed one (-20 ms counts as 0)
    for (const a of [alert("r", 1, 1_000, 1_004), alert("r", 1, 2_000, 2_300), alert("r", 1, 3_000, 3_050), alert("r", 1, 5_000, 12_000, true), alert("r", 1, 9_020, 9_000)]) {
      metrics.observer.alertEmitted!(a);
    }
    const text = await metrics.text();
    const bucket = (le: string) => sample(text, "vigil_alert_latency_seconds_bucket", { le });
    expect(bucket("0.001")).toBe(1);
    expect(bucket("0.0025")).toBe(1);
    expect(bucket("0.005")).toBe(2);
    expect(bucket("0.05")).toBe(3);
    expect(bucket("0.25")).toBe(3);
    expect(bucket("0.5")).toBe(4);
    expect(bucket("5")).toBe(4);
    expect(bucket("10")).toBe(5);
    expect(bucket("60")).toBe(5);
    expect(bucket("+Inf")).toBe(5);
    expect(sample(text, "vigil_alert_latency_seconds_count")).toBe(5);
    expect(sample(text, "vigil_alert_latency_seconds_sum")).toBeCloseTo(0.004 + 0.3 + 0.05 + 7, 9);
  });

  it("uses a registry of its own, and adds the default process metrics unless told not to", async () => {
    const a = createServiceMetrics();
    const b = createServiceMetrics();
    expect(a.registry).toBeInstanceOf(Registry);
    expect(a.registry).not.toBe(b.registry);
    expect(sample(await a.text(), "process_cpu_user_seconds_total")).toBeGreaterThanOrEqual(0);
    expect(await createServiceMetrics({ defaultMetrics: false }).text()).not.toMatch(/process_cpu/);
  });
});

/** Keeps one state entry per key and registers a partial-matches gauge as the CEP operator does. */
class Remember implements KeyedProcessFunction<string, { k: string; ts: number }, never> {
  private seen!: ValueState<string>;
  open(ctx: RuntimeContext) {
    this.seen = ctx.getState(new ValueStateDescriptor<string>("seen"));
    ctx.getMetricGroup().addGroup("pattern", "card-testing@2").gauge("partialMatches", () => 7);
  }
  processElement(e: { k: string }) {
    this.seen.update(e.k);
  }
}

describe("service metrics: gauges read from the job at scrape time", () => {
  it("watermark lag, idleness, partial matches, state, backpressure, checkpoints and restarts from a job's reading", async () => {
    let now = 100_000;
    const metrics = createServiceMetrics({ defaultMetrics: false, now: () => now });
    // nothing bound: no series of the job
    expect(sample(await metrics.text(), "vigil_watermark_lag_seconds", { operator: "source tx" })).toBeUndefined();

    const reading = jobMetrics({
      restarts: 2,
      subtasks: [
        subtask({ name: "source tx", kind: "source", currentOutputWatermark: 97_500, backPressuredTimeMs: 1_500 }),
        subtask({ name: "source tx", subtaskIndex: 1, kind: "source", currentOutputWatermark: 99_000, backPressuredTimeMs: 250 }),
        subtask({ name: "source idle", kind: "source", currentOutputWatermark: 40_000, idle: true }),
        subtask({ name: "source new", kind: "source" }),
        subtask({
          name: "CEP a, b",
          currentInputWatermark: 97_000,
          state: { backend: "leveldb", entries: 12 },
          metrics: [
            { name: "partialMatches", kind: "gauge", labels: { pattern: "a@1" }, value: 4 },
            { name: "partialMatches", kind: "gauge", labels: { pattern: "b@3" }, value: 0 },
            { name: "other", kind: "gauge", labels: {}, value: 99 },
          ],
        }),
        subtask({
          name: "CEP a, b",
          subtaskIndex: 1,
          currentInputWatermark: 98_000,
          state: { backend: "leveldb", entries: 30 },
          metrics: [{ name: "partialMatches", kind: "gauge", labels: { pattern: "a@1" }, value: 6 }],
        }),
        subtask({ name: "sink console/console", kind: "sink", currentInputWatermark: Number.POSITIVE_INFINITY }),
      ],
      checkpoints: {
        triggered: 4,
        completed: 3,
        failed: 1,
        inProgress: false,
        lastCompleted: { checkpointId: 3, kind: "checkpoint", durationMs: 2_000, sizeBytes: 4096, bytesWritten: 1024, completedAt: 90_000 },
        lastFailure: { checkpointId: 4, kind: "checkpoint", at: 95_000, message: "expired" },
        recent: [
          { checkpointId: 1, kind: "checkpoint", durationMs: 40, sizeBytes: 1000, bytesWritten: 1000, completedAt: 50_000 },
          { checkpointId: 2, kind: "savepoint", durationMs: 700, sizeBytes: 2000, bytesWritten: 2000, completedAt: 70_000 },
          { checkpointId: 3, kind: "checkpoint", durationMs: 2_000, sizeBytes: 4096, bytesWritten: 1024, completedAt: 90_000 },
        ],
      },
    });
    const getMetrics = vi.fn(() => reading);
    metrics.bindJob({ getMetrics });
    const text = await metrics.text();
    // one reading per scrape, shared by every collector
    expect(getMetrics).toHaveBeenCalledTimes(1);

    // the slowest subtask's watermark: 100 s - 97.5 s
    expect(sample(text, "vigil_watermark_lag_seconds", { operator: "source tx" })).toBe(2.5);
    expect(sample(text, "vigil_watermark_lag_seconds", { operator: "CEP a, b" })).toBe(3);
    expect(sample(text, "vigil_watermark_lag_seconds", { operator: "source idle" })).toBe(60);
    // no watermark yet, or the input ended: no lag
    expect(sample(text, "vigil_watermark_lag_seconds", { operator: "source new" })).toBeUndefined();
    expect(sample(text, "vigil_watermark_lag_seconds", { operator: "sink console/console" })).toBeUndefined();
    expect(sample(text, "vigil_operator_idle", { operator: "source idle" })).toBe(1);
    expect(sample(text, "vigil_operator_idle", { operator: "source tx" })).toBe(0);

    expect(sample(text, "vigil_partial_matches", { rule: "a", version: "1" })).toBe(10);
    expect(sample(text, "vigil_partial_matches", { rule: "b", version: "3" })).toBe(0);
    expect(sample(text, "vigil_state_entries", { operator: "CEP a, b", backend: "leveldb" })).toBe(42);
    expect(sample(text, "vigil_state_entries", { operator: "source tx", backend: "leveldb" })).toBeUndefined();
    expect(sample(text, "vigil_backpressure_seconds_total", { operator: "source tx" })).toBe(1.75);
    expect(sample(text, "vigil_backpressure_seconds_total", { operator: "CEP a, b" })).toBeUndefined();

    expect(sample(text, "vigil_checkpoints_total", { result: "completed" })).toBe(3);
    expect(sample(text, "vigil_checkpoints_total", { result: "failed" })).toBe(1);
    expect(sample(text, "vigil_checkpoint_duration_seconds_count", { kind: "checkpoint" })).toBe(2);
    expect(sample(text, "vigil_checkpoint_duration_seconds_count", { kind: "savepoint" })).toBe(1);
    expect(sample(text, "vigil_checkpoint_duration_seconds_bucket", { kind: "checkpoint", le: "0.05" })).toBe(1);
    expect(sample(text, "vigil_checkpoint_duration_seconds_bucket", { kind: "checkpoint", le: "2.5" })).toBe(2);
    expect(sample(text, "vigil_checkpoint_last_size_bytes")).toBe(4096);
    expect(sample(text, "vigil_checkpoint_last_completed_timestamp_seconds")).toBe(90);
    expect(sample(text, "vigil_job_restarts_total")).toBe(2);
    expect(sample(text, "vigil_job_running")).toBe(1);

    // the next scrape: a checkpoint already observed is not observed again; a new one is
    now += 1_000;
    const c4 = { checkpointId: 5, kind: "checkpoint" as const, durationMs: 30, sizeBytes: 10, bytesWritten: 10, completedAt: 100_500 };
    const next = { ...reading, checkpoints: { ...reading.checkpoints, completed: 4, lastCompleted: c4, recent: [...reading.checkpoints.recent, c4] } };
    getMetrics.mockReturnValue(next);
    const text2 = await metrics.text();
    expect(sample(text2, "vigil_checkpoint_duration_seconds_count", { kind: "checkpoint" })).toBe(3);
    expect(sample(text2, "vigil_watermark_lag_seconds", { operator: "source tx" })).toBe(3.5);

    // a job that cannot report: no job series, the rest still served
    metrics.bindJob({
      getMetrics: () => {
        throw new Error("gone");
      },
    });
    const text3 = await metrics.text();
    expect(sample(text3, "vigil_watermark_lag_seconds", { operator: "source tx" })).toBeUndefined();
    expect(text3).toMatch(/# TYPE vigil_events_in_total counter/);
  });

  it("reads a real running job: state entries, partial-matches gauge, watermark lag and checkpoints", async () => {
    const env = new StreamExecutionEnvironment().setParallelism(1);
    const source = new InMemorySource<{ k: string; ts: number }>();
    const now = Date.now();
    env
      .fromSource(source, WatermarkStrategy.forMonotonousTimestamps<{ k: string; ts: number }>().withTimestampAssigner((e) => e.ts), "source tx")
      .keyBy((e) => e.k)
      .process(new Remember())
      .name("CEP card-testing")
      .sinkTo(new CollectSink());
    const client = await env.executeAsync("vigil");
    const metrics = createServiceMetrics({ defaultMetrics: false });
    metrics.bindJob(client);
    source.push({ k: "a", ts: now - 10_000 }, { k: "b", ts: now - 10_000 }, { k: "a", ts: now - 5_000 });
    await vi.waitFor(
      async () => {
        const text = await metrics.text();
        expect(sample(text, "vigil_state_entries", { operator: "CEP card-testing", backend: "heap" })).toBe(2);
        // the operator's input watermark is 5 s (and 1 ms) old, give or take the scrape's timing
        const lag = sample(text, "vigil_watermark_lag_seconds", { operator: "CEP card-testing" })!;
        expect(lag).toBeGreaterThanOrEqual(5.001);
        expect(lag).toBeLessThan(30);
      },
      { timeout: 5_000, interval: 300 },
    );
    const text = await metrics.text();
    expect(sample(text, "vigil_partial_matches", { rule: "card-testing", version: "2" })).toBe(7);
    expect(sample(text, "vigil_job_running")).toBe(1);
    expect(sample(text, "vigil_checkpoints_total", { result: "completed" })).toBe(0);
    source.end();
    await client.getJobExecutionResult();
  });
});

describe("reasonClass", () => {
  it("sorts the connectors' reasons into a few classes", () => {
    expect(reasonClass("jsonl: Unexpected token } in JSON at position 7")).toBe("decode");
    expect(reasonClass("json: Unexpected end of JSON input")).toBe("decode");
    expect(reasonClass('csv: column "amount": "x" is not a number')).toBe("schema");
    expect(reasonClass("csv: the record has 2 fields, expected 3 (a, b, c)")).toBe("schema");
    expect(reasonClass('field "ts" is missing or is neither a number of ms nor a date string')).toBe("event_time");
    expect(reasonClass("no usable event time")).toBe("event_time");
    expect(reasonClass("the record has no value (a tombstone)")).toBe("empty");
    expect(reasonClass("schema")).toBe("schema");
    expect(reasonClass("something odd")).toBe("other");
  });
});
