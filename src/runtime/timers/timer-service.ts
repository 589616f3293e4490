import type { StateKey } from "../../state/api.js";
import { JobError } from "../../errors.js";
import { TimerQueue, type Timer, type TimerQueueOptions } from "./timer-queue.js";

export type { Timer } from "./timer-queue.js";

/**
 * Timers as user functions and operators see them, scoped to the current key, as Flink's
 * `TimerService`/`InternalTimerService`. Event-time timers fire when the watermark passes them;
 * processing-time timers when the task's clock does. Registering the same (key, namespace, time)
 * twice registers one timer.
 */
export interface TimerService {
  currentWatermark(): number;
  currentProcessingTime(): number;
  registerEventTimeTimer(timestamp: number, namespace?: string): void;
  deleteEventTimeTimer(timestamp: number, namespace?: string): void;
  registerProcessingTimeTimer(timestamp: number, namespace?: string): void;
  deleteProcessingTimeTimer(timestamp: number, namespace?: string): void;
}

/** The timer service as operators get it: also registration without the duplicate check. */
export interface OperatorTimerService extends TimerService {
  /**
   * Registers an event-time timer the caller knows is not registered yet for the current key
   * (cheaper: no identity lookup). Registering an existing timer this way makes it fire twice.
   */
  registerNewEventTimeTimer(timestamp: number, namespace?: string): void;
  /**
   * Registers an event-time timer of no key, whatever the current key: one timer that stands for
   * every key of this subtask (a window's end, for all the keys that have the window). It fires
   * once, with `timer.key` undefined; a restore at any parallelism gives it to every subtask.
   */
  registerKeylessEventTimeTimer(timestamp: number, namespace: string): void;
}

/** A clock that can wake the task: the local one is wall time, the test harness's is set by hand. */
export interface ProcessingTimeService {
  now(): number;
  /** Asks to be called back (through the task) at or after `timestamp`. */
  scheduleWakeUp(timestamp: number): void;
}

/** Which queue a timer came from. */
export type TimeDomain = "event" | "processing";

/** A snapshot of an operator's timers: per domain, by timestamp, in firing order within one. */
export interface TimersSnapshot {
  event: Array<[StateKey | undefined, string, number]>;
  processing: Array<[StateKey | undefined, string, number]>;
}

/** The runtime's timer service of one operator subtask. */
export class InternalTimerService implements OperatorTimerService {
  readonly eventTimers: TimerQueue;
  readonly processingTimers: TimerQueue;
  private watermark = Number.NEGATIVE_INFINITY;
  /** Which domain the timer being fired belongs to (for `OnTimerContext.timeDomain`). */
  firingDomain: TimeDomain = "event";

  constructor(
    private readonly currentKey: () => StateKey | undefined,
    private readonly clock: ProcessingTimeService,
    /** How the queues take snapshots (tests set the slices and run them by hand). */
    queueOptions: TimerQueueOptions = {},
  ) {
    this.eventTimers = new TimerQueue(queueOptions);
    this.processingTimers = new TimerQueue(queueOptions);
  }

  currentWatermark(): number {
    return this.watermark;
  }

  currentProcessingTime(): number {
    return this.clock.now();
  }

  registerEventTimeTimer(timestamp: number, namespace = ""): void {
    checkTime(timestamp);
    this.eventTimers.add(this.currentKey(), namespace, timestamp);
  }

  registerNewEventTimeTimer(timestamp: number, namespace = ""): void {
    checkTime(timestamp);
    this.eventTimers.addNew(this.currentKey(), namespace, timestamp);
  }

  registerKeylessEventTimeTimer(timestamp: number, namespace: string): void {
    checkTime(timestamp);
    this.eventTimers.add(undefined, namespace, timestamp);
  }

  deleteEventTimeTimer(timestamp: number, namespace = ""): void {
    this.eventTimers.delete(this.currentKey(), namespace, timestamp);
  }

  registerProcessingTimeTimer(timestamp: number, namespace = ""): void {
    checkTime(timestamp);
    const before = this.processingTimers.peek();
    this.processingTimers.add(this.currentKey(), namespace, timestamp);
    if (timestamp < before) this.clock.scheduleWakeUp(timestamp);
  }

  deleteProcessingTimeTimer(timestamp: number, namespace = ""): void {
    this.processingTimers.delete(this.currentKey(), namespace, timestamp);
  }

  /** Moves event time to `watermark` and fires due event-time timers (`fire` sets the key). */
  advanceWatermark(watermark: number, fire: (timer: Timer) => void): void {
    this.watermark = watermark;
    this.firingDomain = "event";
    this.eventTimers.fireUntil(watermark, fire);
  }

  /** Fires processing-time timers due at `now`; returns the next one's time (or +Infinity). */
  advanceProcessingTime(now: number, fire: (timer: Timer) => void): number {
    this.firingDomain = "processing";
    this.processingTimers.fireUntil(now, fire);
    this.firingDomain = "event";
    return this.processingTimers.peek();
  }

  /** Sets the watermark without firing anything (batch mode resets it between keys). */
  setWatermark(watermark: number): void {
    this.watermark = watermark;
  }

  /**
   * A snapshot of every timer as registered now, for a checkpoint barrier. Nothing is copied
   * here (unless a queue is small): the queues copy their timers in slices after this returns,
   * and a timestamp's timers just before they first change (copy-on-write, `TimerQueue.snapshot`).
   * Resolves to what `snapshotNow()` would have given at this call.
   */
  snapshot(): Promise<TimersSnapshot> {
    const event = this.eventTimers.snapshot();
    const processing = this.processingTimers.snapshot();
    return Promise.all([event, processing]).then(([e, p]) => ({ event: e, processing: p }));
  }

  /** Every timer copied now, synchronously (the reference for `snapshot`, in tests). */
  snapshotNow(): TimersSnapshot {
    return { event: this.eventTimers.snapshotNow(), processing: this.processingTimers.snapshotNow() };
  }

  /** Restores timers (only those `owns` accepts, when rescaling). */
  restore(snapshot: TimersSnapshot, owns: (key: StateKey | undefined) => boolean = () => true): void {
    for (const [k, ns, ts] of snapshot.event) if (owns(k)) this.eventTimers.add(k, ns, ts);
    for (const [k, ns, ts] of snapshot.processing) if (owns(k)) this.processingTimers.add(k, ns, ts);
    const next = this.processingTimers.peek();
    if (next !== Number.POSITIVE_INFINITY) this.clock.scheduleWakeUp(next);
  }
}

function checkTime(timestamp: number): void {
  if (Number.isNaN(timestamp)) throw new JobError("timer timestamp must be a number, got NaN");
}
