import type { Msg } from "nats";

/**
 * The stream sequence, delivery (consumer) sequence and time of a JetStream message, from its ack
 * subject: `$JS.ACK.<stream>.<consumer>.<delivered>.<sseq>.<dseq>.<ns>.<pending>`, or with
 * `<domain>.<account hash>` after `ACK` (and a token at the end) on newer servers.
 */
export function parseReply(msg: Msg): { sseq: number; dseq: number; ts: number } | undefined {
  const reply = msg.reply;
  if (reply === undefined || !reply.startsWith("$JS.ACK.")) return undefined;
  const t = reply.split(".");
  const o = t.length === 9 ? 2 : t.length >= 11 ? 4 : -1;
  if (o < 0) return undefined;
  const ns = t[o + 5];
  return { sseq: Number(t[o + 3]), dseq: Number(t[o + 4]), ts: ns.length > 6 ? Number(ns.slice(0, -6)) : 0 };
}
