import { connectNats, type NatsHandle } from "../../connectors/index.js";
import type { ControlConfig } from "../config/index.js";
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

/**
 * Subscribes to the control stream (a core NATS subject): each message puts or deletes a rule as
 * the REST API does (validated; written into the pattern folder, so a restart keeps it; swapped
 * in). A request-reply message gets the outcome as its reply (`{"ok":true,...}` or
 * `{"ok":false,"errors":[...]}`). Core NATS keeps nothing: messages sent while the service is down
 * are not seen; the folder keeps what was deployed before.
 */
export async function subscribeControl(config: ControlConfig, reloader: Reloader, log: Logger): Promise<ControlSubscription> {
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
      } else if (parsed.op === "put") {
        const r = await reloader.putDocument(parsed.document.id, parsed.document, "control");
        reply = r.ok ? { ok: true, rule: parsed.document.id, ...(r.rule !== undefined && { version: r.rule.rule.version }), unchanged: r.unchanged === true } : { ok: false, errors: r.errors };
      } else {
        const found = await reloader.deleteRule(parsed.id, "control");
        if (!found) log.warn({ rule: parsed.id }, "control stream: delete of a rule that is not running");
        reply = { ok: found, ...(!found && { errors: [`no rule ${parsed.id}`] }) };
      }
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
