import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { JobMetrics, SubtaskMetrics } from "../../runtime/index.js";
import type { Alert } from "../alert.js";
import type { ServiceObserver } from "../run/control.js";
import { reasonClass, type ReasonClass } from "./reason-class.js";

/** What the pull-based gauges read at scrape time: a running job's client, or a fake in tests. */
export interface JobMetricsSource {
  getMetrics(): JobMetrics;
}

export interface ServiceMetricsOptions {
  /** Also export prom-client's default process metrics (CPU, memory, event loop lag, GC, handles). Default true. */
  readonly defaultMetrics?: boolean;
  /** Wall clock (ms) for the watermark lag; `Date.now` by default. */
  readonly now?: () => number;
  /** Bucket bounds (s) of `vigil_alert_latency_seconds`. */
  readonly latencyBuckets?: readonly number[];
  /** Series to export at 0 before anything happens (so `rate()` and absent-alerts work from the start). */
  readonly sources?: readonly string[];
  readonly sinks?: readonly string[];
  readonly rules?: ReadonlyArray<{ readonly id: string; readonly version: number }>;
}

/** Sources, sinks and rule versions whose counters are exported at 0 until they count. */
export type DeclaredSeries = Pick<ServiceMetricsOptions, "sources" | "sinks" | "rules">;

/** The service's Prometheus metrics: what the REST server serves on GET /metrics. */
export interface ServiceMetrics {
  /** A registry of its own (not prom-client's global one). */
  readonly registry: Registry;
  /** The hooks the service job calls as records pass (counters only; cheap). */
  readonly observer: ServiceObserver;
  /** The job whose metrics the gauges read at scrape time; `undefined` unbinds (the gauges then report nothing). */
  bindJob(job: JobMetricsSource | undefined): void;
  /** More series to export at 0 (rules deployed later, e.g. through the REST API). */
  declare(series: DeclaredSeries): void;
  /** `Content-Type` of {@link text}'s output (Prometheus text format 0.0.4). */
  readonly contentType: string;
  /** The exposition text of every metric, gauges read now. */
  text(): Promise<string>;
}

/** From 1 ms to 60 s: in-order streams alert within milliseconds; out-of-orderness and windows push it to seconds. */
export const DEFAULT_LATENCY_BUCKETS: readonly number[] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
const CHECKPOINT_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];

/** The operator gauge the CEP operator registers per pattern: `metricGroup.addGroup("pattern", "<rule>@<version>").gauge(PARTIAL_MATCHES_GAUGE, ...)`. */
export const PARTIAL_MATCHES_GAUGE = "partialMatches";
/** The label of that gauge's group. */
export const PATTERN_GROUP = "pattern";

/** A reading of the job is reused for this long, so the collectors of one scrape share one (`text()` always starts with a fresh one). */
const READING_TTL_MS = 250;

/** A count kept as a plain number on the hot path; exported at scrape time. */
interface Cell {
  n: number;
}

/** Cells by one string key, with the last one looked up remembered (records of a source come in runs). */
class Cells {
  readonly map = new Map<string, Cell>();
  private lastKey: string | undefined;
  private last: Cell | undefined;

  get(key: string): Cell {
    if (key === this.lastKey) return this.last!;
    let c = this.map.get(key);
    if (c === undefined) this.map.set(key, (c = { n: 0 }));
    this.lastKey = key;
    this.last = c;
    return c;
  }
}

interface RuleCells {
  matches: number;
  timeouts: number;
}

/**
 * Builds the service's metrics on a registry of its own. Counters of events, dead letters,
 * alerts and late events are kept as plain numbers by the {@link ServiceObserver} hooks (one
 * increment per call) and handed to prom-client only at scrape time; watermark lag, partial
 * matches, state, checkpoints and backpressure are read from the bound job at scrape time.
 */
