/** The webhook sink: alerts POSTed as JSON, retried with backoff, signed, dead-lettered after the last try. */
export { WebhookSink } from "./webhook-sink.js";
export type { WebhookSinkOptions, WebhookRetryOptions, WebhookHmacOptions, WebhookDeadLetter } from "./webhook-options.js";
export { webhookSignature, verifyWebhookSignature } from "./signature.js";
