import { pino, type Logger, type Level } from "pino";

/** The log levels a user can choose, quietest last. */
export const LOG_LEVELS: readonly Level[] = ["trace", "debug", "info", "warn", "error", "fatal"];

/**
 * Vigil's structured logger (pino). Logs always go to stderr (fd 2, written synchronously so
 * nothing is lost at exit), never to stdout, which carries results such as alerts. The level
 * comes from `level`, else `VIGIL_LOG_LEVEL`, else `warn`.
 */
export function createLogger(options: { level?: string; name?: string } = {}): Logger {
  const wanted = options.level ?? process.env.VIGIL_LOG_LEVEL ?? "warn";
  const level = (LOG_LEVELS as readonly string[]).includes(wanted) || wanted === "silent" ? wanted : "warn";
  return pino({ name: options.name ?? "vigil", level }, pino.destination({ dest: 2, sync: true }));
}

export type { Logger };
