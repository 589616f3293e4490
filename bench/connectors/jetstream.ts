/**
 * `jetstream-pipeline`: JetStream -> Vigil -> JetStream against a plain nats.js loop doing the
 * same work.
 *
 * Both sides read the same input stream from its first message through a pull consumer (1,000
 * messages per pull), decode each message with the same deserializer (`Deserializers.json()`),
 * key it by card, evaluate "a small transaction (amount < 5) directly followed by a large one
 * (amount > 500) on the same card", and publish each alert to an output stream with a
 * `Nats-Msg-Id`, awaiting the publish acks in batches. A run ends when every expected alert is
 * stored.
 *
 * - Vigil: `JetStreamSource` -> `keyBy(card)` -> `CEP.pattern(keyed, Pattern.begin("small")
 *   .where(...).next("large").where(...)).inProcessingTime().select(...)` -> `JetStreamSink`,
 *   parallelism 1, checkpoints every second (the source acks on each); the sink awaits its acks
 *   after each source batch.
 * - Baseline: `for await (const m of await consumer.consume())` of nats.js, a `Map` of each card's
 *   previous transaction for the pattern, a publish per alert, and after each 4,096 messages (the
 *   source's batch) all publish acks awaited and the last message acked (AckAll). It publishes
 *   with the sink's `JetStreamPublisher` (same headers, same ack matching): nats.js's own
 *   `js.publish` acks only about 6k messages/s here, which would measure nats.js, not Vigil.
 *
 * Runnable: `npm run build && node dist/bench/connectors/jetstream.js [--messages 200000]
 * [--cards 1000] [--runs 3] [--servers nats://127.0.0.1:4222]`; `runJetStreamBench(opts)` for
 * other scripts.
 */
import { rmSync } from "node:fs";
import { AckPolicy, DeliverPolicy, connect, headers, type JsMsg, type NatsConnection } from "nats";
import { CEP, Pattern } from "../../src/cep/index.js";
import { Deserializers, Serializers } from "../../src/connectors/format.js";
import { JetStreamPublisher, JetStreamSink, JetStreamSource, connectNats } from "../../src/connectors/nats/index.js";
import { runtimeLogger } from "../../src/runtime/logger.js";
import { StreamExecutionEnvironment, WatermarkStrategy } from "../../src/runtime/index.js";
import {
  alertId,
  compareRuns,
  fmt,
  generateTxns,
  intArg,
  isLarge,
  isSmall,
  parseArgs,
  tempDir,
  waitFor,
  type BenchAlert,
  type BenchTxn,
  type ConnectorBenchResult,
  type Log,
} from "./common.js";

/** Options of {@link runJetStreamBench}. */
export interface JetStreamBenchOptions {
  /** Input messages (default 200 000). */
  readonly messages?: number;
  /** Distinct cards (default 1000). */
  readonly cards?: number;
  /** Timed runs per side, alternating (default 3; the median is reported). */
  readonly runs?: number;
  /** Default `NATS_URL` or nats://127.0.0.1:4222. */
  readonly servers?: string;
  /** Vigil's checkpoint interval (ms, default 1000). */
  readonly checkpointIntervalMs?: number;
  /** Where the `#` lines go (default stdout). */
  readonly log?: Log;
}

const BATCH = 4096;
const FETCH = 1000;
const RUN_TIMEOUT_MS = 60_000;

/** Runs the benchmark and returns its result (also printed through `log`, with the JSON line). */
export async function runJetStreamBench(opts: JetStreamBenchOptions = {}): Promise<ConnectorBenchResult> {
  const messages = opts.messages ?? 200_000;
  const cards = opts.cards ?? 1000;
  const runs = opts.runs ?? 3;
  const servers = opts.servers ?? process.env.NATS_URL ?? "nats://127.0.0.1:4222";
  const log = opts.log ?? ((l: string) => console.log(l));
  const nc = await connect({ servers, name: "vigil-bench" });
  const jsm = await nc.jetstreamManager();
  const suffix = Math.random().toString(36).slice(2, 8);
  const input = `BENCH_IN_${suffix}`;
  const created: string[] = [];
  try {
    const t0 = performance.now();
    const { payloads, alerts } = generateTxns(messages, cards);
    await jsm.streams.add({ name: input, subjects: [`${input}.txns`] });
    created.push(input);
    await publishAll(servers, `${input}.txns`, payloads);
    log(`# ${fmt(messages)} transactions over ${fmt(cards)} cards published to ${input} in ${((performance.now() - t0) / 1000).toFixed(1)} s; ${fmt(alerts)} alerts expected`);

    return await compareRuns({
      bench: "jetstream-pipeline",
      baseline: "nats.js loop",
      messages,
      runs,
      log,
      extra: { alerts, cards },
      runOnce: async (run) => {
        const outB = `BENCH_OUT_B_${suffix}_${run}`;
        await jsm.streams.add({ name: outB, subjects: [`${outB}.alerts`] });
        created.push(outB);
        const baselineMs = await baselineRun(nc, servers, input, outB, messages, alerts);
        const outV = `BENCH_OUT_V_${suffix}_${run}`;
        await jsm.streams.add({ name: outV, subjects: [`${outV}.alerts`] });
        created.push(outV);
        const vigilMs = await vigilRun(servers, input, outV, alerts, opts.checkpointIntervalMs ?? 1000);
        for (const [name, stream] of [["baseline", outB], ["vigil", outV]] as const) {
          const stored = (await jsm.streams.info(stream)).state.messages;
          if (stored !== alerts) throw new Error(`${name} run ${run}: ${stored} alerts stored, expected ${alerts}`);
        }
        return { vigilMs, baselineMs };
      },
    });
  } finally {
    for (const s of created) await jsm.streams.delete(s).catch(() => {});
    await nc.close();
  }
}

