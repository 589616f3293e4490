import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { StatusWatermarkValve } from "../../src/runtime/event-time/status-watermark-valve.js";
import { TimerQueue } from "../../src/runtime/timers/timer-queue.js";
import { WatermarkStrategy } from "../../src/runtime/index.js";

describe("StatusWatermarkValve", () => {
  it("when the last active channel goes idle, the highest watermark any channel reached passes (as Flink)", () => {
    const v = new StatusWatermarkValve(2);
    // channel 0 runs ahead while channel 1, still active, holds the output back
    expect(v.inputWatermark(0, 299)).toBeUndefined();
    // channel 0 goes idle first: channel 1 (at the start of time) alone is active, nothing passes
    expect(v.inputIdle(0, true)).toBeUndefined();
    // then channel 1: every channel idle; 299 was held back only by channel 1 and must not be lost
    expect(v.inputIdle(1, true)).toBe(299);
    expect(v.current).toBe(299);
    // and a later idle change does not move it back
    expect(v.inputIdle(0, false)).toBeUndefined();
    expect(v.inputIdle(0, true)).toBeUndefined();
  });

  it("emits the minimum over active channels, never backwards", () => {
    const v = new StatusWatermarkValve(3);
    expect(v.inputWatermark(0, 10)).toBeUndefined();
    expect(v.inputWatermark(1, 5)).toBeUndefined();
    expect(v.inputWatermark(2, 7)).toBe(5);
    expect(v.inputWatermark(1, 20)).toBe(7);
    expect(v.inputWatermark(1, 3)).toBeUndefined(); // a channel going back changes nothing
    expect(v.inputIdle(2, true)).toBe(10); // channel 2 idle: min over 0 and 1
    expect(v.inputWatermark(2, 8)).toBeUndefined(); // active again but behind: it does not pull back
    expect(v.current).toBe(10);
    expect(v.inputWatermark(0, 30)).toBe(20); // channel 2 (8) is not aligned yet, so 0 and 1 decide
  });

  it("matches a reference model on random input", () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ ch: fc.integer({ min: 0, max: 2 }), wm: fc.integer({ min: 0, max: 50 }) }), { maxLength: 60 }),
        (ops) => {
          const v = new StatusWatermarkValve(3);
          const seen = [-Infinity, -Infinity, -Infinity];
          let out = -Infinity;
          for (const { ch, wm } of ops) {
            seen[ch] = Math.max(seen[ch], wm);
            const r = v.inputWatermark(ch, wm);
            const min = Math.min(...seen);
            if (min > out) {
              expect(r).toBe(min);
              out = min;
            } else expect(r).toBeUndefined();
          }
        },
      ),
    );
  });
});

describe("TimerQueue", () => {
  it("fires in timestamp order, once per (key, namespace, time), and honours deletes", () => {
    const q = new TimerQueue();
    q.add("a", "", 10);
    q.add("b", "", 5);
    q.add("a", "", 10); // duplicate
    q.add("a", "w1", 10);
    q.add("c", "", 7);
    q.delete("c", "", 7);
    expect(q.size).toBe(3);
    const fired: string[] = [];
    q.fireUntil(9, (t) => fired.push(`${String(t.key)}${t.namespace}@${t.timestamp}`));
    expect(fired).toEqual(["b@5"]);
    q.fireUntil(Infinity, (t) => {
      fired.push(`${String(t.key)}${t.namespace}@${t.timestamp}`);
      if (t.timestamp === 10 && t.namespace === "") q.add("a", "", 12); // registered while firing
    });
    expect(fired).toEqual(["b@5", "a@10", "aw1@10", "a@12"]);
    expect(q.size).toBe(0);
  });

  it("orders like a sort on random input", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 100 }))), (timers) => {
        const q = new TimerQueue();
        for (const [k, ts] of timers) q.add(k, "", ts);
        const fired: number[] = [];
        q.fireUntil(Infinity, (t) => fired.push(t.timestamp));
        const expected = [...new Set(timers.map(([k, ts]) => `${k}:${ts}`))].map((s) => Number(s.split(":")[1])).sort((a, b) => a - b);
        expect(fired).toEqual(expected);
      }),
    );
  });
});

describe("WatermarkStrategy", () => {
  it("bounded out-of-orderness trails the highest timestamp by the bound plus one", () => {
    const g = WatermarkStrategy.forBoundedOutOfOrderness<number>(100).createWatermarkGenerator();
    g.onEvent(1000);
    g.onEvent(500);
    expect(g.currentWatermark()).toBe(899);
  });

  it("rejects a negative bound and a zero idleness", () => {
    expect(() => WatermarkStrategy.forBoundedOutOfOrderness(-1)).toThrow(/>= 0/);
    expect(() => WatermarkStrategy.forMonotonousTimestamps().withIdleness(0)).toThrow(/> 0/);
  });
});

describe("numericRecordCodec", () => {
  it("round-trips flat numeric records, Infinity and NaN included", async () => {
    const { numericRecordCodec } = await import("../../src/runtime/index.js");
    const codec = numericRecordCodec<{ a: number; b: number }>(["a", "b"]);
    const values = [{ a: 1, b: -2.5 }, { a: Infinity, b: NaN }];
    expect(codec.decode(codec.encode(values))).toEqual(values);
    expect(() => numericRecordCodec([])).toThrow(/at least one field/);
  });

  it("round-trips any double exactly, -0 and integers beyond 32 bits included", async () => {
    const fc = (await import("fast-check")).default;
    const { numericRecordCodec } = await import("../../src/runtime/index.js");
    const codec = numericRecordCodec<{ a: number; b: number }>(["a", "b"]);
    fc.assert(
      fc.property(fc.array(fc.record({ a: fc.oneof(fc.integer(), fc.double()), b: fc.double() })), (values) => {
        const back = codec.decode(codec.encode(values));
        expect(back.length).toBe(values.length);
        back.forEach((r, i) => {
          expect(Object.is(r.a, values[i].a)).toBe(true);
          expect(Object.is(r.b, values[i].b)).toBe(true);
        });
      }),
    );
    expect(Object.is(codec.decode(codec.encode([{ a: -0, b: 2 ** 40 }]))[0].a, -0)).toBe(true);
  });
});
