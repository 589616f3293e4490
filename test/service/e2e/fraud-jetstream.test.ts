import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, test } from "vitest";
import { endOfTraffic, publishEvents } from "../../../examples/fraud/jetstream.js";
import { DEFAULT_START_MS, generateTraffic, type Traffic } from "../../../examples/fraud/traffic.js";
import type { Alert } from "../../../src/service/alert.js";
import { parseLines, ROOT, signatures } from "../fraud-helpers.js";
import { Deployment, deploymentConfig, logLines, startVigil, until, type VigilProcess } from "./e2e-helpers.js";

// The fraud deployment as it runs in production: generated traffic is published to a JetStream
// stream, `vigil run` (a child process) reads it with every rule of patterns/, and sends each
// alert to a JetStream stream (Nats-Msg-Id = alert id) and a PostgreSQL table (upsert on the
// alert id). The alerts must be exactly the planted ones, also across a kill -9.
//
// Event time: the traffic is in event-time order (outOfOrderness "5s" is production's setting, no
// event is late). Rules fire when the watermark passes their events, and the watermark moves only
// with events read: idleness keeps a quiet split from holding others back, it does not move time.
// The absence rules at the end of the traffic (auth-not-captured waits 30 minutes of event time)
// would wait for more traffic forever, so the publisher ends with an end-of-traffic marker
// (examples/fraud/jetstream.ts): no key, so no rule takes it, and a time past every window.

const SEED = 20251121;
/** About 20,000 events: the whole test takes 20-40 s on a loaded 2-core machine. */
const MINUTES = 6;
const RATE = 30;

let traffic: Traffic;
let events: Array<{ eventId: string; ts: number }>;
beforeAll(() => {
  traffic = generateTraffic({ seed: SEED, minutes: MINUTES, rate: RATE });
  events = [...traffic.events, endOfTraffic(traffic.events[traffic.events.length - 1].ts)];
});

const deployments: Deployment[] = [];
const children: VigilProcess[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) {
    if (c.running()) c.kill("SIGKILL");
    await c.exited;
  }
  for (const d of deployments.splice(0)) await d.cleanup();
});

async function deployment(): Promise<Deployment> {
  const d = await Deployment.create();
  deployments.push(d);
  return d;
}

function vigil(config: string, d: Deployment): VigilProcess {
  const v = startVigil(config, d.env);
  children.push(v);
  return v;
}

/** For `until`: why the service is not there any more. */
const died = (v: VigilProcess) => () => (v.running() ? undefined : `vigil run exited early:\n${v.stderr().slice(-4000)}`);

/** Waits until a completed checkpoint covers every event in the stream (the source acks then): every alert they lead to is stored. */
async function allEventsCheckpointed(d: Deployment, v: VigilProcess): Promise<void> {
  const last = await d.lastEventSeq();
  await until(`a checkpoint covering event ${last}`, async () => ((await d.ackFloor()) >= last ? true : undefined), died(v), 90_000);
}

/** `summary: ...: <read> events read, <invalid> invalid, <alerts> alerts`. */
function summaryOf(stderr: string): { read: number; invalid: number; alerts: number } | undefined {
  const m = /^summary: .*?(\d+) events? read, (\d+) invalid, (\d+) alerts?$/m.exec(stderr);
  return m === null ? undefined : { read: Number(m[1]), invalid: Number(m[2]), alerts: Number(m[3]) };
}

/** What the stream and the table hold at the end: every planted alert once, by the same ids, and nothing else. */
async function expectExactlyThePlantedAlerts(d: Deployment): Promise<{ stored: Alert[]; rows: Awaited<ReturnType<Deployment["rows"]>> }> {
  const messages = await d.storedAlerts();
  const stored = messages.map((m) => m.alert);
  expect(signatures(stored)).toEqual(signatures(traffic.expected));
  expect(await d.storedAlertCount()).toBe(traffic.expected.length);
  for (const m of messages) expect(m.msgId, "the sink sets Nats-Msg-Id to the alert id").toBe(m.alert.id);
  const ids = stored.map((a) => a.id).sort();
  expect(new Set(ids).size).toBe(ids.length);

  const rows = await d.rows();
  expect(rows.map((r) => r.id).sort()).toEqual(ids);
  const byId = new Map(stored.map((a) => [a.id, a]));
  for (const r of rows) {
    const a = byId.get(r.id)!;
    expect({ ...r.payload, detectedAt: 0 }).toEqual({ ...a, detectedAt: 0 });
    expect(r.event_time?.getTime(), `${a.rule}: event_time is the alert's time`).toBe(a.time);
  }
  return { stored, rows };
}

