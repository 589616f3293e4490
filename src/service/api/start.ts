import type { AddressInfo } from "node:net";
import type { FastifyInstance } from "fastify";
import type { Logger } from "../log.js";
import type { ServiceControl } from "../run/control.js";
import { buildApiServer, type ApiServerOptions } from "./server.js";
import { removeApiState, writeApiState } from "./state-file.js";

/** Where and how {@link startApiServer} listens. */
export interface StartApiOptions extends ApiServerOptions {
  /** Default 127.0.0.1: only this machine. */
  readonly host?: string;
  /** Default 8717; 0 for any free port. */
  readonly port?: number;
  /** If `port` is taken, listen on any free port (with a warning) instead of failing. */
  readonly portFallback?: boolean;
  /** Where to write the URL for `vigil status|savepoint|stop` (see `apiStateFile`); removed on close. */
  readonly stateFile?: string;
  /** Named in the state file. */
  readonly configFile?: string;
}

/** A listening API server. */
export interface ApiServer {
  /** `http://127.0.0.1:8717`: what a client on this machine connects to. */
  readonly url: string;
  readonly port: number;
  readonly app: FastifyInstance;
  /** Stops listening (requests in flight are answered first) and removes the state file. */
  close(): Promise<void>;
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/;

/**
 * Starts the REST API of a running service (see docs/rest-api.md): listens on `host:port`, logs
 * the URL and writes it to `stateFile`. Throws when it cannot listen (a port that is set and taken,
 * an address this machine does not have), naming the address.
 */
export async function startApiServer(control: ServiceControl, options: StartApiOptions, log: Logger): Promise<ApiServer> {
  const host = options.host ?? "127.0.0.1";
  const wanted = options.port ?? 8717;
  const apiLog = log.child({ component: "api" });
  let app = await buildApiServer(control, options, apiLog);
  try {
    await app.listen({ host, port: wanted });
  } catch (err) {
    await app.close().catch(() => undefined);
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "EADDRINUSE" && options.portFallback === true && wanted !== 0) {
      apiLog.warn({ host, port: wanted }, `port ${wanted} is taken (another vigil run?): the REST API listens on a free port instead; vigil status finds it through the state file`);
      app = await buildApiServer(control, options, apiLog);
      await app.listen({ host, port: 0 });
    } else {
      const why = code === "EADDRINUSE" ? "the port is taken (set api.port or VIGIL_API_PORT to another, or 0 for any free port)" : code === "EADDRNOTAVAIL" ? "this machine has no such address" : (err as Error).message;
      throw new Error(`the REST API cannot listen on ${host}:${wanted}: ${why}`);
    }
  }
  const { port } = app.server.address() as AddressInfo;
  const url = `http://${clientHost(host)}:${port}`;
  if (!LOOPBACK.test(host) && options.token === undefined) {
    apiLog.warn({ host, port }, "the REST API listens beyond this machine without a token: anyone who reaches it can deploy rules and stop the service (set the token's environment variable, api.tokenEnv)");
  }
  const stateFile = options.stateFile;
  if (stateFile !== undefined) {
    try {
      await writeApiState(stateFile, { url, pid: process.pid, jobId: control.jobId, startedAt: new Date().toISOString(), config: options.configFile ?? "" });
    } catch (err) {
      // the API works without it; only the CLI's default URL is lost
      apiLog.warn({ err, stateFile }, "cannot write the REST API's state file: vigil status|savepoint|stop need --url");
    }
  }
  apiLog.info({ url, auth: options.token === undefined ? "none" : "bearer", stateFile }, "REST API listening");
  let closing: Promise<void> | undefined;
  return {
    url,
    port,
    app,
    close: () =>
      (closing ??= (async () => {
        await app.close();
        if (stateFile !== undefined) await removeApiState(stateFile, url);
      })()),
  };
}

/** The host a local client connects to: a wildcard address means this machine's loopback. */
function clientHost(host: string): string {
  if (host === "0.0.0.0") return "127.0.0.1";
  if (host === "::" || host === "::0") return "[::1]";
  return host.includes(":") ? `[${host}]` : host;
}
