import { afterAll, describe, expect, it } from "vitest";
import { ValueStateDescriptor, type KeyedStateBackend, type TypeSerializer, type ValueState } from "../../src/state/index.js";
import { cleanupDirs, createBackend, LEVELDB } from "./backends.js";

afterAll(cleanupDirs);

/**
 * The LevelDB write-back serialises a flush in slices, one per turn of the event loop: what one
 * turn may block is bounded by `flushSliceEntries`, whatever the number of dirty entries. Counted
 * in entries (a serialiser that counts its calls, and a probe that reads the count at every turn),
 * not in time, so the test does not depend on the machine's load.
 */

const ENTRIES = 20_000;
const SLICE = 500;

/** A serialiser of numbers that counts its `serialize` calls. */
function counting(): TypeSerializer<number> & { calls: number } {
  const s = {
    calls: 0,
    serialize(v: number): Uint8Array {
      s.calls++;
      const b = new Uint8Array(8);
      new DataView(b.buffer).setFloat64(0, v);
      return b;
    },
    deserialize(b: Uint8Array): number {
      return new DataView(b.buffer, b.byteOffset, b.byteLength).getFloat64(0);
    },
  };
  return s;
}

/**
 * Runs `work` while a probe, at every turn of the event loop (`setImmediate`, the queue the
 * flush's slices yield through), records how many serialisations happened since the previous turn.
 */
async function perTurn(ser: { calls: number }, work: () => Promise<unknown>): Promise<{ max: number; turns: number; total: number }> {
  let last = ser.calls;
  let max = 0;
  let turns = 0;
  let running = true;
  const start = ser.calls;
  const tick = () => {
    const d = ser.calls - last;
    last = ser.calls;
    if (d > max) max = d;
    turns++;
    if (running) setImmediate(tick);
  };
  setImmediate(tick);
  await work();
  running = false;
  tick();
  return { max, turns, total: ser.calls - start };
}

async function filled(ser: TypeSerializer<number>, cache: { flushThreshold: number }): Promise<{ b: KeyedStateBackend; v: ValueState<number> }> {
  const b = await createBackend(LEVELDB, { cache: { cacheEntries: 4 * ENTRIES, flushSliceEntries: SLICE, flushSliceMs: 60_000, ...cache } });
  const v = b.getPartitionedState(new ValueStateDescriptor<number>("n", { serializer: ser }));
  for (let k = 0; k < ENTRIES; k++) {
    b.setCurrentKey(k);
    v.update(k);
  }
  return { b, v };
}

describe("LevelDB flushes are sliced", () => {
  it("an explicit flush of 20,000 dirty entries serialises at most flushSliceEntries of them per turn of the event loop", async () => {
    const ser = counting();
    const { b } = await filled(ser, { flushThreshold: 10 * ENTRIES });
    const r = await perTurn(ser, () => b.flush());
    expect(r.total).toBe(ENTRIES);
    expect(r.max).toBeLessThanOrEqual(SLICE);
    expect(r.turns).toBeGreaterThanOrEqual(ENTRIES / SLICE);
    await b.close();
  });

  it("a snapshot serialises nothing in the call that takes it (the barrier), then at most flushSliceEntries per turn; writes after the barrier do not reach it", async () => {
    const ser = counting();
    const { b, v } = await filled(ser, { flushThreshold: 10 * ENTRIES });
    const before = ser.calls;
    const snapshot = b.snapshot();
    expect(ser.calls).toBe(before); // the barrier only captured the dirty entries
    // the record path goes on, rewriting entries the flush has not serialised yet: each is
    // serialised for the snapshot first (copy-on-write), one entry, not a slice
    const r = await perTurn(ser, async () => {
      for (let k = ENTRIES - 1; k >= ENTRIES - 100; k--) {
        b.setCurrentKey(k);
        const callsBefore = ser.calls;
        v.update(-k);
        expect(ser.calls - callsBefore).toBeLessThanOrEqual(1);
      }
      return snapshot;
    });
    expect(r.max).toBeLessThanOrEqual(SLICE + 100);
    const snap = await snapshot;
    const check = await createBackend(LEVELDB);
    await check.restore([snap]);
    const cv = check.getPartitionedState(new ValueStateDescriptor<number>("n", { serializer: counting() }));
    for (const k of [0, 1, ENTRIES - 1, ENTRIES - 100]) {
      check.setCurrentKey(k);
      expect(cv.value()).toBe(k);
      b.setCurrentKey(k);
      expect(v.value()).toBe(k >= ENTRIES - 100 ? -k : k);
    }
    await Promise.all([b.close(), check.close()]);
  });

  it("a background flush (the threshold crossed) is sliced too, and the job's reads see the newest values meanwhile", async () => {
    const ser = counting();
    const { b, v } = await filled(ser, { flushThreshold: ENTRIES });
    // the threshold was crossed by the last write: the flush starts at the next turn
    const slices = Reflect.get(b, "writes") as { maxSliceEntries: number };
    const r = await perTurn(ser, async () => {
      while (ser.calls < ENTRIES) {
        await new Promise((resolve) => setImmediate(resolve));
        b.setCurrentKey(7);
        expect(v.value()).toBe(7);
      }
      await b.flush();
    });
    expect(r.max).toBeLessThanOrEqual(SLICE);
    expect(slices.maxSliceEntries).toBeLessThanOrEqual(SLICE);
    await b.close();
  });
});
