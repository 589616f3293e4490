/**
 * Case `heap-snapshot`: what a heap snapshot costs the job's thread, without a job around it. A
 * heap backend holds `stateKeys / 10` (100,000) entries of one of two shapes, written in a
 * scattered order as a running job leaves them (objects spread over the heap, not in allocation
 * order):
 *
 *   reduce   ValueState of `{ key, value, ts }` (the running reduce of the throughput case);
 *   window   ValueState of `{ count, sum }` accumulators in two window namespaces (the window job).
 *
 * For each, after one untimed snapshot of each form, `repeats` times and alternately: the snapshot the runtime takes (`packed`: whole key
 * groups, see `packed-key-group.ts`) and one listed entry by entry (each value through its state's
 * codec, as every heap snapshot was before the packed form; a checkpoint then also copied every
 * entry into the storage's slices, not counted here). Reported, in CPU time of the process: the
 * synchronous part (the call to `snapshot()`, which fixes the content), and all until the snapshot
 * resolves; and the bytes. No record is processed meanwhile, so the serialisation runs in its
 * slices only.
 */
import { heapBackend, ValueStateDescriptor, type KeyedStateBackend, type KeyedStateSnapshot } from "../../src/state/index.js";
import { fullGc, median, round } from "../runtime/timing.js";
import { fmtInt, fmtMB, sleep, type CheckpointBenchOptions, type CheckpointResult, type Log } from "./common.js";

type Shape = "reduce" | "window";

/** A shuffled 0..n-1 (a fixed LCG: the same order in every run). */
function scattered(n: number): number[] {
  const out = Array.from({ length: n }, (_, i) => i);
  let s = 12345;
  for (let i = n - 1; i > 0; i--) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

async function fill(shape: Shape, entries: number): Promise<KeyedStateBackend> {
  const b = await heapBackend().create({ maxParallelism: 128, keyGroupRange: { start: 0, end: 127 }, operatorId: "bench", subtaskIndex: 0 });
  const order = scattered(shape === "reduce" ? entries : entries / 2);
  if (shape === "reduce") {
    const s = b.getPartitionedState(new ValueStateDescriptor<{ key: number; value: number; ts: number }>("_reduce"));
    // two passes, as records replace each key's value: the survivors are spread over the heap
    for (const pass of [1, 2]) {
      for (const k of order) {
        b.setCurrentKey(k);
        s.update({ key: k, value: k * pass, ts: 1_709_251_200_000 + k * 7 + pass });
      }
    }
  } else {
    const s = b.getPartitionedState(new ValueStateDescriptor<{ count: number; sum: number }>("window-contents"));
    for (const ns of ["1709251200000", "1709251260000"]) {
      s.setCurrentNamespace(ns);
      for (const k of order) {
        b.setCurrentKey(k);
        s.update({ count: 1 + (k % 5), sum: k * 3 });
      }
    }
  }
  return b;
}

/** One snapshot: the synchronous call, and the CPU time until it resolves (no other work runs). */
async function timeSnapshot(b: KeyedStateBackend, packed: boolean): Promise<{ syncMs: number; cpuMs: number; bytes: number }> {
  fullGc();
  // let the sweeper finish with the garbage of the previous run, or the first young collection
  // of this one waits for it (measured: 100 ms, after a snapshot listed entry by entry)
  await sleep(200);
  // CPU time, not wall time: on a shared machine a 20 ms stretch is often preempted for longer
  const c0 = process.cpuUsage();
  const pending = b.snapshot(undefined, { packed });
  const sync = process.cpuUsage(c0);
  const snap = await pending;
  const c = process.cpuUsage(c0);
  return { syncMs: (sync.user + sync.system) / 1000, cpuMs: (c.user + c.system) / 1000, bytes: sizeOf(snap) };
}

function sizeOf(s: KeyedStateSnapshot): number {
  let n = 0;
  for (const bytes of Object.values(s.packed ?? {})) n += bytes.length;
  for (const entries of Object.values(s.keyGroups)) for (const [name, key, ns, value] of entries) n += name.length + key.length + ns.length + value.length;
  return n;
}

export async function heapSnapshot(o: CheckpointBenchOptions, log: Log): Promise<CheckpointResult[]> {
  const entries = Math.max(2, Math.round(o.stateKeys / 10));
  const results: CheckpointResult[] = [];
  for (const shape of ["reduce", "window"] as const) {
    const b = await fill(shape, entries);
    const runs = { packed: [] as Array<Awaited<ReturnType<typeof timeSnapshot>>>, listed: [] as Array<Awaited<ReturnType<typeof timeSnapshot>>> };
    // untimed: the first snapshots of a process also compile the code
    await b.snapshot(undefined, { packed: true });
    await b.snapshot();
    for (let r = 0; r < o.repeats; r++) {
      runs.packed.push(await timeSnapshot(b, true));
      runs.listed.push(await timeSnapshot(b, false));
    }
    await b.close();
    for (const form of ["packed", "listed"] as const) {
      const rs = runs[form];
      log(`# heap-snapshot (${shape}, ${fmtInt(entries)} entries, ${form}): sync ${rs.map((x) => x.syncMs.toFixed(1)).join("/")} ms, ` +
        `cpu to resolved ${rs.map((x) => x.cpuMs.toFixed(0)).join("/")} ms, ${fmtMB(rs[0].bytes)}`);
      const cpuMs = median(rs.map((x) => x.cpuMs));
      results.push({
        bench: "heap-snapshot",
        backend: "heap",
        shape,
        form,
        entries,
        syncMs: round(median(rs.map((x) => x.syncMs)), 1),
        cpuMs: round(cpuMs, 1),
        nsPerEntry: Math.round((cpuMs * 1e6) / entries),
        bytes: rs[0].bytes,
        runsCpuMs: rs.map((x) => Math.round(x.cpuMs)).join("/"),
      });
    }
  }
  return results;
}
