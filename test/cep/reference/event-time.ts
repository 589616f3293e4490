/**
 * What `runPattern(..., { mode: "eventTime" })` feeds the NFA, worked out plainly: the keyed CEP
 * operator buffers events and, when a watermark arrives, releases those at or before it in
 * timestamp order (ties in arrival order), then advances time to the watermark; an event at or
 * behind the current watermark is late and dropped (FlinkCEP's `CepOperator.processElement` /
 * `onEventTime`). Watermarks only move forward.
 */
import type { FeedItem } from "./runs.js";
import type { Ev, TimedEv } from "./spec.js";

export type EventTimeItem = { readonly event: Ev; readonly timestamp: number } | { readonly watermark: number };

export function eventTimeFeed(items: readonly EventTimeItem[]): { feed: FeedItem[]; late: TimedEv[] } {
  let watermark = -Infinity;
  let buffered: TimedEv[] = [];
  const feed: FeedItem[] = [];
  const late: TimedEv[] = [];
  for (const item of [...items, { watermark: Infinity }]) {
    if ("event" in item) {
      if (item.timestamp <= watermark) late.push(item);
      else buffered.push(item);
      continue;
    }
    if (item.watermark <= watermark) continue;
    watermark = item.watermark;
    // Array.prototype.sort is stable: equal timestamps keep their arrival order
    const ready = buffered.filter((x) => x.timestamp <= watermark).sort((a, b) => a.timestamp - b.timestamp);
    buffered = buffered.filter((x) => x.timestamp > watermark);
    feed.push(...ready, { watermark });
  }
  return { feed, late };
}
