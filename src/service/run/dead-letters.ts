import { createWriteStream, type WriteStream } from "node:fs";
import { mkdir } from "node:fs/promises";
import { dirname } from "node:path";
import { connectNats, type DeadLetter, type NatsHandle } from "../../connectors/index.js";
import type { DeadLettersConfig } from "../config/index.js";
import type { Logger } from "../log.js";

/** A dead letter as the service writes it: the connector's shape, and when it was refused. */
export interface ServiceDeadLetter extends DeadLetter {
  /** Wall-clock ms when the service refused it. */
  readonly at: number;
  /** Where in the source it was (`file:line`, a Kafka or JetStream position), when known. */
  readonly position?: string;
}

/**
 * The service's dead-letter output (`deadLetters` in the config). `write` is synchronous and
 * never throws: a record refused on the hot path is queued and written in the background, so a
 * broken output costs log lines, never the job. At-least-once across a crash is not promised:
 * dead letters are a diagnostic stream, their counts are in the metrics.
 */
export interface DeadLetterOutput {
  write(d: ServiceDeadLetter): void;
  /** Writes what is queued and closes. */
  close(): Promise<void>;
}

/** Opens the configured output. */
export async function openDeadLetters(config: DeadLettersConfig, log: Logger): Promise<DeadLetterOutput> {
  if (config.type === "file") {
    await mkdir(dirname(config.path), { recursive: true });
    const out: WriteStream = createWriteStream(config.path, { flags: "a" });
    let failed = false;
    out.on("error", (err) => {
      if (!failed) log.error({ err, path: config.path }, "writing dead letters failed; later ones are only counted");
      failed = true;
    });
    return {
      write(d) {
        if (!failed) out.write(JSON.stringify(d) + "\n");
      },
      close: () => new Promise<void>((resolve) => (failed ? resolve() : out.end(() => resolve()))),
    };
  }
  const handle: NatsHandle = await connectNats({ ...(config.servers !== undefined && { servers: config.servers }), connectionName: "vigil-dead-letters" }, "dead letters", log);
  const encoder = new TextEncoder();
  let logged = 0;
  return {
    write(d) {
      try {
        handle.nc.publish(config.subject, encoder.encode(JSON.stringify(d)));
      } catch (err) {
        if (logged++ < 10) log.warn({ err, subject: config.subject }, "publishing a dead letter failed");
      }
    },
    close: () => handle.close(),
  };
}