/** Publishes with up to 5,000 acks outstanding. */
async function publishAll(servers: string, subject: string, payloads: readonly Uint8Array[]): Promise<void> {
  const conn = await connectNats({ servers }, "bench input", runtimeLogger());
  const publisher = new JetStreamPublisher(conn, 30_000);
  try {
    for (let i = 0; i < payloads.length; i += 5000) await Promise.all(payloads.slice(i, i + 5000).map((p) => publisher.publish(subject, p)));
  } finally {
    publisher.close();
    await conn.close();
  }
}

/** The Vigil job; resolves to its wall time (ms) until every alert is stored. */
async function vigilRun(servers: string, input: string, output: string, alerts: number, intervalMs: number): Promise<number> {
  const dir = tempDir("jetstream");
  try {
    const start = performance.now();
    const env = new StreamExecutionEnvironment().enableCheckpointing(intervalMs, { directory: dir });
    const sink = new JetStreamSink<BenchAlert>({ servers, subject: `${output}.alerts`, msgId: alertId, serializer: Serializers.json(), maxBatchSize: 1000 });
    const txns = env
      .fromSource(
        new JetStreamSource<BenchTxn>({ servers, stream: input, deserializer: Deserializers.json(), batchSize: BATCH, fetchBatch: FETCH }),
        WatermarkStrategy.noWatermarks<BenchTxn>(),
        "txns",
      )
      .uid("txns");
    const pattern = Pattern.begin<BenchTxn>("small").where(isSmall).next("large").where(isLarge);
    CEP.pattern(
      txns.keyBy((t) => t.card),
      pattern,
    )
      .inProcessingTime()
      .select((m): BenchAlert => ({ card: m.small[0].card, small: m.small[0].id, large: m.large[0].id }))
      .sinkTo(sink)
      .uid("alerts");
    const client = await env.executeAsync("jetstream-bench");
    try {
      await waitFor(() => sink.storedCount + sink.duplicateCount >= alerts, "the Vigil job's alerts", RUN_TIMEOUT_MS);
      return performance.now() - start;
    } finally {
      await client.cancel();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The plain nats.js loop; resolves to its wall time (ms). */
async function baselineRun(nc: NatsConnection, servers: string, input: string, output: string, messages: number, alerts: number): Promise<number> {
  const jsm = await nc.jetstreamManager();
  const js = nc.jetstream();
  const conn = await connectNats({ servers }, "bench baseline", runtimeLogger());
  const publisher = new JetStreamPublisher(conn, 10_000);
  const decoder = Deserializers.json<BenchTxn>();
  const serializer = Serializers.json<BenchAlert>();
  const subject = `${output}.alerts`;
  const start = performance.now();
  const info = await jsm.consumers.add(input, { ack_policy: AckPolicy.All, deliver_policy: DeliverPolicy.All, max_ack_pending: -1, inactive_threshold: 30e9 });
  const consumer = await js.consumers.get(input, info.name);
  const iter = await consumer.consume({ max_messages: FETCH });
  const last = new Map<string, BenchTxn>();
  let pending: Array<Promise<unknown>> = [];
  let n = 0;
  let published = 0;
  let lastMsg: JsMsg | undefined;
  for await (const m of iter) {
    const t = decoder.deserialize(m.data, { channel: m.subject });
    const prev = last.get(t.card);
    last.set(t.card, t);
    if (prev !== undefined && isSmall(prev) && isLarge(t)) {
      const a: BenchAlert = { card: t.card, small: prev.id, large: t.id };
      const h = headers();
      h.set("Nats-Msg-Id", alertId(a));
      pending.push(publisher.publish(subject, serializer.serialize(a), h));
      published++;
    }
    lastMsg = m;
    if (++n % BATCH === 0 || n === messages) {
      await Promise.all(pending);
      pending = [];
      lastMsg.ack();
    }
    if (n === messages) break;
  }
  const ms = performance.now() - start;
  void iter.close(); // awaiting it after a break never resolves (nats.js 2.29)
  publisher.close();
  await conn.close();
  await jsm.consumers.delete(input, info.name).catch(() => {});
  if (published !== alerts) throw new Error(`baseline published ${published} alerts, expected ${alerts}`);
  return ms;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  await runJetStreamBench({
    messages: intArg(args, "messages", 200_000),
    cards: intArg(args, "cards", 1000),
    runs: intArg(args, "runs", 3),
    checkpointIntervalMs: intArg(args, "checkpoint-interval", 1000),
    ...(args.has("servers") ? { servers: args.get("servers") } : {}),
  });
}

if (process.argv[1] !== undefined && /jetstream\.(ts|js)$/.test(process.argv[1])) {
  main().catch((e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  });
}
