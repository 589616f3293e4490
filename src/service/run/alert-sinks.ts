import { mkdir, open, type FileHandle } from "node:fs/promises";
import { dirname } from "node:path";
import { FileSink, JetStreamSink, KafkaSink, PostgresSink, WebhookSink } from "../../connectors/index.js";
import type { Sink, SinkWriter } from "../../runtime/index.js";
import type { Alert } from "../alert.js";
import type { TextSink } from "../commands/io.js";
import type { SinkConfig } from "../config/index.js";

/** Prints each alert as one JSON document per line (stdout in the CLI). At-least-once: after a restart, alerts since the last checkpoint print again. */
export class ConsoleAlertSink implements Sink<Alert> {
  constructor(private readonly out: TextSink) {}

  createWriter(): SinkWriter<Alert> {
    let lines = "";
    return {
      write: (alert) => {
        lines += `${JSON.stringify(alert)}\n`;
      },
      flush: () => {
        if (lines === "") return;
        this.out.write(lines);
        lines = "";
      },
    };
  }
}

/**
 * Appends each alert as one JSON line to one file (`alerts.jsonl`), synced at every checkpoint.
 * At-least-once: after a crash, the alerts written since the last checkpoint are written again
 * (with the same ids, so a reader can de-duplicate on `id`). For exactly-once use a file sink
 * with a `directory` (part files committed at checkpoints).
 */
export class AppendFileAlertSink implements Sink<Alert> {
  constructor(private readonly path: string) {}

  async createWriter(): Promise<SinkWriter<Alert>> {
    await mkdir(dirname(this.path), { recursive: true });
    const handle: FileHandle = await open(this.path, "a");
    let lines = "";
    const flush = async () => {
      if (lines === "") return;
      const text = lines;
      lines = "";
      await handle.write(text);
    };
    return {
      write: (alert) => {
        lines += `${JSON.stringify(alert)}\n`;
      },
      flush,
      snapshotState: async () => {
        await flush();
        await handle.datasync();
        return null;
      },
      close: async () => {
        await flush();
        await handle.close();
      },
    };
  }
}

/**
 * The PostgreSQL sink's default columns, but `event_time` is the alert's `time`: the record
 * timestamp of an alert raised by an absence (`notFollowedBy`) or a timeout is the watermark that
 * fired it, which depends on when later traffic came, not on the match.
 */
const ALERT_COLUMNS = {
  payload: { type: "jsonb", value: (a: Alert) => a },
  event_time: { type: "timestamptz", value: (a: Alert) => (Number.isFinite(a.time) && Math.abs(a.time) <= 8.64e15 ? new Date(a.time).toISOString() : null) },
};

/** The runtime sink for one output of a named sink. Alert ids are the idempotency keys everywhere. */
export function buildSink(name: string, config: SinkConfig, stdout: TextSink): Sink<Alert> {
  switch (config.type) {
    case "console":
      return new ConsoleAlertSink(stdout);
    case "file":
      return config.path !== undefined ? new AppendFileAlertSink(config.path) : new FileSink<Alert>({ name, directory: config.directory, format: "jsonl" });
    case "kafka":
      return new KafkaSink<Alert>({ name, topic: config.topic, serializer: "json", key: (a) => a.id, guarantee: config.guarantee ?? "at-least-once" });
    case "jetstream":
      return new JetStreamSink<Alert>({ name, subject: config.subject, msgId: (a) => a.id, ...(config.stream !== undefined && { stream: config.stream }) });
    case "webhook":
      return new WebhookSink<Alert>({ name, url: config.url, idOf: (a) => a.id, ...(config.hmac === true && { hmac: true }), ...(config.batchSize !== undefined && { batchSize: config.batchSize }) });
    case "postgres":
      return new PostgresSink<Alert>({ name, table: config.table, id: (a) => a.id, columns: ALERT_COLUMNS });
  }
}
