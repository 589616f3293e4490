/**
 * `CEP.pattern` / `CEP.patterns` end to end through `StreamExecutionEnvironment`: the spec's
 * "On a stream" example, select and flatSelect, several patterns, LevelDB state, processing
 * time, event codecs, and errors at build time.
 */
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { AfterMatchSkipStrategy, CEP, Pattern, PatternError, type CepTimedOut } from "../../../src/cep/index.js";
import { CollectSink, StreamExecutionEnvironment, WatermarkStrategy, type DataStream } from "../../../src/runtime/index.js";
import { levelDbBackend } from "../../../src/state/index.js";
import { BatchedSource, cleanupDirs } from "./helpers.js";

type Txn = { cardId: string; amount: number; merchant: string; ts: number };

const MIN = 60_000;
const cardTesting = Pattern.begin<Txn>("small", AfterMatchSkipStrategy.skipPastLastEvent())
  .where((e) => e.amount < 2)
  .timesOrMore(3)
  .consecutive()
  .followedBy("big")
  .where((e, ctx) => e.amount > 500 && e.merchant !== ctx.eventsFor("small")[0].merchant)
  .within(10 * MIN);

const t = (cardId: string, amount: number, merchant: string, ts: number): Txn => ({ cardId, amount, merchant, ts });

/** A stream of `txns` in the given order, a watermark (bounded by `outOfOrderMs`) after every record. */
function txnStream(env: StreamExecutionEnvironment, txns: Txn[], outOfOrderMs = 0): DataStream<Txn> {
  return env.fromSource(
    new BatchedSource(txns.map((x) => ({ value: x, timestamp: x.ts })), 1),
    WatermarkStrategy.forBoundedOutOfOrderness<Txn>(outOfOrderMs),
    "txns",
  );
}