export function createServiceMetrics(options: ServiceMetricsOptions = {}): ServiceMetrics {
  const registry = new Registry();
  const now = options.now ?? Date.now;
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });

  const events = new Cells();
  const late = new Cells();
  const sinks = new Cells();
  const deadLetters = new Map<string, Map<ReasonClass, Cell>>();
  const rules = new Map<string, Map<number, RuleCells>>();
  const ruleCells = (rule: string, version: number): RuleCells => {
    let byVersion = rules.get(rule);
    if (byVersion === undefined) rules.set(rule, (byVersion = new Map()));
    let c = byVersion.get(version);
    if (c === undefined) byVersion.set(version, (c = { matches: 0, timeouts: 0 }));
    return c;
  };
  const declare = (series: DeclaredSeries) => {
    for (const s of series.sources ?? []) {
      events.get(s);
      late.get(s);
    }
    for (const s of series.sinks ?? []) sinks.get(s);
    for (const r of series.rules ?? []) ruleCells(r.id, r.version);
  };
  declare(options);

  const latency = new Histogram({
    name: "vigil_alert_latency_seconds",
    help: "Event-to-alert latency: an alert's detectedAt minus its event time (the last matched event's time; for a timeout, the end of its window)",
    buckets: [...(options.latencyBuckets ?? DEFAULT_LATENCY_BUCKETS)],
    registers: [registry],
  });

  const observer: ServiceObserver = {
    eventRead(source) {
      events.get(source).n++;
    },
    deadLetter(source, reason) {
      let byClass = deadLetters.get(source);
      if (byClass === undefined) deadLetters.set(source, (byClass = new Map()));
      const cls = reasonClass(reason);
      const c = byClass.get(cls);
      if (c === undefined) byClass.set(cls, { n: 1 });
      else c.n++;
    },
    alertEmitted(alert: Alert) {
      const c = ruleCells(alert.rule, alert.version);
      if (alert.timedOut === true) c.timeouts++;
      else c.matches++;
      const seconds = (alert.detectedAt - alert.time) / 1000;
      // an event time ahead of this clock (skew) counts as no delay
      if (Number.isFinite(seconds)) latency.observe(seconds > 0 ? seconds : 0);
    },
    alertRouted(sink) {
      sinks.get(sink).n++;
    },
    lateEvent(source) {
      late.get(source).n++;
    },
  };

  // counters and gauges whose values live elsewhere: written at scrape time
  const collected =
    <M extends Counter<string> | Gauge<string>>(Kind: new (config: { name: string; help: string; labelNames: string[]; registers: Registry[]; collect(this: M): void }) => M) =>
    (name: string, help: string, labelNames: string[], fill: (m: M) => void): M =>
      new Kind({
        name,
        help,
        labelNames,
        registers: [registry],
        collect() {
          this.reset();
          fill(this);
        },
      });
  const counter = collected<Counter<string>>(Counter);
  const gauge = collected<Gauge<string>>(Gauge);

  counter("vigil_events_in_total", "Records read from each source (dead letters not included)", ["source"], (c) => {
    for (const [source, cell] of events.map) c.inc({ source }, cell.n);
  });
  counter("vigil_dead_letters_total", "Records of each source that went to the dead letters, by class of reason", ["source", "reason_class"], (c) => {
    for (const [source, byClass] of deadLetters) for (const [cls, cell] of byClass) c.inc({ source, reason_class: cls }, cell.n);
  });
  counter("vigil_alerts_out_total", "Alerts handed to each sink", ["sink"], (c) => {
    for (const [sink, cell] of sinks.map) c.inc({ sink }, cell.n);
  });
  counter("vigil_rule_matches_total", "Matches (alerts) of each rule version", ["rule", "version"], (c) => {
    for (const [rule, byVersion] of rules) for (const [version, cell] of byVersion) c.inc({ rule, version: String(version) }, cell.matches);
  });
  counter("vigil_rule_timeouts_total", "Timed-out partial matches of each rule version that became alerts (onTimeout)", ["rule", "version"], (c) => {
    for (const [rule, byVersion] of rules) for (const [version, cell] of byVersion) c.inc({ rule, version: String(version) }, cell.timeouts);
  });
  counter("vigil_late_events_total", "Events behind the watermark, not matched, per source", ["source"], (c) => {
    for (const [source, cell] of late.map) c.inc({ source }, cell.n);
  });

  // pull-based: one reading of the job per scrape
  let job: JobMetricsSource | undefined;
  let reading: { at: number; metrics: JobMetrics | undefined } | undefined;
  let lastCheckpointSeen = Number.NEGATIVE_INFINITY;
  const read = (): JobMetrics | undefined => {
    if (job === undefined) return undefined;
    const at = Date.now();
    if (reading !== undefined && at - reading.at < READING_TTL_MS) return reading.metrics;
    let metrics: JobMetrics | undefined;
    try {
      metrics = job.getMetrics();
    } catch {
      metrics = undefined; // a job that cannot report: no gauges this time
    }
    reading = { at, metrics };
    return metrics;
  };

  gauge("vigil_watermark_lag_seconds", "Wall clock minus the operator's current watermark (input watermark; output watermark for sources); the largest over its subtasks", ["operator"], (g) => {
    const m = read();
    if (m === undefined) return;
    const t = now();
    for (const [operator, subtasks] of byOperator(m)) {
      let min = Number.POSITIVE_INFINITY;
      for (const s of subtasks) min = Math.min(min, watermarkOf(s));
      // no watermark yet (-Infinity) or input ended (+Infinity): no lag to report
      if (Number.isFinite(min)) g.set({ operator }, (t - min) / 1000);
    }
  });
  gauge("vigil_operator_idle", "1 when every subtask of the operator is idle (its inputs or splits are idle: its watermark holds nothing back and does not advance)", ["operator"], (g) => {
    const m = read();
    if (m === undefined) return;
    for (const [operator, subtasks] of byOperator(m)) g.set({ operator }, subtasks.every((s) => s.idle) ? 1 : 0);
  });
  gauge("vigil_partial_matches", `Live partial matches per rule version (the CEP operator's "${PARTIAL_MATCHES_GAUGE}" gauge per pattern)`, ["rule", "version"], (g) => {
    const m = read();
    if (m === undefined) return;
    const sums = new Map<string, number>();
    for (const s of m.subtasks) {
      for (const v of s.metrics) {
        const pattern = v.labels[PATTERN_GROUP];
        if (v.name !== PARTIAL_MATCHES_GAUGE || pattern === undefined) continue;
        sums.set(pattern, (sums.get(pattern) ?? 0) + v.value);
      }
    }
    for (const [pattern, n] of sums) g.set(ruleLabels(pattern), n);
  });
  gauge("vigil_state_entries", "Keyed-state entries (state, key, namespace) held by the operator, summed over its subtasks", ["operator", "backend"], (g) => {
    const m = read();
    if (m === undefined) return;
    for (const [operator, subtasks] of byOperator(m)) {
      let n = 0;
      let backend: string | undefined;
      for (const s of subtasks) {
        if (s.state === undefined) continue;
        n += s.state.entries;
        backend = s.state.backend;
      }
      if (backend !== undefined) g.set({ operator, backend }, n);
    }
  });
  counter("vigil_backpressure_seconds_total", "Time the source's subtasks waited for their downstream (a sink's pending flush) after a batch", ["operator"], (c) => {
    const m = read();
    if (m === undefined) return;
    for (const [operator, subtasks] of byOperator(m)) {
      if (subtasks[0].kind !== "source") continue;
      let ms = 0;
      for (const s of subtasks) ms += s.backPressuredTimeMs;
      c.inc({ operator }, ms / 1000);
    }
  });
  counter("vigil_checkpoints_total", "Checkpoints and savepoints by result (completed, failed: timed out, declined or not stored)", ["result"], (c) => {
    const m = read();
    if (m === undefined) return;
    c.inc({ result: "completed" }, m.checkpoints.completed);
    c.inc({ result: "failed" }, m.checkpoints.failed);
  });
  const checkpointDuration = new Histogram({
    name: "vigil_checkpoint_duration_seconds",
    help: "Time from trigger to stored of each completed checkpoint or savepoint",
    labelNames: ["kind"],
    buckets: CHECKPOINT_BUCKETS,
    registers: [registry],
    collect() {
      const m = read();
      if (m === undefined) return;
      for (const c of m.checkpoints.recent) {
        if (c.checkpointId <= lastCheckpointSeen) continue;
        lastCheckpointSeen = c.checkpointId;
        this.observe({ kind: c.kind }, c.durationMs / 1000);
      }
    },
  });
  gauge("vigil_checkpoint_last_size_bytes", "Size of the last completed checkpoint or savepoint (reused parts of an incremental one included)", [], (g) => {
    const last = read()?.checkpoints.lastCompleted;
    if (last !== undefined) g.set(last.sizeBytes);
  });
  gauge("vigil_checkpoint_last_completed_timestamp_seconds", "Wall-clock time when the last checkpoint or savepoint completed (alert on time() minus it)", [], (g) => {
    const last = read()?.checkpoints.lastCompleted;
    if (last !== undefined) g.set(last.completedAt / 1000);
  });
  counter("vigil_job_restarts_total", "Restarts of the job after failures", [], (c) => {
    const m = read();
    if (m !== undefined) c.inc(m.restarts);
  });
  gauge("vigil_job_running", "1 while the job runs, 0 otherwise (restarting, finished, failed)", [], (g) => {
    const m = read();
    if (m !== undefined) g.set(m.status === "RUNNING" ? 1 : 0);
  });

  return {
    registry,
    observer,
    bindJob(next) {
      job = next;
      reading = undefined;
      // a new job's checkpoint ids may start anywhere; its recent ones are new to the histogram
      lastCheckpointSeen = Number.NEGATIVE_INFINITY;
      checkpointDuration.reset();
    },
    declare,
    get contentType() {
      return registry.contentType;
    },
    text: () => {
      reading = undefined; // a fresh reading for every scrape
      return registry.metrics();
    },
  };
}

