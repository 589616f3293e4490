import { JobError } from "../../errors.js";
import type { StateKey } from "../../state/api.js";
import type { TimersSnapshot } from "../timers/timer-service.js";

type Timers = TimersSnapshot["event"];

/**
 * A subtask's timers as checkpoint storage writes them (format 3): per domain, columns instead of
 * one `[key, namespace, timestamp]` array per timer, which `v8.serialize` writes one by one (a
 * window job has a timer per key and window: 100,000 of them took 25 ms a checkpoint). Keys are a
 * `Float64Array` when all are numbers, namespaces are written once each and referred to by index.
 */
export interface TimerColumns {
  readonly keys: Float64Array | Array<StateKey | undefined>;
  readonly namespaces: string[];
  readonly nsIndex: Uint32Array;
  readonly ts: Float64Array;
}

export interface PackedTimers {
  readonly event: TimerColumns;
  readonly processing: TimerColumns;
}

export function packTimers(t: TimersSnapshot): PackedTimers {
  return { event: pack(t.event), processing: pack(t.processing) };
}

/** The timers `packTimers` packed; throws `JobError` (`CHECKPOINT_CORRUPT`) if `p` is not what it wrote. */
export function unpackTimers(p: unknown, where: string): TimersSnapshot {
  const o = p as PackedTimers | undefined;
  if (typeof o !== "object" || o === null) throw corrupt(where);
  return { event: unpack(o.event, where), processing: unpack(o.processing, where) };
}

function pack(timers: Timers): TimerColumns {
  const n = timers.length;
  let numeric = true;
  for (let i = 0; i < n && numeric; i++) numeric = typeof timers[i][0] === "number";
  // a plain array grows by push: a preallocated (holey) one is serialised as a sparse array, 3x slower
  const keys: Float64Array | Array<StateKey | undefined> = numeric ? new Float64Array(n) : [];
  const namespaces: string[] = [];
  const index = new Map<string, number>();
  const nsIndex = new Uint32Array(n);
  const ts = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const [k, ns, t] = timers[i];
    if (keys instanceof Float64Array) keys[i] = k as number;
    else keys.push(k);
    let j = index.get(ns);
    if (j === undefined) {
      j = namespaces.length;
      namespaces.push(ns);
      index.set(ns, j);
    }
    nsIndex[i] = j;
    ts[i] = t;
  }
  return { keys, namespaces, nsIndex, ts };
}

function unpack(c: TimerColumns | undefined, where: string): Timers {
  if (
    typeof c !== "object" ||
    c === null ||
    !(c.ts instanceof Float64Array) ||
    !(c.nsIndex instanceof Uint32Array) ||
    !Array.isArray(c.namespaces) ||
    !(c.keys instanceof Float64Array || Array.isArray(c.keys)) ||
    c.keys.length !== c.ts.length ||
    c.nsIndex.length !== c.ts.length
  ) {
    throw corrupt(where);
  }
  const out: Timers = new Array(c.ts.length);
  for (let i = 0; i < c.ts.length; i++) {
    const ns = c.namespaces[c.nsIndex[i]];
    if (typeof ns !== "string") throw corrupt(where);
    out[i] = [c.keys[i], ns, c.ts[i]];
  }
  return out;
}

function corrupt(where: string): JobError {
  return new JobError(`cannot restore from ${where}: a subtask's timers are not readable`, { code: "CHECKPOINT_CORRUPT" });
}
