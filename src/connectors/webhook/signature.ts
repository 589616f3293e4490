import { createHmac, timingSafeEqual } from "node:crypto";

/** The `sha256=<hex>` signature of a webhook request: HMAC-SHA256 with `secret` over `${timestamp}.${body}`. */
export function webhookSignature(secret: string, timestamp: string, body: string): string {
  return "sha256=" + createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex");
}

/**
 * The receiver's check of a signed webhook request: the signature header matches the raw body and
 * timestamp (compared in constant time), and the timestamp (seconds since the epoch) is within
 * `toleranceSec` of `nowMs`, which refuses old requests replayed by an eavesdropper.
 */
export function verifyWebhookSignature(
  secret: string,
  request: { body: string; timestamp: string | undefined; signature: string | undefined },
  options: { toleranceSec?: number; nowMs?: number } = {},
): boolean {
  const { body, timestamp, signature } = request;
  if (timestamp === undefined || signature === undefined || !/^\d+$/.test(timestamp)) return false;
  const age = Math.abs((options.nowMs ?? Date.now()) / 1000 - Number(timestamp));
  if (age > (options.toleranceSec ?? 300)) return false;
  const expected = Buffer.from(webhookSignature(secret, timestamp, body));
  const got = Buffer.from(signature);
  return got.length === expected.length && timingSafeEqual(got, expected);
}
