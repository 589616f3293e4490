import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { InputStatus, ReaderOutput, Sink, SinkWriter, SinkWriterContext, Source, SourceReader, SourceSplit } from "../../../src/runtime/index.js";

interface ListSplit extends SourceSplit {
  readonly index: number;
  readonly position: number;
}

/**
 * A bounded multi-split source that reads `batch` records per split per poll and then yields to
 * the event loop ("waiting" until the next macrotask), so timers (checkpoints) fire mid-stream.
 */
export class SlowListSource<T> implements Source<T, ListSplit> {
  readonly boundedness = "bounded" as const;

  constructor(
    private readonly splits: T[][],
    private readonly batch = 5,
    private readonly timestampOf?: (value: T) => number,
    private readonly pauseMs = 1,
  ) {}

  createSplits(): ListSplit[] {
    return this.splits.map((_, index) => ({ splitId: `split-${String(index).padStart(3, "0")}`, index, position: 0 }));
  }

  createReader(): SourceReader<T, ListSplit> {
    const owned: Array<{ split: ListSplit; position: number; done: boolean }> = [];
    let polls = 0;
    return {
      addSplits: (splits) => {
        for (const split of splits) owned.push({ split, position: split.position, done: false });
      },
      pollNext: (out: ReaderOutput<T>): InputStatus => {
        let more = false;
        for (const o of owned) {
          if (o.done) continue;
          const data = this.splits[o.split.index];
          const end = Math.min(data.length, o.position + this.batch);
          for (let i = o.position; i < end; i++) out.collect(data[i], o.split.splitId, this.timestampOf?.(data[i]));
          o.position = end;
          if (end >= data.length) {
            o.done = true;
            out.splitFinished(o.split.splitId);
          } else more = true;
        }
        if (!more) return "end";
        return ++polls % 2 === 0 ? "waiting" : "more";
      },
      available: () => new Promise<void>((r) => setTimeout(r, this.pauseMs)),
      snapshotState: () => owned.map((o) => ({ ...o.split, position: o.position })),
    };
  }
}

/**
 * An exactly-once sink in memory: records go into a transaction per checkpoint, committed to
 * `committed` only when the checkpoint completes; a restored writer commits the pending
 * transactions of its state (idempotently: a transaction id is committed once). Without
 * checkpoints it commits at the end of the input. The lists outlive the job (restarts).
 */
export class TxnSink<T> implements Sink<T> {
  readonly committed: T[] = [];
  /** Every record a writer ever received, committed or not (shows what a plain sink would have got). */
  readonly received: T[] = [];
  private readonly done = new Set<string>();
  private readonly store = new Map<string, T[]>();
  private seq = 0;

  createWriter(ctx: SinkWriterContext): SinkWriter<T> {
    const commit = (txn: string) => {
      if (this.done.has(txn)) return;
      this.done.add(txn);
      this.committed.push(...(this.store.get(txn) ?? []));
      this.store.delete(txn);
    };
    for (const s of ctx.restoredState as Array<{ pending: Array<[number, string]> }>) for (const [, txn] of s.pending) commit(txn);
    const begin = () => {
      const id = `${ctx.attempt}-${ctx.subtaskIndex}-${this.seq++}`;
      this.store.set(id, []);
      return id;
    };
    let current = begin();
    const pending: Array<[number, string]> = [];
    return {
      write: (v) => {
        this.received.push(v);
        this.store.get(current)!.push(v);
      },
      snapshotState: async (id) => {
        pending.push([id, current]);
        current = begin();
        await new Promise((r) => setImmediate(r)); // pre-commit I/O
        return { pending: [...pending] };
      },
      notifyCheckpointComplete: (id) => {
        while (pending.length > 0 && pending[0][0] <= id) commit(pending.shift()![1]);
      },
      flush: (end) => {
        if (end) commit(current);
      },
    };
  }
}

/** Throws once when the shared counter reaches each of `at` (the counter lives outside the job, so it survives restarts). */
export class FailureInjector {
  count = 0;
  private readonly pending: Set<number>;
  failures = 0;

  constructor(at: readonly number[]) {
    this.pending = new Set(at);
  }

  tick(): void {
    this.count++;
    if (this.pending.delete(this.count)) {
      this.failures++;
      throw new Error(`injected failure at record ${this.count}`);
    }
  }
}

/** Temporary directories for one test file: `tmp()` makes one; `cleanup()` (in afterAll) removes them all. */
export function tempDirs(prefix: string): { tmp: () => string; cleanup: () => void } {
  const dirs: string[] = [];
  return {
    tmp: () => {
      const d = mkdtempSync(join(tmpdir(), prefix));
      dirs.push(d);
      return d;
    },
    cleanup: () => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })),
  };
}

/** Waits (polling) until `cond` holds; fails after 10 s naming `what`. */
export async function until(cond: () => boolean, what = "the condition"): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}
