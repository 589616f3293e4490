/**
 * Publishes generated traffic (generate.ts's events.jsonl) to a JetStream subject, for
 * `vigil run` with a JetStream source (docs/deployment.md):
 *
 *   npx tsx examples/fraud/publish-jetstream.ts --events <file> --subject <subject> [--stream <name>] [--end]
 *
 * `--stream` creates the stream over the subject when it does not exist. `--end` appends the
 * end-of-traffic marker (see jetstream.ts): without it the alerts of absence rules at the end of
 * the file wait for later traffic. The server is NATS_URL (default nats://127.0.0.1:4222).
 */
import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { connect } from "nats";
import { endOfTraffic, ensureStream, publishEvents, type PublishedEvent } from "./jetstream.js";

const USAGE = "usage: npx tsx examples/fraud/publish-jetstream.ts --events <file> --subject <subject> [--stream <name>] [--end]";

async function main(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { events: { type: "string" }, subject: { type: "string" }, stream: { type: "string" }, end: { type: "boolean" }, help: { type: "boolean", short: "h" } },
    }));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (values.events === undefined || values.subject === undefined) {
    process.stderr.write(`--events and --subject are required\n${USAGE}\n`);
    return 2;
  }
  const text = await readFile(values.events, "utf8");
  const events = text.split("\n").filter((l) => l.trim() !== "").map((l) => JSON.parse(l) as PublishedEvent);
  if (values.end && events.length > 0) events.push(endOfTraffic(events[events.length - 1].ts));
  const nc = await connect({ servers: (process.env.NATS_URL ?? "nats://127.0.0.1:4222").split(","), name: "fraud-publisher" });
  try {
    if (values.stream !== undefined && (await ensureStream(await nc.jetstreamManager(), values.stream, [values.subject]))) {
      process.stderr.write(`created stream ${values.stream} over ${values.subject}\n`);
    }
    const started = performance.now();
    const stored = await publishEvents(nc, values.subject, events);
    const seconds = (performance.now() - started) / 1000;
    process.stderr.write(`published ${events.length} events to ${values.subject} in ${seconds.toFixed(1)} s: ${stored} stored, ${events.length - stored} duplicates\n`);
  } finally {
    await nc.close();
  }
  return 0;
}

process.exitCode = await main(process.argv.slice(2));
