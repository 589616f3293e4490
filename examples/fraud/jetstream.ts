/**
 * Publishing generated traffic to JetStream, for `vigil run` with a JetStream source (the CLI is
 * publish-jetstream.ts; test/service/e2e/fraud-jetstream.test.ts uses these functions).
 */
import type { JetStreamManager, NatsConnection } from "nats";

/** What a published event needs: its id (the message's `Nats-Msg-Id`) and its event time. */
export interface PublishedEvent {
  readonly eventId: string;
  readonly ts: number;
}

/** The `type` of the end-of-traffic marker. */
export const END_OF_TRAFFIC = "end_of_traffic";

/**
 * Later than every rule's `within` (the longest in patterns/ is 24 h): a watermark past
 * `last event + this` closes every window.
 */
export const END_OF_TRAFFIC_AFTER_MS = 25 * 3_600_000;

/**
 * The event that ends a finite run of traffic on an unbounded source. Event-time rules fire when
 * the watermark passes their events (absence rules such as auth-not-captured only 30 minutes of
 * event time after the hold), and a JetStream source's watermark moves only with the events it
 * reads: idleness stops a quiet split from holding other splits back, it does not move time on.
 * So the last alerts of a file `vigil replay` reads to the end would never fire. This marker has
 * no `cardId` or `accountId` (every rule skips it: no alert) and a time past every window.
 */
export function endOfTraffic(lastTs: number): PublishedEvent & { readonly type: string } {
  return { type: END_OF_TRAFFIC, eventId: `${END_OF_TRAFFIC}-${lastTs}`, ts: lastTs + END_OF_TRAFFIC_AFTER_MS };
}

/**
 * Creates the stream (subjects `subjects`, duplicate window `duplicateWindowMs`) unless it
 * exists; returns whether it created it.
 */
export async function ensureStream(jsm: JetStreamManager, name: string, subjects: readonly string[], duplicateWindowMs = 120_000): Promise<boolean> {
  try {
    await jsm.streams.info(name);
    return false;
  } catch (e) {
    if (!/stream not found/i.test((e as Error).message)) throw e;
  }
  await jsm.streams.add({ name, subjects: [...subjects], duplicate_window: duplicateWindowMs * 1e6 });
  return true;
}

/**
 * Publishes the events to `subject` in order, each with `Nats-Msg-Id` = its `eventId` (so a
 * publisher that is run again, or retries, within the stream's duplicate window stores nothing
 * twice), `window` publishes in flight at a time; returns how many the stream stored (not
 * duplicates).
 */
export async function publishEvents(nc: NatsConnection, subject: string, events: readonly PublishedEvent[], window = 500): Promise<number> {
  const js = nc.jetstream();
  const encoder = new TextEncoder();
  let stored = 0;
  for (let i = 0; i < events.length; i += window) {
    // one connection sends in order, so the stream keeps the events' (event-time) order
    const acks = await Promise.all(events.slice(i, i + window).map((e) => js.publish(subject, encoder.encode(JSON.stringify(e)), { msgID: e.eventId })));
    for (const a of acks) if (!a.duplicate) stored++;
  }
  return stored;
}
