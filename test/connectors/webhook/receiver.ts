import { createServer, type IncomingHttpHeaders, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import pino from "pino";
import type { Logger } from "../../../src/runtime/logger.js";

/** A request as the test receiver got it. `n` counts requests from 1; `at` is performance.now(). */
export interface Received {
  readonly n: number;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  readonly at: number;
}

/** Answers a request; without an answer the response is held (see `held`) until the test ends it. */
export type Reply = (req: Received, res: ServerResponse) => void;

/** A real HTTP server on 127.0.0.1 at a free port, recording every request. */
export interface Receiver {
  readonly url: string;
  readonly port: number;
  readonly requests: Received[];
  /** Responses `reply` left open. */
  readonly held: ServerResponse[];
  close(): Promise<void>;
}

export async function startReceiver(reply: Reply = (_, res) => res.writeHead(204).end()): Promise<Receiver> {
  const requests: Received[] = [];
  const held: ServerResponse[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const r: Received = { n: requests.length + 1, path: req.url ?? "", headers: req.headers, body: Buffer.concat(chunks).toString("utf8"), at: performance.now() };
      requests.push(r);
      reply(r, res);
      if (!res.writableEnded) held.push(res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    port,
    requests,
    held,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A pino logger at trace level that keeps every line, to check what is (and is not) logged. */
export function memoryLogger(): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  return { log: pino({ level: "trace" }, { write: (s: string) => void lines.push(s) }), lines };
}
