import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { StateKey } from "../../../src/state/index.js";
import type { Timer } from "../../../src/runtime/timers/timer-queue.js";
import { InternalTimerService, type ProcessingTimeService, type TimersSnapshot } from "../../../src/runtime/timers/timer-service.js";

/**
 * Copy-on-write timer snapshots: timer adds, deletes, watermark advances and processing-time
 * advances (firing timers, whose callbacks register and delete more) interleave with snapshots
 * taken at random points, whose slices (of 1-3 timers) run at random later points, so that
 * several snapshots overlap. Each completed snapshot must equal `snapshotNow()`, the synchronous
 * copy, taken at its barrier; and the timers must fire as on a service that takes no snapshot.
 */

const KEYS: StateKey[] = [1, 2, 3, "a", "b", ["k", 1], { id: 7 }];
const NAMESPACES = ["", "w1", "w2"];

type Op =
  | { kind: "add"; key: number; ns: number; ts: number; domain: "event" | "processing" }
  | { kind: "addNew"; key: number; ns: number; ts: number }
  | { kind: "delete"; key: number; ns: number; ts: number; domain: "event" | "processing" }
  | { kind: "watermark"; to: number; reaction: number }
  | { kind: "processingTime"; to: number; reaction: number }
  | { kind: "snapshot" }
  | { kind: "slices"; n: number };

const key = fc.integer({ min: 0, max: KEYS.length - 1 });
const ns = fc.integer({ min: 0, max: NAMESPACES.length - 1 });
const ts = fc.integer({ min: 0, max: 30 });
const domain = fc.constantFrom("event" as const, "processing" as const);
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant("add" as const), key, ns, ts, domain }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("addNew" as const), key, ns, ts }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("delete" as const), key, ns, ts, domain }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("watermark" as const), to: ts, reaction: fc.nat(5) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("processingTime" as const), to: ts, reaction: fc.nat(5) }) },
  { weight: 2, arbitrary: fc.constant({ kind: "snapshot" as const }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("slices" as const), n: fc.integer({ min: 1, max: 6 }) }) },
);

/** A timer service whose snapshots' slices run only when the test says. */
class Subject {
  current: StateKey | undefined;
  readonly slices: Array<() => void> = [];
  readonly service: InternalTimerService;
  readonly fired: string[] = [];
  private now = 0;

  constructor(sliceTimers: number) {
    const clock: ProcessingTimeService = { now: () => this.now, scheduleWakeUp: () => {} };
    this.service = new InternalTimerService(() => this.current, clock, {
      snapshotSliceTimers: sliceTimers,
      syncSnapshotTimers: 0,
      schedule: (f) => this.slices.push(f),
    });
  }

  runSlices(n: number): void {
    for (let i = 0; i < n && this.slices.length > 0; i++) this.slices.shift()!();
  }

  apply(o: Op): void {
    const s = this.service;
    switch (o.kind) {
      case "add":
        this.current = KEYS[o.key];
        if (o.domain === "event") s.registerEventTimeTimer(o.ts, NAMESPACES[o.ns]);
        else s.registerProcessingTimeTimer(o.ts, NAMESPACES[o.ns]);
        break;
      case "addNew":
        this.current = KEYS[o.key];
        s.registerNewEventTimeTimer(o.ts, NAMESPACES[o.ns]);
        break;
      case "delete":
        this.current = KEYS[o.key];
        if (o.domain === "event") s.deleteEventTimeTimer(o.ts, NAMESPACES[o.ns]);
        else s.deleteProcessingTimeTimer(o.ts, NAMESPACES[o.ns]);
        break;
      case "watermark":
        if (o.to > s.currentWatermark()) s.advanceWatermark(o.to, (t) => this.onTimer("event", t, o.reaction));
        break;
      case "processingTime":
        if (o.to > this.now) {
          this.now = o.to;
          s.advanceProcessingTime(o.to, (t) => this.onTimer("processing", t, o.reaction));
        }
        break;
      default:
        break;
    }
  }

