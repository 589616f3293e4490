import { connectNats, type NatsHandle } from "../../connectors/index.js";
import type { ControlConfig, NatsControlConfig } from "../config/index.js";
import type { Logger } from "../log.js";
import type { Reloader } from "./reloader.js";

/** A message of the control stream. */
export type ControlMessage = { readonly op: "put"; readonly document: { readonly id: string } & Record<string, unknown> } | { readonly op: "delete"; readonly id: string };

/** Parses one control message; returns why it is not one when it is not. */
export function parseControlMessage(text: string): ControlMessage | { error: string } {
  let m: unknown;
  try {
    m = JSON.parse(text);
  } catch (err) {
    return { error: `not JSON: ${err instanceof Error ? err.message : String(err)}` };
  }
  if (typeof m !== "object" || m === null || Array.isArray(m)) return { error: "not a JSON object" };
  const x = m as Record<string, unknown>;
  if (x.op === "put") {
    const d = x.document;
    if (typeof d !== "object" || d === null || Array.isArray(d)) return { error: "put: document must be a pattern file's JSON object" };
    if (typeof (d as { id?: unknown }).id !== "string") return { error: "put: document.id must be a string" };
    return { op: "put", document: d as { readonly id: string } & Record<string, unknown> };
  }
  if (x.op === "delete") {
    if (typeof x.id !== "string" || x.id === "") return { error: "delete: id must be a non-empty string" };
    return { op: "delete", id: x.id };
  }
  return { error: `op must be "put" or "delete", got ${JSON.stringify(x.op)}` };
}

export interface ControlSubscription {
  close(): Promise<void>;
}

/** The outcome of one control message, as a NATS request gets it as reply. */
export type ControlReply = { readonly ok: true; readonly rule?: string; readonly version?: number; readonly unchanged?: boolean } | { readonly ok: false; readonly errors: readonly string[] };

/**
 * Applies one control message through the reloader: a put is validated, written into the pattern
 * folder and swapped in; a delete removes the file and stops the rule. `quietMissing`: a delete of
 * a rule that is not running is logged at debug only (a replayed Kafka backlog has many).
 */
export async function applyControlMessage(message: ControlMessage, reloader: Reloader, log: Logger, quietMissing = false): Promise<ControlReply> {
  if (message.op === "put") {
    const r = await reloader.putDocument(message.document.id, message.document, "control");
    return r.ok ? { ok: true, rule: message.document.id, ...(r.rule !== undefined && { version: r.rule.rule.version }), unchanged: r.unchanged === true } : { ok: false, errors: r.errors };
  }
  const found = await reloader.deleteRule(message.id, "control");
  if (!found) {
    if (quietMissing) log.debug({ rule: message.id }, "control stream: delete of a rule that is not running");
    else log.warn({ rule: message.id }, "control stream: delete of a rule that is not running");
  }
  return found ? { ok: true } : { ok: false, errors: [`no rule ${message.id}`] };
}

/**
 * Subscribes to the control stream the config names: a core NATS subject (below) or a Kafka
 * topic (`subscribeKafkaControl`). Each message puts or deletes a rule as the REST API does
 * (validated; written into the pattern folder, so a restart keeps it; swapped in).
 */
export async function subscribeControl(config: ControlConfig, reloader: Reloader, log: Logger): Promise<ControlSubscription> {
  if (config.type === "kafka") {
    const { subscribeKafkaControl } = await import("./kafka-control.js");
    return subscribeKafkaControl(config, reloader, log);
  }
  return subscribeNatsControl(config, reloader, log);
}

/**
 * The control stream on a core NATS subject. A request-reply message gets the outcome as its
 * reply (`{"ok":true,...}` or `{"ok":false,"errors":[...]}`). Core NATS keeps nothing: messages
 * sent while the service is down are not seen; the folder keeps what was deployed before.
 */
export async function subscribeNatsControl(config: NatsControlConfig, reloader: Reloader, log: Logger): Promise<ControlSubscription> {
  const handle: NatsHandle = await connectNats({ ...(config.servers !== undefined && { servers: config.servers }), connectionName: "vigil-control" }, "control stream", log);
  const sub = handle.nc.subscribe(config.subject);
  log.info({ subject: config.subject }, "listening for rule changes on the control stream");
  const decoder = new TextDecoder();
  const done = (async () => {
    for await (const msg of sub) {
      const parsed = parseControlMessage(decoder.decode(msg.data));
      let reply: unknown;
      if ("error" in parsed) {
        log.error({ subject: msg.subject, reason: parsed.error }, "control message rejected");
        reply = { ok: false, errors: [parsed.error] };
      } else reply = await applyControlMessage(parsed, reloader, log);
      if (msg.reply !== undefined && msg.reply !== "") msg.respond(new TextEncoder().encode(JSON.stringify(reply)));
    }
  })().catch((err: unknown) => log.error({ err }, "control stream failed"));
  return {
    async close() {
      sub.unsubscribe();
      await handle.close();
      await done;
    },
  };
}