const dirs: string[] = [];
async function leveldb() {
  const dir = await mkdtemp(join(tmpdir(), "vigil-cep-job-"));
  dirs.push(dir);
  return levelDbBackend({ directory: dir, cacheEntries: 2, flushThreshold: 1 });
}
afterAll(async () => {
  await cleanupDirs();
  const { rm } = await import("node:fs/promises");
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe("CEP on a stream", () => {
  it("the spec's example: alerts, timed-out partial matches and late events", async () => {
    const env = new StreamExecutionEnvironment().setParallelism(2);
    const stream = txnStream(env, [
      t("c1", 1, "m1", 0),
      t("c2", 1, "m1", 1_000),
      t("c1", 1, "m1", 60_000),
      t("c2", 1, "m1", 61_000),
      t("c1", 0.5, "m1", 120_000),
      t("c2", 1, "m1", 121_000),
      t("c1", 900, "m2", 180_000),
      t("c1", 1, "m3", 100_000), // behind the watermark (180_000 - 1): late
      t("c3", 5, "m1", 30 * MIN),
    ]);
    const alerts = CEP.pattern(stream.keyBy((x) => x.cardId), cardTesting).process((match, ctx) =>
      ctx.output({ kind: "card-testing", card: match.small[0].cardId }),
    );
    const timedOut = alerts.getSideOutput(CEP.timedOutTag);
    const late = alerts.getSideOutput(CEP.lateTag);
    const alertSink = new CollectSink<unknown>();
    const timedOutSink = new CollectSink<CepTimedOut<Txn>>();
    const lateSink = new CollectSink<Txn>();
    alerts.sinkTo(alertSink);
    timedOut.sinkTo(timedOutSink);
    late.sinkTo(lateSink);
    await env.execute("card-testing");

    expect(alertSink.values).toEqual([{ kind: "card-testing", card: "c1" }]);
    expect(alertSink.records[0].timestamp).toBe(180_000);
    // c2's three small transactions never met a big one: each branch times out 10 minutes after it started
    const byTime = [...timedOutSink.values].sort((a, b) => a.timestamp - b.timestamp);
    expect(byTime.map((x) => [x.key, x.match.small.map((s) => s.ts), x.timestamp])).toEqual([
      ["c2", [1_000, 61_000, 121_000], 1_000 + 10 * MIN],
      ["c2", [61_000, 121_000], 61_000 + 10 * MIN],
      ["c2", [121_000], 121_000 + 10 * MIN],
    ]);
    expect(lateSink.values).toEqual([t("c1", 1, "m3", 100_000)]);
    expect(lateSink.records[0].timestamp).toBe(100_000);
  });

  it("select and flatSelect, with state in LevelDB, at parallelism 3", async () => {
    const env = new StreamExecutionEnvironment().setParallelism(3).setStateBackend(await leveldb());
    const txns = ["a", "b", "c", "d", "e"].flatMap((card, i) => [
      t(card, 1, "m1", i),
      t(card, 1, "m1", 100 + i),
      t(card, 1, "m1", 200 + i),
      t(card, 700, "m9", 300 + i),
    ]);
    const stream = txnStream(env, [...txns].reverse(), 1_000);
    const matches = CEP.pattern(stream.keyBy((x) => x.cardId), cardTesting);
    const selected = new CollectSink<string>();
    const flat = new CollectSink<string>();
    matches.select((m) => `${m.big[0].cardId}:${m.small.length}`).sinkTo(selected);
    matches.flatSelect<string>((m, out) => {
      for (const s of m.small) out.collect(`${s.cardId}@${s.ts}`);
      return [`${m.big[0].cardId}!`];
    }).sinkTo(flat);
    await env.execute();
    expect(selected.values.sort()).toEqual(["a:3", "b:3", "c:3", "d:3", "e:3"]);
    expect(flat.values).toHaveLength(20);
    expect(flat.values.filter((x) => x.endsWith("!")).sort()).toEqual(["a!", "b!", "c!", "d!", "e!"]);
  });

  it("several patterns in one operator: one pass, outputs tagged with the pattern id", async () => {
    const env = new StreamExecutionEnvironment().setParallelism(2);
    const bigThenBig = Pattern.begin<Txn>("first").where((e) => e.amount > 500).next("second").where((e) => e.amount > 500).within(MIN);
    const stream = txnStream(env, [
      t("a", 1, "m1", 0),
      t("a", 1, "m1", 1),
      t("a", 1, "m1", 2),
      t("a", 600, "m2", 3),
      t("a", 700, "m2", 4),
      t("b", 800, "m2", 5),
    ]);
    const sink = new CollectSink<string>();
    CEP.patterns(stream.keyBy((x) => x.cardId), [
      { id: "card-testing", pattern: cardTesting },
      { id: "big-twice", pattern: bigThenBig },
    ])
      .select((m, ctx) => `${ctx.patternId} ${ctx.getCurrentKey()} ${Object.values(m).flat().map((x) => x.ts).join(",")}`)
      .sinkTo(sink);
    await env.execute();
    expect(sink.values.sort()).toEqual(["big-twice a 3,4", "card-testing a 0,1,2,3"]);
  });

  it("a stream that is not keyed is matched as one key", async () => {
    const env = new StreamExecutionEnvironment();
    const stream = txnStream(env, [t("a", 1, "m1", 0), t("b", 1, "m1", 1), t("c", 1, "m1", 2), t("d", 900, "m2", 3)]);
    const sink = new CollectSink<string>();
    CEP.pattern(stream, cardTesting)
      .select((m) => m.small.map((x) => x.cardId).join("") + m.big[0].cardId)
      .sinkTo(sink);
    await env.execute();
    expect(sink.values).toEqual(["abcd"]);
  });

  it("inProcessingTime: arrival order, nothing late", async () => {
    const env = new StreamExecutionEnvironment();
    const stream = txnStream(env, [t("a", 1, "m1", 50), t("a", 1, "m1", 10), t("a", 1, "m1", 5), t("a", 900, "m2", 0)]);
    const alerts = CEP.pattern(stream.keyBy((x) => x.cardId), cardTesting)
      .inProcessingTime()
      .select((m) => m.small.map((x) => x.ts).join(","));
    const sink = new CollectSink<string>();
    const late = new CollectSink<Txn>();
    alerts.sinkTo(sink);
    alerts.getSideOutput(CEP.lateTag).sinkTo(late);
    await env.execute();
    expect(sink.values).toEqual(["50,10,5"]);
    expect(late.values).toEqual([]);
  });

  it("withEventCodec: events that JSON cannot carry survive LevelDB", async () => {
    type Login = { user: string; ok: boolean; at: Date };
    const env = new StreamExecutionEnvironment().setStateBackend(await leveldb());
    const logins: Login[] = [0, 1, 2, 3].map((i) => ({ user: "u", ok: i === 3, at: new Date(1_000 * i) }));
    const stream = env.fromSource(
      new BatchedSource(logins.map((l) => ({ value: l, timestamp: l.at.getTime() })), 1),
      WatermarkStrategy.forMonotonousTimestamps<Login>(),
      "logins",
    );
    const bruteForce = Pattern.begin<Login>("failed").where((l) => !l.ok).timesOrMore(3).consecutive().next("success").where((l) => l.ok);
    const sink = new CollectSink<string>();
    CEP.pattern(stream.keyBy((l) => l.user), bruteForce)
      .withEventCodec({ encode: (l) => ({ ...l, at: l.at.getTime() }), decode: (j) => ({ ...(j as Login), at: new Date((j as { at: number }).at) }) })
      .select((m) => m.failed.map((l) => l.at.toISOString().slice(17, 19)).join(",") + "->" + m.success[0].at.getTime())
      .sinkTo(sink);
    await env.execute();
    expect(sink.values).toEqual(["00,01,02->3000"]);
  });

  it("an invalid pattern fails when the job is built, with PatternError", () => {
    const env = new StreamExecutionEnvironment();
    const stream = txnStream(env, []);
    const invalid = Pattern.begin<Txn>("a").notFollowedBy("b");
    expect(() => CEP.pattern(stream.keyBy((x) => x.cardId), invalid)).toThrow(PatternError);
    expect(() => CEP.patterns(stream.keyBy((x) => x.cardId), [])).toThrow(/non-empty/);
    expect(() =>
      CEP.patterns(stream.keyBy((x) => x.cardId), [
        { id: "x", pattern: cardTesting },
        { id: "x", pattern: cardTesting },
      ]),
    ).toThrow(/used twice/);
  });
});