  /** A timer fires: its callback registers and deletes timers, at its own timestamp and later. */
  private onTimer(d: "event" | "processing", t: Timer, reaction: number): void {
    this.fired.push(`${d}:${JSON.stringify(t.key)}/${t.namespace}@${t.timestamp}`);
    const s = this.service;
    this.current = t.key;
    if (reaction === 1) s.registerEventTimeTimer(t.timestamp + 3, t.namespace);
    // the same timestamp, another namespace (once: that timer does not register again)
    if (reaction === 2 && t.namespace !== "w2") s.registerEventTimeTimer(t.timestamp, "w2");
    if (reaction === 3) {
      this.current = KEYS[(KEYS.indexOf(t.key as StateKey) + 1) % KEYS.length];
      if (d === "event") s.deleteEventTimeTimer(t.timestamp, t.namespace); // a timer of the bucket firing
      else s.deleteProcessingTimeTimer(t.timestamp, t.namespace);
    }
    if (reaction === 4) s.registerProcessingTimeTimer(t.timestamp + 1, "");
  }
}

describe("copy-on-write timer snapshots", () => {
  it("equal the synchronous copy at their barrier, overlapping, with timers firing during the slices", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 120 }), fc.integer({ min: 1, max: 3 }), async (ops, sliceTimers) => {
        const subject = new Subject(sliceTimers);
        const plain = new Subject(sliceTimers); // never snapshotted: fires the same timers
        const taken: Array<{ reference: TimersSnapshot; result: Promise<TimersSnapshot> }> = [];
        for (const o of ops) {
          if (o.kind === "snapshot") taken.push({ reference: subject.service.snapshotNow(), result: subject.service.snapshot() });
          else if (o.kind === "slices") subject.runSlices(o.n);
          else {
            subject.apply(o);
            plain.apply(o);
          }
        }
        // what the queues hold now: also what a snapshot taken now must give
        const now = subject.service.snapshotNow();
        taken.push({ reference: now, result: subject.service.snapshot() });
        while (subject.slices.length > 0) subject.runSlices(1);
        for (const t of taken) expect(await t.result).toEqual(t.reference);
        expect(subject.fired).toEqual(plain.fired);
        expect(now).toEqual(plain.service.snapshotNow());
        expect(subject.service.eventTimers.size).toBe(plain.service.eventTimers.size);
      }),
      { numRuns: 400 },
    );
  });

  it("copies nothing at the barrier for 100,000 timers, and the rest in slices", async () => {
    const slices: Array<() => void> = [];
    let current: StateKey | undefined;
    const service = new InternalTimerService(() => current, { now: () => 0, scheduleWakeUp: () => {} }, { schedule: (f) => slices.push(f) });
    // a CEP operator's timers: one per key, at its own timestamp; and a window end shared by many keys
    for (let k = 0; k < 100_000; k++) {
      current = k;
      service.registerEventTimeTimer(1_000 + ((k * 7919) % 100_000));
      if (k % 10 === 0) service.registerNewEventTimeTimer(500_000, "w");
    }
    const total = service.eventTimers.size;
    expect(total).toBe(110_000);
    const reference = service.snapshotNow();
    const queue = service.eventTimers;
    const before = queue.copiedTimers;
    const started = performance.now();
    const snapshot = service.snapshot();
    const barrierMs = performance.now() - started;
    expect(queue.copiedTimers - before).toBe(0);
    expect(slices.length).toBeGreaterThan(0);

    // a change after the barrier copies that timestamp's timers only (one, here)
    current = 3;
    service.registerEventTimeTimer(1_000 + ((3 * 7919) % 100_000), "other");
    expect(queue.copiedTimers - before).toBe(1);

    let done = false;
    void snapshot.then(() => (done = true));
    let turns = 0;
    while (slices.length > 0) {
      slices.shift()!();
      turns++;
    }
    await snapshot;
    expect(done).toBe(true);
    // 10,000 timers a slice, copied then merged: at least 2 x 11 turns
    expect(turns).toBeGreaterThanOrEqual(22);
    expect(await snapshot).toEqual(reference);
    expect(barrierMs).toBeLessThan(50); // generous: it is O(1), well under a millisecond
  });

  it("takes a small queue's snapshot at once", async () => {
    const service = new InternalTimerService(() => "k", { now: () => 0, scheduleWakeUp: () => {} });
    service.registerEventTimeTimer(5);
    service.registerProcessingTimeTimer(7, "p");
    const reference = service.snapshotNow();
    const snapshot = service.snapshot();
    service.deleteEventTimeTimer(5);
    expect(await snapshot).toEqual(reference);
    expect(reference).toEqual({ event: [["k", "", 5]], processing: [["k", "p", 7]] });
  });
});
