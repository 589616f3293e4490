import type { State } from "../compiler/state.js";
import { SharedBuffer, type BufferNode } from "../shared-buffer/shared-buffer.js";

/**
 * One branch of the NFA for one key (FlinkCEP's `ComputationState`): the state it sits in, the
 * last node of its chain in the shared buffer, and the time and sequence number of the event
 * it started with (used by `within` and by the skip strategies).
 */
export interface ComputationState<T> {
  readonly state: State<T>;
  readonly node: BufferNode<T> | null;
  readonly startTs: number;
  /** Sequence number of the first event; -1 for the start state. */
  readonly startSeq: number;
  /** Event time of the last event taken, for PREVIOUS_AND_CURRENT windows. */
  readonly prevTs: number;
}

/** The start state's branch: it never holds events and is always present (one immutable object per NFA). */
export function startComputation<T>(start: State<T>): ComputationState<T> {
  return Object.freeze({ state: start, node: null, startTs: Infinity, startSeq: -1, prevTs: -Infinity });
}

const NO_MATCHES: ComputationState<any>[] = [];

/** Orders branches by their first event: time, then arrival. The start state sorts last. */
export function compareStart(a: ComputationState<any>, b: ComputationState<any>): number {
  if (a.startSeq < 0 || b.startSeq < 0) return (a.startSeq < 0 ? 1 : 0) - (b.startSeq < 0 ? 1 : 0);
  if (a.startTs !== b.startTs) return a.startTs < b.startTs ? -1 : 1;
  return a.startSeq - b.startSeq;
}

/**
 * All per-key state of one pattern: branches (sorted by first event, the start state last),
 * completed matches held back by a skip strategy, the shared buffer, and the key's time.
 * Plain data: the v1 serialiser writes it, so it can become keyed state and be checkpointed.
 */
export class NfaState<T> {
  partials: ComputationState<T>[];
  /** Shared empty list until a skip strategy holds a match (the NFA never mutates an empty list). */
  completed: ComputationState<T>[] = NO_MATCHES;
  readonly buffer = new SharedBuffer<T>();
  /** Largest event time or watermark seen; never moves backwards. */
  time = -Infinity;
  /** Sequence number of the next event (arrival order within this key). */
  nextSeq = 0;

  constructor(start: ComputationState<T>) {
    this.partials = [start];
  }

  /** Live partial matches (branches other than the start state), held matches included. */
  get partialMatchCount(): number {
    return this.partials.length - 1 + this.completed.length;
  }

  /** Events currently held in this key's shared buffer. */
  get bufferEntryCount(): number {
    return this.buffer.eventCount;
  }

  /** Whether nothing is in progress: only the start state, nothing buffered. */
  get isEmpty(): boolean {
    return this.partials.length === 1 && this.completed.length === 0 && this.buffer.eventCount === 0;
  }
}
