import pino from "pino";

/** The structured logger operators and tasks write to (pino's interface). */
export type Logger = pino.Logger;

let root: Logger | undefined;

/** The runtime's root logger; silent unless `VIGIL_LOG_LEVEL` is set or `setRuntimeLogger` was called. */
export function runtimeLogger(): Logger {
  root ??= pino({ level: process.env.VIGIL_LOG_LEVEL ?? "silent", base: { component: "runtime" } });
  return root;
}

/** Replaces the runtime's root logger (the service passes its own). */
export function setRuntimeLogger(logger: Logger): void {
  root = logger;
}
