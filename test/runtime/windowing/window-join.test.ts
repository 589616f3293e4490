import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CollectSink, StreamExecutionEnvironment, WatermarkStrategy, type DataStream } from "../../../src/runtime/index.js";
import { CoGroupedStreams } from "../../../src/runtime/join/co-grouped-streams.js";
import type { Collector } from "../../../src/runtime/functions/runtime-context.js";
import { EventTimeSessionWindows, SlidingEventTimeWindows, TumblingEventTimeWindows, type TimeWindow, type WindowAssigner } from "../../../src/runtime/windowing/index.js";
import { ListSplitsSource } from "../helpers.js";
import { slidingSpans, tumblingSpans, type Span } from "./reference.js";
import { multiset } from "./window-harness.js";

interface Order {
  readonly user: number;
  readonly id: string;
  readonly ts: number;
}
interface Click {
  readonly uid: number;
  readonly page: string;
  readonly ts: number;
}

const BOUND = 10;

/** Two inputs with at most BOUND ms of disorder each (nothing is late). */
const inputsArb = fc
  .tuple(
    fc.array(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: BOUND })), { maxLength: 30 }),
    fc.array(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: BOUND })), { maxLength: 30 }),
    fc.integer({ min: 0, max: 4 }),
  )
  .map(([a, b, step]) => ({
    orders: a.map(([user, j], i): Order => ({ user, id: `o${i}`, ts: i * step + j - 20 })),
    clicks: b.map(([uid, j], i): Click => ({ uid, page: `p${i}`, ts: i * step + j - 20 })),
  }));

async function run<O>(
  orders: Order[],
  clicks: Click[],
  build: (a: DataStream<Order>, b: DataStream<Click>) => DataStream<O>,
  batch = false,
): Promise<Array<{ value: O; timestamp: number }>> {
  const env = StreamExecutionEnvironment.getExecutionEnvironment().setParallelism(2);
  if (batch) env.setRuntimeMode("batch");
  const a = env.fromSource(new ListSplitsSource([orders], (o) => o.ts, 5), WatermarkStrategy.forBoundedOutOfOrderness<Order>(BOUND), "orders");
  const b = env.fromSource(new ListSplitsSource([clicks], (c) => c.ts, 3), WatermarkStrategy.forBoundedOutOfOrderness<Click>(BOUND), "clicks");
  const sink = new CollectSink<O>();
  build(a, b).sinkTo(sink);
  await env.execute("join");
  return sink.records.map((r) => ({ value: r.value, timestamp: r.timestamp }));
}

/** Nested-loop join: every (order, click) pair with equal users in a common window, stamped with the window's end - 1. */
function bruteForce(orders: Order[], clicks: Click[], spansOf: (ts: number) => Span[]): Array<{ value: string; timestamp: number }> {
  const out: Array<{ value: string; timestamp: number }> = [];
  for (const o of orders) {
    for (const c of clicks) {
      if (o.user !== c.uid) continue;
      for (const w of spansOf(o.ts)) if (c.ts >= w.start && c.ts < w.end) out.push({ value: `${o.id}/${c.page}`, timestamp: w.end - 1 });
    }
  }
  return out;
}

/** Sessions of each user over both inputs' timestamps (intervals [ts, ts + gap) that touch merge). */
function sessionsOf(orders: Order[], clicks: Click[], gap: number): (user: number, ts: number) => Span {
  const byUser = new Map<number, number[]>();
  for (const [u, ts] of [...orders.map((o) => [o.user, o.ts]), ...clicks.map((c) => [c.uid, c.ts])]) byUser.set(u, [...(byUser.get(u) ?? []), ts]);
  const sessions = new Map<number, Span[]>();
  for (const [u, tss] of byUser) {
    const spans: Span[] = [];
    for (const ts of tss.sort((x, y) => x - y)) {
      const last = spans.at(-1);
      if (last !== undefined && ts <= last.end) spans[spans.length - 1] = { start: last.start, end: Math.max(last.end, ts + gap) };
      else spans.push({ start: ts, end: ts + gap });
    }
    sessions.set(u, spans);
  }
  return (user, ts) => sessions.get(user)!.find((s) => s.start <= ts && ts < s.end)!;
}

const join = (assigner: WindowAssigner<Order | Click, TimeWindow>) => (a: DataStream<Order>, b: DataStream<Click>) =>
  a.join(b).where((o) => o.user).equalTo((c) => c.uid).window(assigner).apply((o, c) => `${o.id}/${c.page}`);