/** Subtasks grouped by operator; the label is the operator's name, with its id when two operators share a name. */
function byOperator(m: JobMetrics): Map<string, SubtaskMetrics[]> {
  const idsByName = new Map<string, Set<string>>();
  for (const s of m.subtasks) {
    let ids = idsByName.get(s.name);
    if (ids === undefined) idsByName.set(s.name, (ids = new Set()));
    ids.add(s.operatorId);
  }
  const out = new Map<string, SubtaskMetrics[]>();
  for (const s of m.subtasks) {
    const label = idsByName.get(s.name)!.size > 1 ? `${s.name} (${s.operatorId})` : s.name;
    let list = out.get(label);
    if (list === undefined) out.set(label, (list = []));
    list.push(s);
  }
  return out;
}

function watermarkOf(s: SubtaskMetrics): number {
  return s.kind === "source" ? s.currentOutputWatermark : (s.currentInputWatermark ?? Number.NEGATIVE_INFINITY);
}

/** `rule@version` (the service's pattern ids) to labels; another id is the rule, without a version. */
function ruleLabels(pattern: string): { rule: string; version: string } {
  const at = pattern.lastIndexOf("@");
  if (at <= 0 || !/^\d+$/.test(pattern.slice(at + 1))) return { rule: pattern, version: "" };
  return { rule: pattern.slice(0, at), version: pattern.slice(at + 1) };
}