describe("vigil run over JetStream, alerts to JetStream and PostgreSQL", () => {
  test("every planted alert exactly once in both sinks, none on clean traffic; SIGTERM exits 0", async () => {
    const d = await deployment();
    const config = await d.writeConfig();
    const v = vigil(config, d);
    // messages that are not JSON objects are dead letters (counted as invalid), never events
    const junk = ["42", "[1,2]", "null", "{not json"];
    for (const j of junk) await d.nc.jetstream().publish(d.eventSubject, new TextEncoder().encode(j));
    await publishEvents(d.nc, d.eventSubject, events);
    expect(await d.lastEventSeq()).toBe(junk.length + events.length);
    await allEventsCheckpointed(d, v);

    v.kill("SIGTERM");
    expect(await v.exited, v.stderr().slice(-4000)).toBe(0);
    expect(v.stderr()).toMatch(/^summary: stopped \(.+savepoint.+\)/m);
    expect(summaryOf(v.stderr())).toEqual({ read: junk.length + events.length, invalid: junk.length, alerts: traffic.expected.length });
    const { stored, rows } = await expectExactlyThePlantedAlerts(d);
    // one emission each: the stream's copy and the row are the same alert
    for (const r of rows) expect(r.payload).toEqual(stored.find((a) => a.id === r.id));
  }, 120_000);

  test("kill -9 in the middle, restart with the same config: no alert lost, none stored twice", async () => {
    const d = await deployment();
    // checkpoints are 5 s apart: the second quarter is processed, and the kill comes, well before
    // the next one; the console output lists every alert emitted before the kill
    const config = await d.writeConfig({ console: true });
    const span = MINUTES * 60_000;
    const quarter = DEFAULT_START_MS + span / 4;
    const half = DEFAULT_START_MS + span / 2;
    const first = events.filter((e) => e.ts < quarter);
    const second = events.filter((e) => e.ts >= quarter && e.ts < half);
    const rest = events.filter((e) => e.ts >= half);
    expect(first.length + second.length + rest.length).toBe(events.length);
    // the second quarter has scenarios that alert without the end marker
    expect(traffic.expected.filter((a) => a.time >= quarter && a.time < half - 10_000).length).toBeGreaterThanOrEqual(3);

    const run1 = vigil(config, d);
    await publishEvents(d.nc, d.eventSubject, first);
    await allEventsCheckpointed(d, run1);

    // kill -9 as soon as both sinks hold an alert that the last completed checkpoint does not
    // cover (emitted after it completed): the restart must emit it again, and the stream must drop
    // the copy and the table overwrite it
    const lastCheckpointAt = () => Math.max(...logLines(run1.stderr()).filter((l) => l.msg === "checkpoint complete").map((l) => l.time as number));
    await publishEvents(d.nc, d.eventSubject, second);
    const killedOn = await until(
      "an alert after the last checkpoint, in both sinks",
      async () => {
        const after = lastCheckpointAt();
        const rows = new Set((await d.rows()).map((r) => r.id));
        const hit = (await d.storedAlerts()).find((m) => m.alert.detectedAt > after && rows.has(m.alert.id));
        if (hit !== undefined) run1.kill("SIGKILL");
        return hit?.alert;
      },
      died(run1),
      60_000,
      20,
    );
    expect(await run1.exited).toBe("SIGKILL");
    const emittedBeforeKill = parseLines<Alert>(run1.stdout());
    const storedBeforeKill = await d.storedAlerts();
    expect(storedBeforeKill.length).toBeLessThan(traffic.expected.length);
    expect(storedBeforeKill.map((m) => m.alert.id)).toContain(killedOn.id);

    const run2 = vigil(config, d);
    await publishEvents(d.nc, d.eventSubject, rest);
    expect(await d.lastEventSeq()).toBe(events.length);
    await allEventsCheckpointed(d, run2);
    run2.kill("SIGTERM");
    expect(await run2.exited, run2.stderr().slice(-4000)).toBe(0);
    expect(run2.stderr()).toMatch(/^summary: stopped \(.+\), resumed from .+chk-\d+/m);

    const resumedFrom = logLines(run2.stderr()).find((l) => l.msg === "resuming from snapshot")?.path as string;
    const restoredAt = await d.completedAt(resumedFrom, run1.stderr());
    expect(killedOn.detectedAt, "the kill came after an alert the restored checkpoint does not cover").toBeGreaterThan(restoredAt);
    const replayed = emittedBeforeKill.filter((a) => a.detectedAt > restoredAt);
    expect(replayed.map((a) => a.id)).toContain(killedOn.id);

    const { rows } = await expectExactlyThePlantedAlerts(d);
    const after = await d.storedAlerts();
    // what the stream had before the kill is there unchanged: the replay's copies were dropped as duplicates
    for (const b of storedBeforeKill) expect(after.find((m) => m.seq === b.seq)).toEqual(b);
    // and the second run did emit them again: the table holds the replay's copy (upserted over the first)
    for (const a of replayed) expect(rows.find((r) => r.id === a.id)!.payload.detectedAt).toBeGreaterThanOrEqual(run2.startedAt);
    // the second run read again what followed the restored checkpoint
    expect(summaryOf(run2.stderr())!.read).toBeGreaterThan(rest.length);
  }, 150_000);
});

test("docs/deployment.md shows the config these tests run, with its names", async () => {
  const doc = await readFile(join(ROOT, "docs/deployment.md"), "utf8");
  const m = /<!-- deployment:config -->\s*```json\n([\s\S]*?)\n```/.exec(doc);
  expect(m, "a deployment:config block").not.toBeNull();
  const names = { eventStream: "TRANSACTIONS", consumer: "vigil", alertSubject: "alerts.fraud", alertStream: "ALERTS", table: "fraud_alerts" };
  expect(JSON.parse(m![1])).toEqual(deploymentConfig(names));
});
