/**
 * bench:latency's JetStream publisher, a process of its own (as a producer would be): publishes
 * the paced events (paced-source.ts's traffic and schedule) to a subject that a stream stores,
 * open loop: event `i` goes out when it is due, whatever the server or Vigil do. Core publishes
 * (no ack awaited per message, as a high-rate producer does), flushed at the end. Prints one JSON
 * line: {"published", "achievedPerSec", "maxLagMs"} (how far behind schedule it ever was).
 *
 *   node jetstream-publisher.js --subject <s> --rate <n> --count <n> --start-at <epoch ms>
 */
import { parseArgs } from "node:util";
import { connect } from "nats";
import { clock, dueAt, pacedEvent, type PacedOptions } from "./paced-source.js";

const { values } = parseArgs({ options: { subject: { type: "string" }, rate: { type: "string" }, count: { type: "string" }, "start-at": { type: "string" } } });
const o: PacedOptions = { rate: Number(values.rate), count: Number(values.count), startAt: Number(values["start-at"]), giveUpAt: Number.POSITIVE_INFINITY };
const subject = values.subject!;
const nc = await connect({ servers: (process.env.NATS_URL ?? "nats://127.0.0.1:4222").split(","), name: "bench-latency-publisher" });
const encoder = new TextEncoder();
let next = 0;
let maxLagMs = 0;
let last = 0;
while (next < o.count) {
  const now = clock();
  if (next < o.count && dueAt(o, next) <= now) maxLagMs = Math.max(maxLagMs, now - dueAt(o, next));
  while (next < o.count && dueAt(o, next) <= now) {
    const due = dueAt(o, next);
    nc.publish(subject, encoder.encode(JSON.stringify(pacedEvent(next, Math.floor(due)))));
    next++;
  }
  last = now;
  if (next < o.count) {
    const wait = dueAt(o, next) - clock();
    await new Promise((r) => (wait < 1 ? setImmediate(r) : setTimeout(r, Math.floor(wait))));
  }
}
await nc.flush();
await nc.close();
process.stdout.write(`${JSON.stringify({ published: next, achievedPerSec: Math.round(next / ((last - o.startAt) / 1000)), maxLagMs: Math.round(maxLagMs) })}\n`);
