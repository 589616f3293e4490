/**
 * User-defined metrics of an operator subtask, as Flink's `MetricGroup`: an operator registers
 * counters and gauges once (in `open`); the runtime reads them only when someone asks for the
 * job's metrics (`JobClient.getMetrics()`), so a gauge costs nothing between reads and nothing
 * is added to the per-record path.
 */

/** A count an operator increments itself (a plain field: cheap enough per record). */
export interface MetricCounter {
  inc(n?: number): void;
  dec(n?: number): void;
  getCount(): number;
}

/** Metrics of one operator subtask, and of the groups below it. */
export interface MetricGroup {
  /** A counter under `name` (the same counter when called again with the same name). */
  counter(name: string): MetricCounter;
  /**
   * A gauge: `read` is called when the metrics are read, never otherwise. A later gauge of the
   * same name (and group) replaces an earlier one. A gauge that throws or returns a non-number is
   * left out of that reading.
   */
  gauge(name: string, read: () => number): void;
  /**
   * A sub-group. With a value, as Flink's key/value groups: its metrics carry the label
   * `key=value` (e.g. `addGroup("pattern", "rule-a@2").gauge("partialMatches", ...)`). Without,
   * its name prefixes theirs (`addGroup("io").counter("retries")` is `io.retries`).
   */
  addGroup(key: string, value?: string): MetricGroup;
}

/** One reading of a registered metric. */
export interface MetricValue {
  readonly name: string;
  readonly kind: "counter" | "gauge";
  /** From key/value groups, outermost first. */
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

class SimpleCounter implements MetricCounter {
  private n = 0;
  inc(n = 1): void {
    this.n += n;
  }
  dec(n = 1): void {
    this.n -= n;
  }
  getCount(): number {
    return this.n;
  }
}

interface Entry {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly id: string;
  counter?: SimpleCounter;
  gauge?: () => number;
}

/** The metrics registered by one subtask (its root group and every sub-group share the list). */
export class TaskMetricGroup implements MetricGroup {
  private readonly entries: Entry[];

  constructor(
    entries?: Entry[],
    private readonly prefix = "",
    private readonly labels: Readonly<Record<string, string>> = {},
  ) {
    this.entries = entries ?? [];
  }

  private entry(name: string): Entry {
    const full = this.prefix + name;
    const id = JSON.stringify([full, this.labels]);
    let e = this.entries.find((x) => x.id === id);
    if (e === undefined) this.entries.push((e = { name: full, labels: this.labels, id }));
    return e;
  }

  counter(name: string): MetricCounter {
    const e = this.entry(name);
    e.gauge = undefined;
    return (e.counter ??= new SimpleCounter());
  }

  gauge(name: string, read: () => number): void {
    const e = this.entry(name);
    e.counter = undefined;
    e.gauge = read;
  }

  addGroup(key: string, value?: string): MetricGroup {
    if (value === undefined) return new TaskMetricGroup(this.entries, `${this.prefix}${key}.`, this.labels);
    return new TaskMetricGroup(this.entries, this.prefix, { ...this.labels, [key]: value });
  }

  /** Whether anything was registered. */
  get empty(): boolean {
    return this.entries.length === 0;
  }

  /** Reads every counter and gauge now. */
  read(): MetricValue[] {
    const out: MetricValue[] = [];
    for (const e of this.entries) {
      if (e.counter !== undefined) {
        out.push({ name: e.name, kind: "counter", labels: e.labels, value: e.counter.getCount() });
        continue;
      }
      if (e.gauge === undefined) continue;
      let value: unknown;
      try {
        value = e.gauge();
      } catch {
        continue; // a broken gauge must not break the reading of the others
      }
      if (typeof value === "number" && !Number.isNaN(value)) out.push({ name: e.name, kind: "gauge", labels: e.labels, value });
    }
    return out;
  }
}

/** A group whose metrics nobody reads (a context outside a running job): counters still count. */
export const NOOP_METRIC_GROUP: MetricGroup = {
  counter: () => new SimpleCounter(),
  gauge() {},
  addGroup: () => NOOP_METRIC_GROUP,
};
