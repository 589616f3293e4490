/**
 * The connector benchmarks in one run: Kafka (librdkafka's mock cluster unless KAFKA_BROKERS is
 * set) and JetStream (the NATS server at NATS_URL or 127.0.0.1:4222). Each prints its figures and
 * one JSON line. `npm run bench:connectors [-- --messages 200000 --runs 3]`
 */
import { intArg, parseArgs } from "./common.js";
import { runJetStreamBench } from "./jetstream.js";
import { runKafkaBench } from "./kafka.js";

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const messages = intArg(args, "messages", 200_000);
  const runs = intArg(args, "runs", 3);
  const cards = intArg(args, "cards", 1000);
  console.log(`# node ${process.version}, ${messages} messages, ${runs} runs per side (median reported)`);
  const brokers = process.env.KAFKA_BROKERS?.split(",");
  await runKafkaBench({ messages, runs, cards, ...(brokers ? { brokers } : {}) });
  await runJetStreamBench({ messages, runs, cards });
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