describe("window join", () => {
  it("tumbling: equals a nested-loop join per window, streaming and batch", async () => {
    await fc.assert(
      fc.asyncProperty(inputsArb, fc.integer({ min: 1, max: 25 }), async ({ orders, clicks }, size) => {
        const expected = multiset(bruteForce(orders, clicks, tumblingSpans(size, 0)));
        expect(multiset(await run(orders, clicks, join(TumblingEventTimeWindows.of(size))))).toEqual(expected);
        expect(multiset(await run(orders, clicks, join(TumblingEventTimeWindows.of(size)), true))).toEqual(expected);
      }),
      { numRuns: 20 },
    );
  });

  it("sliding: a pair joins once per common window", async () => {
    await fc.assert(
      fc.asyncProperty(inputsArb, fc.integer({ min: 1, max: 20 }), fc.integer({ min: 1, max: 10 }), async ({ orders, clicks }, size, slide) => {
        const expected = multiset(bruteForce(orders, clicks, slidingSpans(size, slide, 0)));
        expect(multiset(await run(orders, clicks, join(SlidingEventTimeWindows.of(size, slide))))).toEqual(expected);
      }),
      { numRuns: 15 },
    );
  });

  it("sessions: pairs of the same session of the user over both inputs", async () => {
    await fc.assert(
      fc.asyncProperty(inputsArb, fc.integer({ min: 1, max: 8 }), async ({ orders, clicks }, gap) => {
        const session = sessionsOf(orders, clicks, gap);
        const expected: Array<{ value: string; timestamp: number }> = [];
        for (const o of orders) {
          for (const c of clicks) {
            if (o.user !== c.uid) continue;
            const s = session(o.user, o.ts);
            if (s === session(c.uid, c.ts)) expected.push({ value: `${o.id}/${c.page}`, timestamp: s.end - 1 });
          }
        }
        expect(multiset(await run(orders, clicks, join(EventTimeSessionWindows.withGap(gap))))).toEqual(multiset(expected));
      }),
      { numRuns: 15 },
    );
  });

  it("takes a flat join function (three parameters) and join objects", async () => {
    const orders: Order[] = [{ user: 1, id: "o1", ts: 1 }, { user: 2, id: "o2", ts: 2 }];
    const clicks: Click[] = [{ uid: 1, page: "home", ts: 3 }, { uid: 1, page: "cart", ts: 4 }, { uid: 2, page: "x", ts: 30 }];
    const flat = await run(orders, clicks, (a, b) =>
      a
        .join(b)
        .where((o) => o.user)
        .equalTo((c) => c.uid)
        .window(TumblingEventTimeWindows.of(10))
        .apply<string>((o: Order, c: Click, out: Collector<string>) => {
          if (c.page !== "cart") out.collect(`${o.id}:${c.page}`);
        }),
    );
    expect(flat).toEqual([{ value: "o1:home", timestamp: 9 }]);
    const objects = await run(orders, clicks, (a, b) =>
      a.join(b).where((o) => o.user).equalTo((c) => c.uid).window(TumblingEventTimeWindows.of(10)).apply({ join: (o: Order, c: Click) => o.id + c.page }),
    );
    expect(objects.map((r) => r.value).sort()).toEqual(["o1cart", "o1home"]);
  });
});

describe("coGroup", () => {
  it("gives each key and window both sides' elements, either side possibly empty", async () => {
    const orders: Order[] = [{ user: 1, id: "o1", ts: 1 }, { user: 2, id: "o2", ts: 2 }, { user: 1, id: "o3", ts: 12 }];
    const clicks: Click[] = [{ uid: 1, page: "home", ts: 3 }, { uid: 3, page: "x", ts: 5 }];
    const out = await run(orders, clicks, (a, b) =>
      new CoGroupedStreams(a, b)
        .where((o) => o.user)
        .equalTo((c) => c.uid)
        .window(TumblingEventTimeWindows.of(10))
        .apply<string>((os, cs, o) => o.collect(`${os.map((x) => x.id).join(",")}|${cs.map((x) => x.page).join(",")}`)),
    );
    expect(multiset(out)).toEqual(
      multiset([
        { value: "o1|home", timestamp: 9 },
        { value: "o2|", timestamp: 9 },
        { value: "|x", timestamp: 9 },
        { value: "o3|", timestamp: 19 },
      ]),
    );
  });
});
